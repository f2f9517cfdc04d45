package io.rawio.engine;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.posixaio.AiocbDescriptor;
import io.rawio.posixaio.PosixAio;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * {@code posixaio}: glibc's POSIX AIO (aio_read, aio_write, aio_fsync; aio_suspend, aio_error,
 * aio_return), as fio's posixaio engine drives it.
 *
 * <p>At most {@link EngineConfig#queueDepth()} operations (4096 at most) are queued: each READ/WRITE is
 * one aiocb, and the engine waits with aio_suspend, refilling as requests finish; short transfers are
 * requeued for the remainder, EAGAIN and EINTR results requeued whole. A FSYNC/FDATASYNC is queued
 * (aio_fsync with O_SYNC/O_DSYNC) once everything before it has finished. POSIX AIO has no vectored
 * requests and no RWF_* flags: READV/WRITEV and operations with flags run with preadv/pwritev on the
 * calling thread. Every operation is prepared before the batch starts and the completer is told after
 * it, so {@link #buffersHeld(int)} is {@code ops}.
 *
 * <p>glibc runs the requests on helper threads of its own, one file descriptor's requests one after
 * another (see {@link PosixAio}): the CPU is the process's, and on one file the overlap is small.
 *
 * <p>Threading: one set of aiocbs per calling thread, made on its first batch, freed with the engine.
 */
public final class PosixAioEngine extends AbstractIoEngine {
    static final int MAX_QUEUE_DEPTH = 4096;

    private final int depth;
    private final ThreadLocal<Context> local = new ThreadLocal<>();
    private final List<Context> contexts = Collections.synchronizedList(new ArrayList<>());

    public PosixAioEngine() {
        this(EngineConfig.DEFAULT);
    }

    public PosixAioEngine(EngineConfig config) {
        super("posixaio");
        this.depth = Math.min(config.queueDepth(), MAX_QUEUE_DEPTH);
    }

    /** Why POSIX AIO cannot be used here, or empty. */
    public static Optional<String> unavailableReason() {
        return PosixAio.unavailableReason();
    }

    @Override
    public boolean worksOnCallerThreads() {
        return false;
    }

    /** One thread's aiocbs (one slot per queued request), the aio_suspend list, and per-batch state. */
    private final class Context {
        final Arena arena = Arena.ofShared();
        final MemorySegment cbs = arena.allocate((long) depth * AiocbDescriptor.SIZE, AiocbDescriptor.ALIGNMENT);
        /** aio_suspend's list: the address of each queued slot's aiocb, NULL for a free slot. */
        final MemorySegment list = arena.allocate((long) depth * ValueLayout.ADDRESS.byteSize(), 8);
        final int[] freeSlots = new int[depth];
        int freeCount;
        final int[] slotOp = new int[depth];
        int inflight;
        final TransferProgress progress = new TransferProgress();

        Context() {
            for (int s = 0; s < depth; s++) {
                freeSlots[s] = depth - 1 - s;
            }
            freeCount = depth;
        }

        MemorySegment cb(int slot) {
            return cbs.asSlice((long) slot * AiocbDescriptor.SIZE, AiocbDescriptor.SIZE);
        }

        /** Waits out every queued request (their aiocbs and buffers must outlive them) and forgets them. */
        void quiesce() {
            for (int s = 0; s < depth; s++) {
                if (list.getAtIndex(ValueLayout.JAVA_LONG, s) == 0) {
                    continue;
                }
                MemorySegment cb = cb(s);
                while (PosixAio.error(cb) == Errno.EINPROGRESS) {
                    PosixAio.suspend(list.asSlice((long) s * 8, 8), 1);
                }
                PosixAio.result(cb);
                list.setAtIndex(ValueLayout.JAVA_LONG, s, 0);
                freeSlots[freeCount++] = s;
            }
            inflight = 0;
        }

        void close() {
            quiesce();
            arena.close();
        }
    }

    private Context context() {
        Context c = local.get();
        if (c == null) {
            c = new Context();
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
            c.quiesce();
            throw e;
        }
    }

    private void runOn(Context c, IoBatch batch) {
        int n = batch.size();
        TransferProgress t = c.progress;
        t.start(n);
        int next = 0;
        while (t.completed() < n) {
            while (c.freeCount > 0 && (t.hasRetry() || next < n)) {
                int i;
                if (t.hasRetry()) {
                    i = t.takeRetry();
                } else {
                    IoOp op = batch.op(next);
                    if (op.isSync() && c.inflight > 0) {
                        // A sync is queued after everything before it finished.
                        break;
                    }
                    i = next++;
                    batch.issued(i, System.nanoTime());
                    long pre = batch.precheck(i);
                    if (pre < 0) {
                        t.complete(batch, i, pre);
                        continue;
                    }
                    if (op.isVectored() || batch.rwFlags(i) != 0) {
                        t.complete(batch, i, PsyncEngine.runChecked(batch, i, syscalls));
                        continue;
                    }
                }
                if (!queue(c, batch, i)) {
                    break;
                }
            }
            if (c.inflight > 0) {
                reap(c, batch);
            }
        }
    }

    /** Queues operation {@code i} in a free slot; false when glibc is out of resources and must drain first. */
    private boolean queue(Context c, IoBatch batch, int i) {
        int slot = c.freeSlots[--c.freeCount];
        MemorySegment cb = c.cb(slot);
        int fd = batch.file(i).fd();
        IoOp op = batch.op(i);
        long d = c.progress.done(i);
        int r;
        if (op.isSync()) {
            AiocbDescriptor.prep(cb, 0, fd, 0, 0, 0);
            r = PosixAio.fsync(op == IoOp.FDATASYNC ? LinuxConstants.O_DSYNC : LinuxConstants.O_SYNC, cb);
        } else {
            AiocbDescriptor.prep(cb, 0, fd, batch.buffer(i).address() + d, batch.length(i) - d, batch.offset(i) + d);
            r = op == IoOp.READ ? PosixAio.read(cb) : PosixAio.write(cb);
        }
        syscalls.increment();
        if (r == 0) {
            c.slotOp[slot] = i;
            c.list.setAtIndex(ValueLayout.JAVA_LONG, slot, cb.address());
            c.inflight++;
            return true;
        }
        c.freeSlots[c.freeCount++] = slot;
        if ((r == -Errno.EAGAIN || r == -Errno.EINTR) && c.inflight > 0) {
            c.progress.retry(i);
            return false;
        }
        if (r == -Errno.EAGAIN || r == -Errno.EINTR) {
            // Nothing queued to wait for: do all of this one on the calling thread.
            c.progress.complete(batch, i, PsyncEngine.runChecked(batch, i, syscalls));
            return true;
        }
        c.progress.complete(batch, i, r);
        return true;
    }

    /** aio_suspend until one queued request is done, then collects every finished one. */
    private void reap(Context c, IoBatch batch) {
        int r = PosixAio.suspend(c.list, depth);
        syscalls.increment();
        if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN) {
            throw new IllegalStateException("aio_suspend failed: " + Errno.name(-r));
        }
        for (int s = 0; s < depth && c.inflight > 0; s++) {
            if (c.list.getAtIndex(ValueLayout.JAVA_LONG, s) == 0) {
                continue;
            }
            MemorySegment cb = c.cb(s);
            int err = PosixAio.error(cb);
            if (err == Errno.EINPROGRESS) {
                continue;
            }
            long res = PosixAio.result(cb);
            c.list.setAtIndex(ValueLayout.JAVA_LONG, s, 0);
            c.freeSlots[c.freeCount++] = s;
            c.inflight--;
            long out = c.progress.settle(batch, c.slotOp[s], err != 0 ? -err : res);
            if (out != TransferProgress.RETRY) {
                c.progress.complete(batch, c.slotOp[s], out);
            }
        }
    }

    /**
     * The calling thread's aiocbs go now (after what they still have queued), not when the engine closes:
     * a server's connection thread ends, and each context left behind is memory held until then.
     */
    @Override
    public void releaseThread() {
        if (isClosed()) {
            return; // closed with the engine
        }
        Context c = local.get();
        if (c != null) {
            local.remove();
            if (contexts.remove(c)) {
                c.close(); // else the engine's close closed it already
            }
        }
    }

    /** Contexts of threads that ran batches and still hold one, for tests. */
    int threadContexts() {
        return contexts.size();
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
