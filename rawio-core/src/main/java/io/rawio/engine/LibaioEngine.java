package io.rawio.engine;

import static io.rawio.libaio.IocbDescriptor.*;

import io.rawio.libaio.AioContext;
import io.rawio.libaio.IoEventDescriptor;
import io.rawio.libaio.IocbDescriptor;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Iovec;
import io.rawio.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * {@code libaio}: the kernel's native AIO (io_setup, io_submit, io_getevents) by raw system calls, as
 * fio's libaio engine drives it, without libaio.so.
 *
 * <p>At most {@link EngineConfig#queueDepth()} operations (4096 at most) are in flight: a batch's
 * operations are filled into iocbs and handed to the kernel with one io_submit (every
 * {@link EngineConfig#submitBatch()} iocbs when that is set, as fio's iodepth_batch_submit), and the engine reaps
 * with io_getevents(min_nr=1), refilling as completions arrive; a longer batch is split that way.
 * Every operation is prepared before the batch starts and the completer is told after it, so
 * {@link #buffersHeld(int)} is {@code ops}.
 *
 * <p>Native AIO is asynchronous only for O_DIRECT: on a buffered file io_submit does the transfer
 * itself before it returns (the results are the same, the overlap is lost), which is what fio's libaio
 * does too.
 *
 * <p>Results follow the IoEngine contract: -EAGAIN and -EINTR completions are resubmitted, short
 * reads and writes are resubmitted for the remainder, any other -errno is that operation's result. A
 * FSYNC/FDATASYNC is submitted only once every operation before it has completed, as
 * IOCB_CMD_FSYNC/FDSYNC (Linux 4.18 and newer) or, where io_submit refuses those with EINVAL, as
 * fsync(2)/fdatasync(2) on the calling thread.
 *
 * <p>Threading: one AIO context per calling thread, set up on the thread's first batch (io_getevents
 * hands out any completion of its context, so two threads must not share one). Contexts are
 * destroyed with the engine. Each takes its queue depth from the system-wide fs.aio-max-nr.
 */
public final class LibaioEngine extends AbstractIoEngine {
    /** Vectored operations with more buffers than this run with preadv/pwritev instead. */
    static final int MAX_IOV_PER_OP = 16;
    static final int MAX_QUEUE_DEPTH = 4096;

    /** io_submit refused IOCB_CMD_FSYNC/FDSYNC (before Linux 4.18): syncs are system calls from then on. */
    private static volatile boolean kernelSyncRefused;

    /** Syncs made as system calls because the kernel refused them as iocbs. */
    private final java.util.concurrent.atomic.LongAdder syncCalls = new java.util.concurrent.atomic.LongAdder();

    /** Syncs this engine made as fsync/fdatasync system calls (the kernel refused them as iocbs). */
    public long syncsBySystemCall() {
        return syncCalls.sum();
    }

    /** Makes the engine behave as on a kernel that refuses IOCB_CMD_FSYNC/FDSYNC (tests of the fallback). */
    static void refuseKernelSyncForTests(boolean refuse) {
        kernelSyncRefused = refuse;
    }

    private final int depth;
    /** iocbs per io_submit while filling (0: all of them at once). */
    private final int submitBatch;
    private final ThreadLocal<Context> local = new ThreadLocal<>();
    private final List<Context> contexts = Collections.synchronizedList(new ArrayList<>());

    public LibaioEngine(EngineConfig config) {
        super("libaio");
        this.depth = Math.min(config.queueDepth(), MAX_QUEUE_DEPTH);
        this.submitBatch = config.submitBatch();
    }

    /** Why native AIO cannot be used here, or empty. */
    public static Optional<String> unavailableReason() {
        return AioContext.unavailableReason();
    }

    /** One thread's AIO context, its iocbs (one slot per request in flight) and per-batch state. */
    private final class Context {
        final AioContext aio;
        final Arena arena = Arena.ofShared();
        final MemorySegment iocbs;
        /** The iocb pointers of the filled but not yet submitted requests, in submission order. */
        final MemorySegment iocbpp;
        final MemorySegment events;
        /** One iovec array per slot: it belongs to that slot's iocb until its completion is reaped. */
        final MemorySegment iovs;
        final int[] freeSlots;
        int freeCount;
        /** The batch index each slot's iocb carries. */
        final int[] slotOp;
        final int[] pendingSlots;
        int pending;
        int inflight;
        final TransferProgress progress = new TransferProgress();

        Context() throws NativeIoException {
            this.aio = AioContext.create(depth);
            try {
                iocbs = arena.allocate((long) depth * IocbDescriptor.SIZE, 64);
                iocbpp = arena.allocate((long) depth * ValueLayout.ADDRESS.byteSize(), 8);
                events = arena.allocate((long) depth * IoEventDescriptor.SIZE, 8);
                iovs = arena.allocate((long) depth * MAX_IOV_PER_OP * Iovec.SIZE, 8);
            } catch (RuntimeException | Error e) {
                aio.close();
                arena.close();
                throw e;
            }
            freeSlots = new int[depth];
            slotOp = new int[depth];
            pendingSlots = new int[depth];
            resetSlots();
        }

        void resetSlots() {
            for (int s = 0; s < depth; s++) {
                freeSlots[s] = depth - 1 - s;
            }
            freeCount = depth;
            pending = 0;
            inflight = 0;
        }

        /**
         * Asks the kernel to cancel every iocb submitted and not yet reaped (best effort: file reads and
         * writes usually run to completion anyway); io_destroy then waits for what is left.
         */
        void cancelInflight() {
            boolean[] idle = new boolean[depth];
            for (int k = 0; k < freeCount; k++) {
                idle[freeSlots[k]] = true;
            }
            for (int k = 0; k < pending; k++) {
                idle[pendingSlots[k]] = true; // filled, never submitted
            }
            MemorySegment result = events.asSlice(0, IoEventDescriptor.SIZE);
            for (int s = 0; s < depth; s++) {
                if (!idle[s]) {
                    aio.cancel(iocbs.asSlice((long) s * IocbDescriptor.SIZE, IocbDescriptor.SIZE), result);
                }
            }
        }

        /** Idempotent: the engine's close and a thread's drop may both come here. */
        synchronized void close() {
            if (arena.scope().isAlive()) {
                aio.close();
                arena.close();
            }
        }
    }

    private Context context() {
        Context c = local.get();
        if (c == null) {
            try {
                c = new Context();
            } catch (NativeIoException e) {
                throw new IllegalStateException("cannot set up an AIO context: " + e.getMessage(), e);
            }
            local.set(c);
            contexts.add(c);
        }
        return c;
    }

    @Override
    protected void run(IoBatch batch) {
        Context c = context();
        try {
            runOn(c, batch);
        } catch (RuntimeException | Error e) {
            // Leave no completion of this batch in the context for the thread's next batch.
            drop(c);
            throw e;
        }
    }

    private void runOn(Context c, IoBatch batch) {
        int n = batch.size();
        TransferProgress t = c.progress;
        t.start(n);
        int next = 0;
        while (t.completed() < n) {
            // Fill: retries first, then new operations, while a slot is free.
            while (c.freeCount > 0 && (t.hasRetry() || next < n)) {
                int i;
                if (t.hasRetry()) {
                    i = t.takeRetry();
                } else {
                    IoOp op = batch.op(next);
                    if (op.isSync() && (c.inflight > 0 || c.pending > 0)) {
                        // A sync starts after everything before it completed: reap those first.
                        break;
                    }
                    i = next++;
                    batch.issued(i, System.nanoTime());
                    long pre = batch.precheck(i);
                    if (pre < 0) {
                        c.progress.complete(batch, i, pre);
                        continue;
                    }
                    if (op.isSync() && kernelSyncRefused) {
                        syncCalls.increment();
                        c.progress.complete(batch, i, PosixTransfers.sync(batch.file(i).fd(), op == IoOp.FDATASYNC,
                                syscalls));
                        continue;
                    }
                    if (op.isVectored() && batch.vector(i).length > MAX_IOV_PER_OP) {
                        c.progress.complete(batch, i, vectoredSync(batch, i));
                        continue;
                    }
                }
                fill(c, batch, i);
                if (submitBatch > 0 && c.pending >= submitBatch) {
                    submit(c, batch);
                }
            }
            if (c.pending > 0) {
                submit(c, batch);
            }
            if (c.inflight > 0 && !reap(c, batch)) {
                return;
            }
        }
    }

    private void fill(Context c, IoBatch batch, int i) {
        int slot = c.freeSlots[--c.freeCount];
        c.slotOp[slot] = i;
        long base = (long) slot * IocbDescriptor.SIZE;
        int fd = batch.file(i).fd();
        IoOp op = batch.op(i);
        long d = c.progress.done(i);
        switch (op) {
            case READ, WRITE -> IocbDescriptor.prep(c.iocbs, base, op == IoOp.READ ? IOCB_CMD_PREAD : IOCB_CMD_PWRITE,
                    fd, batch.buffer(i).address() + d, batch.length(i) - d, batch.offset(i) + d, batch.rwFlags(i), slot);
            case READV, WRITEV -> {
                MemorySegment[] v = batch.vector(i);
                long iov = (long) slot * MAX_IOV_PER_OP * Iovec.SIZE;
                for (int k = 0; k < v.length; k++) {
                    c.iovs.set(ValueLayout.JAVA_LONG, iov + k * Iovec.SIZE + Iovec.BASE_OFFSET, v[k].address());
                    c.iovs.set(ValueLayout.JAVA_LONG, iov + k * Iovec.SIZE + Iovec.LEN_OFFSET, v[k].byteSize());
                }
                IocbDescriptor.prep(c.iocbs, base, op == IoOp.READV ? IOCB_CMD_PREADV : IOCB_CMD_PWRITEV, fd,
                        c.iovs.address() + iov, v.length, batch.offset(i), batch.rwFlags(i), slot);
            }
            case FSYNC, FDATASYNC -> IocbDescriptor.prep(c.iocbs, base,
                    op == IoOp.FDATASYNC ? IOCB_CMD_FDSYNC : IOCB_CMD_FSYNC, fd, 0, 0, 0, 0, slot);
        }
        c.iocbpp.setAtIndex(ValueLayout.JAVA_LONG, c.pending, c.iocbs.address() + base);
        c.pendingSlots[c.pending++] = slot;
    }

    /**
     * io_submit of the pending iocbs. The kernel takes a prefix; when it takes none, the return value
     * is the first iocb's error, which becomes that operation's result (or is waited out: EAGAIN
     * while requests are in flight).
     */
    private void submit(Context c, IoBatch batch) {
        while (c.pending > 0) {
            long r = c.aio.submit(c.pending, c.iocbpp);
            syscalls.increment();
            if (r > 0) {
                c.inflight += (int) r;
                shift(c, (int) r);
                continue;
            }
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r == -Errno.EAGAIN && c.inflight > 0) {
                return;
            }
            int slot = c.pendingSlots[0];
            int i = c.slotOp[slot];
            shift(c, 1);
            c.freeSlots[c.freeCount++] = slot;
            IoOp op = batch.op(i);
            long result = r == 0 ? -Errno.EAGAIN : r;
            if (op.isSync() && r == -Errno.EINVAL) {
                // Before Linux 4.18 aio_fsync is refused; nothing of the batch before it is in flight.
                kernelSyncRefused = true;
                syncCalls.increment();
                result = PosixTransfers.sync(batch.file(i).fd(), op == IoOp.FDATASYNC, syscalls);
            }
            c.progress.complete(batch, i, result);
        }
    }

    private static void shift(Context c, int k) {
        int rest = c.pending - k;
        if (rest > 0) {
            long w = ValueLayout.JAVA_LONG.byteSize();
            MemorySegment.copy(c.iocbpp, k * w, c.iocbpp, 0, rest * w);
            System.arraycopy(c.pendingSlots, k, c.pendingSlots, 0, rest);
        }
        c.pending = rest;
    }

    /** io_getevents for at least one completion; false when the context failed (the batch is then over). */
    private boolean reap(Context c, IoBatch batch) {
        long got = c.aio.getevents(1, depth, c.events);
        syscalls.increment();
        if (got == -Errno.EINTR) {
            return true;
        }
        if (got < 0) {
            for (int i = 0; i < batch.size(); i++) {
                if (batch.result(i) == IoBatch.NOT_EXECUTED) {
                    batch.complete(i, got, System.nanoTime());
                }
            }
            // The context's state is unknown: drop it; the thread gets a new one on its next batch.
            drop(c);
            return false;
        }
        for (int k = 0; k < got; k++) {
            long e = (long) k * IoEventDescriptor.SIZE;
            int slot = (int) c.events.get(ValueLayout.JAVA_LONG, e + IoEventDescriptor.DATA_OFFSET);
            long res = c.events.get(ValueLayout.JAVA_LONG, e + IoEventDescriptor.RES_OFFSET);
            c.freeSlots[c.freeCount++] = slot;
            c.inflight--;
            completion(c, batch, c.slotOp[slot], res);
        }
        return true;
    }

    private void completion(Context c, IoBatch batch, int i, long res) {
        if (res >= 0 && batch.op(i).isVectored() && res < batch.length(i)) {
            // A short vectored transfer: finish it with preadv/pwritev (rare: end of file or a signal).
            c.progress.complete(batch, i, vectoredSync(batch, i));
            return;
        }
        long out = c.progress.settle(batch, i, res);
        if (out != TransferProgress.RETRY) {
            c.progress.complete(batch, i, out);
        }
    }

    /**
     * The calling thread's AIO context goes now ({@code io_destroy}), not when the engine closes: a
     * server's connection thread ends, and every context left behind holds its share of the system's
     * {@code fs.aio-max-nr} until then.
     */
    @Override
    public void releaseThread() {
        if (isClosed()) {
            return; // closed with the engine
        }
        Context c = local.get();
        if (c != null) {
            drop(c);
        }
    }

    /** Contexts of threads that ran batches and still hold one, for tests. */
    int threadContexts() {
        return contexts.size();
    }

    /** Forgets a thread's context: io_destroy waits for what it still has in flight. */
    private void drop(Context c) {
        contexts.remove(c);
        if (local.get() == c) {
            local.remove();
        }
        try {
            c.cancelInflight();
        } catch (RuntimeException e) {
            // The context was closed meanwhile (the engine closed): nothing to cancel. The exception
            // that brought us here is the one to report.
        } finally {
            c.close();
        }
    }

    /** A vectored operation done with preadv/pwritev on this thread (IOV_MAX buffers per call). */
    private long vectoredSync(IoBatch batch, int i) {
        return PosixTransfers.transferv(batch.op(i) == IoOp.WRITEV, batch.file(i).fd(), batch.vector(i),
                batch.offset(i), batch.rwFlags(i), syscalls);
    }

    @Override
    public void close() {
        if (isClosed()) {
            return;
        }
        super.close();
        synchronized (contexts) {
            for (Context c : contexts) {
                c.close();
            }
            contexts.clear();
        }
    }
}
