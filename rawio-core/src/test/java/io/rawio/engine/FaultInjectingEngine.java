package io.rawio.engine;

import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wraps another engine and injects the storage faults a store must survive, repeatably from
 * {@link FaultConfig#seed()}. For reliability tests: it ships in rawio-core's test-jar, not in the library.
 *
 * <p>The faults:
 * <ul>
 *   <li><b>Write error</b> (-EIO) and <b>full device</b> (-ENOSPC): a WRITE or WRITEV fails as that
 *       operation's result and the wrapped engine never runs it; the file is unchanged.</li>
 *   <li><b>Flush error</b> (-EIO): a FSYNC or FDATASYNC fails without running. As after a real failed
 *       fsync, the writes it should have made durable stay unflushed (see below).</li>
 *   <li><b>Torn write</b>: only a prefix of the operation's bytes, a whole number of
 *       {@link FaultConfig#blockSize()} blocks counted from the operation's offset (possibly none),
 *       reaches the file, and the operation reports -EIO, as when a device loses power mid-request and
 *       only its atomic units already written survive.</li>
 *   <li><b>Dropped unflushed writes</b> (with {@link FaultConfig#trackUnflushed()}): before a write
 *       runs, the bytes it overwrites and the file's size are saved; a successful FSYNC or FDATASYNC of
 *       the file (by path) forgets them. {@link #simulateCrash()} writes the saved bytes back, newest
 *       first, and truncates files the writes grew: what a power loss does to data still in the page
 *       cache or the device's volatile cache. Writes made durable on completion (O_SYNC, O_DSYNC,
 *       RWF_SYNC, RWF_DSYNC) are not tracked.</li>
 *   <li><b>Dead device</b>: after {@link #failAllWrites(int)} every WRITE, WRITEV, FSYNC and FDATASYNC
 *       fails with that errno until {@link #resumeWrites()}; reads still run.</li>
 * </ul>
 * Operations the wrapped engine would refuse anyway (misaligned under O_DIRECT, a heap buffer, a
 * read-only file) are passed through untouched and draw nothing from the random source.
 *
 * <p>The wrapped engine's timing is kept: the operations of a batch are copied into an inner batch
 * whose preparer runs the caller's {@link IoBatch.Preparer} and draws the operation's fault as the
 * wrapped engine issues it, and whose completer records the result and tells the caller's
 * {@link IoBatch.Completer} as the wrapped engine completes it. A failing operation goes to the wrapped
 * engine canceled, so it completes in its turn. Over io_uring the caller's preparers and completers
 * run while operations are in flight and a batch holds {@link #buffersHeld(int)} buffers, as without
 * the wrapper; over the other engines every operation is prepared, and its fault drawn, before any runs.
 *
 * <p>Thread-safe; faults are drawn in batch order under a lock, so the same seed gives the same faults
 * for the same sequence of batches on one thread (several threads interleave their draws). Batches are
 * handed to the wrapped engine split after each sync, so that the bytes saved for a write are the ones
 * left by the writes before the sync (splitting only lowers the buffers a batch holds). Over io_uring
 * a write's bytes are saved as it is issued, while earlier writes of its segment may be in flight and
 * may have reached them; that is harmless, because a simulated crash puts saved bytes back newest
 * first, so each byte ends as the oldest write over it found it, before any write of the segment.
 * The wrapper owns the wrapped engine: {@link #close()} closes it.
 */
public final class FaultInjectingEngine extends ForwardingIoEngine {

    /** What the engine has injected so far. */
    public record Injected(long writeErrors, long enospcErrors, long flushErrors, long tornWrites,
            long failAllErrors, long droppedWrites) {
        /** Every failed operation the engine caused (dropped writes are not failures). */
        public long failures() {
            return writeErrors + enospcErrors + flushErrors + tornWrites + failAllErrors;
        }
    }

    /** A file of this engine: the wrapped engine's file, named in the wrapped engine's batches. */
    static final class FaultyFile extends IoFile {
        final IoFile inner;

        FaultyFile(FaultInjectingEngine engine, IoFile inner) {
            super(engine, inner.nativeFile(), inner.options(), inner.alignment());
            this.inner = inner;
        }

        @Override
        public void close() throws NativeIoException {
            inner.close();
        }
    }

    /** The bytes a write overwrote, to put back on a simulated crash. */
    private record Unflushed(Path path, long offset, byte[] before, long sizeBefore) {
    }

    /**
     * Per-thread state for one execute: the inner batch, how its operations map back to the caller's
     * batch, and the preparer and completer that connect the two (made once per thread).
     */
    private static final class Scratch {
        final IoBatch inner = new IoBatch(64);
        IoBatch outer;
        int[] outerIndex = new int[64];
        boolean[] torn = new boolean[64];
        Unflushed[] saved = new Unflushed[64];
        /** The -errno the wrapper gave the operation without letting it run, or 0. */
        long[] failed = new long[64];
        boolean[] finished = new boolean[64];
        IoBatch.Preparer preparer;
        IoBatch.Completer completer;

        void ensure(int n) {
            if (outerIndex.length < n) {
                int size = Math.max(n, outerIndex.length * 2);
                outerIndex = Arrays.copyOf(outerIndex, size);
                torn = Arrays.copyOf(torn, size);
                saved = Arrays.copyOf(saved, size);
                failed = Arrays.copyOf(failed, size);
                finished = Arrays.copyOf(finished, size);
            }
        }
    }

    /** A write decision meaning "no fault"; other decisions are -errno or a torn prefix length. */
    private static final long NO_FAULT = Long.MAX_VALUE;

    private final String name;
    private final FaultConfig config;
    private final Object lock = new Object();
    private final Random random; // guarded by lock
    private final List<Unflushed> unflushed = new ArrayList<>(); // guarded by lock
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(this::newScratch);
    private volatile int failAllErrno;
    private volatile boolean closed;

    private final LongAdder writeErrors = new LongAdder();
    private final LongAdder enospcErrors = new LongAdder();
    private final LongAdder flushErrors = new LongAdder();
    private final LongAdder tornWrites = new LongAdder();
    private final LongAdder failAllErrors = new LongAdder();
    private final LongAdder droppedWrites = new LongAdder();

    public FaultInjectingEngine(IoEngine inner, FaultConfig config) {
        super(inner);
        this.name = "faulty(" + inner.name() + ")";
        this.config = config;
        this.random = new Random(config.seed());
    }

    @Override
    public String name() {
        return name;
    }

    public FaultConfig config() {
        return config;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("engine is closed: engine=" + name);
        }
    }

    @Override
    public IoFile open(Path path, OpenOptions options) throws IOException {
        checkOpen();
        return new FaultyFile(this, inner.open(path, options));
    }

    /**
     * From now on every WRITE, WRITEV, FSYNC and FDATASYNC fails with {@code -errno} (for example
     * {@link Errno#EIO} for a dead device, {@link Errno#EROFS} for one the kernel remounted read-only).
     */
    public void failAllWrites(int errno) {
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive: errno=" + errno);
        }
        failAllErrno = errno;
    }

    /** Ends {@link #failAllWrites(int)}. */
    public void resumeWrites() {
        failAllErrno = 0;
    }

    public Injected injected() {
        return new Injected(writeErrors.sum(), enospcErrors.sum(), flushErrors.sum(), tornWrites.sum(),
                failAllErrors.sum(), droppedWrites.sum());
    }

    /** Writes tracked since their file's last successful sync (0 unless tracking is on). */
    public int unflushedWrites() {
        synchronized (lock) {
            return unflushed.size();
        }
    }

    /**
     * Emulates a power loss: puts back what every unflushed write overwrote, newest first, and
     * truncates each file to its size before the oldest of them; then forgets them. The files are
     * reopened by path (buffered), so files already closed are restored too. Call it with no batch in
     * flight; the engine stays usable afterwards.
     *
     * @return how many writes were dropped
     * @throws NativeIoException when a file cannot be reopened or rewritten
     */
    public int simulateCrash() throws IOException {
        List<Unflushed> dropped;
        synchronized (lock) {
            dropped = new ArrayList<>(unflushed);
            unflushed.clear();
        }
        Map<Path, NativeFile> files = new HashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            int largest = 0;
            for (Unflushed u : dropped) {
                largest = Math.max(largest, u.before().length);
            }
            MemorySegment buf = arena.allocate(Math.max(1, largest));
            for (int k = dropped.size() - 1; k >= 0; k--) {
                Unflushed u = dropped.get(k);
                NativeFile f = files.get(u.path());
                if (f == null) {
                    f = NativeFile.open(u.path(), OpenFlag.RDWR);
                    files.put(u.path(), f);
                }
                if (u.before().length > 0) {
                    MemorySegment.copy(u.before(), 0, buf, ValueLayout.JAVA_BYTE, 0, u.before().length);
                    f.writeFully(buf.asSlice(0, u.before().length), u.offset());
                }
                if (f.statx().isRegularFile() && f.size() > u.sizeBefore()) {
                    f.truncate(u.sizeBefore());
                }
            }
        } finally {
            for (NativeFile f : files.values()) {
                f.close();
            }
        }
        droppedWrites.add(dropped.size());
        return dropped.size();
    }

    @Override
    public void execute(IoBatch batch) {
        checkOpen();
        batch.checkFiles(this);
        long start = System.nanoTime();
        run(batch);
        batch.fillTimes(start, System.nanoTime());
        batch.notifyAllCompleted();
    }

    private Scratch newScratch() {
        Scratch s = new Scratch();
        s.preparer = j -> prepare(s, j);
        s.completer = j -> {
            finish(s, j);
            s.outer.notifyCompleted(s.outerIndex[j]);
        };
        return s;
    }

    private void run(IoBatch batch) {
        Scratch s = scratch.get();
        int from = 0;
        while (from < batch.size()) {
            int to = from;
            while (to < batch.size() && !batch.op(to).isSync()) {
                to++;
            }
            to = Math.min(to + 1, batch.size());
            runSegment(batch, from, to, s);
            from = to;
        }
    }

    /**
     * Runs operations {@code [from, to)}, of which only the last may be a sync, as one inner batch of
     * the wrapped engine, which prepares and completes them in its own time.
     */
    private void runSegment(IoBatch batch, int from, int to, Scratch s) {
        IoBatch in = s.inner;
        in.clear();
        s.ensure(to - from);
        for (int i = from; i < to; i++) {
            FaultyFile f = (FaultyFile) batch.file(i);
            int j = in.add(batch.op(i), f.inner, batch.offset(i), batch.buffer(i), batch.vector(i), batch.length(i),
                    batch.rwFlags(i));
            s.outerIndex[j] = i;
            s.torn[j] = false;
            s.saved[j] = null;
            s.failed[j] = 0;
            s.finished[j] = false;
        }
        s.outer = batch;
        in.preparer(s.preparer);
        if (batch.hasCompleter()) {
            in.completer(s.completer);
        }
        boolean ran = false;
        try {
            inner.execute(in);
            for (int j = 0; j < in.size(); j++) {
                if (!s.finished[j]) {
                    finish(s, j);
                }
            }
            ran = true;
        } finally {
            track(s, ran);
            s.outer = null;
            in.clear();
        }
    }

    /**
     * The inner batch's preparer: runs the caller's preparer for the operation, then draws its fault.
     * An operation the wrapper fails is canceled in the inner batch, so it completes in its turn.
     */
    private void prepare(Scratch s, int j) {
        IoBatch batch = s.outer;
        IoBatch in = s.inner;
        int i = s.outerIndex[j];
        batch.prepareThrough(i);
        // The caller's preparer may have chosen the buffer and the offset.
        in.replace(j, batch.offset(i), batch.buffer(i), batch.vector(i), batch.length(i));
        IoOp op = batch.op(i);
        long pre = batch.precheck(i); // canceled, or bad buffer/alignment: fails as it would inside
        if (pre < 0) {
            fail(s, j, pre);
            return;
        }
        long decision = NO_FAULT;
        if (op.isSync()) {
            decision = syncFault();
        } else if (op.isWrite()) {
            decision = writeFault(batch.length(i));
        }
        boolean torn = decision >= 0 && decision != NO_FAULT;
        if (decision < 0 || (torn && decision == 0)) {
            fail(s, j, torn ? -Errno.EIO : decision);
            return;
        }
        if (op.isWrite() && config.trackUnflushed() && !durableOnCompletion(batch, i)) {
            try {
                // The whole range, even of a torn write: it is aligned under O_DIRECT, its prefix
                // may not be, and putting back bytes the prefix did not reach changes nothing.
                s.saved[j] = save((FaultyFile) batch.file(i), batch.offset(i), batch.length(i));
            } catch (NativeIoException e) {
                fail(s, j, -e.errno());
                return;
            }
        }
        if (torn) {
            s.torn[j] = true;
            MemorySegment[] vector = batch.vector(i);
            if (vector != null) {
                in.replace(j, batch.offset(i), null, prefix(vector, decision), decision);
            } else {
                in.replace(j, batch.offset(i), batch.buffer(i).asSlice(0, decision), null, decision);
            }
        }
    }

    private static void fail(Scratch s, int j, long errno) {
        s.failed[j] = errno;
        s.inner.cancel(j);
    }

    /** Gives the caller's operation its result and times, from the inner batch. */
    private static void finish(Scratch s, int j) {
        IoBatch in = s.inner;
        int i = s.outerIndex[j];
        long r = s.failed[j] != 0 ? s.failed[j] : s.torn[j] ? -Errno.EIO : in.result(j);
        s.outer.issued(i, in.issuedNs(j));
        s.outer.complete(i, r, in.completedNs(j));
        s.finished[j] = true;
    }

    /**
     * Remembers, in batch order, the writes of the inner batch that ran, and forgets those of a file
     * whose sync succeeded (only when the batch ran to its end).
     */
    private void track(Scratch s, boolean ran) {
        IoBatch in = s.inner;
        for (int j = 0; j < in.size(); j++) {
            Unflushed saved = s.saved[j];
            s.saved[j] = null;
            if (saved != null) {
                if (in.result(j) != IoBatch.NOT_EXECUTED) {
                    // Kept even when the write failed: putting back bytes it did not change is harmless,
                    // and a failed write may have changed some.
                    synchronized (lock) {
                        unflushed.add(saved);
                    }
                }
            } else if (ran && in.op(j).isSync() && s.failed[j] == 0 && in.result(j) == 0
                    && config.trackUnflushed()) {
                Path path = s.outer.file(s.outerIndex[j]).path();
                synchronized (lock) {
                    unflushed.removeIf(u -> u.path().equals(path));
                }
            }
        }
    }

    /** -errno while {@link #failAllWrites(int)} is on, else {@link #NO_FAULT}. */
    private long deviceDead() {
        int errno = failAllErrno;
        if (errno == 0) {
            return NO_FAULT;
        }
        failAllErrors.increment();
        return -errno;
    }

    private long syncFault() {
        long dead = deviceDead();
        if (dead != NO_FAULT) {
            return dead;
        }
        synchronized (lock) {
            if (hit(config.flushErrorOneIn())) {
                flushErrors.increment();
                return -Errno.EIO;
            }
        }
        return NO_FAULT;
    }

    /** -errno for a write that fails whole, a prefix length for a torn one, or {@link #NO_FAULT}. */
    private long writeFault(long length) {
        long dead = deviceDead();
        if (dead != NO_FAULT) {
            return dead;
        }
        synchronized (lock) {
            if (hit(config.writeErrorOneIn())) {
                writeErrors.increment();
                return -Errno.EIO;
            }
            if (hit(config.enospcOneIn())) {
                enospcErrors.increment();
                return -Errno.ENOSPC;
            }
            if (hit(config.tornWriteOneIn())) {
                tornWrites.increment();
                long block = config.blockSize();
                // Blocks that start inside the write; the prefix keeps fewer than all of them.
                long blocks = (length + block - 1) / block;
                return blocks <= 1 ? 0 : random.nextLong(blocks) * block;
            }
        }
        return NO_FAULT;
    }

    private boolean hit(int oneIn) {
        return oneIn > 0 && random.nextInt(oneIn) == 0;
    }

    private static boolean durableOnCompletion(IoBatch batch, int i) {
        return batch.file(i).options().sync() != SyncMode.NONE
                || (batch.rwFlags(i) & (LinuxConstants.RWF_DSYNC | LinuxConstants.RWF_SYNC)) != 0;
    }

    /**
     * Reads what {@code [offset, offset + length)} holds now through the file's own descriptor. Under
     * O_DIRECT the range is aligned already (the write passed its precheck), so an aligned buffer
     * suffices; bytes past end of file are not saved, the size is.
     */
    private static Unflushed save(FaultyFile f, long offset, long length) throws NativeIoException {
        long size = f.inner.size();
        long want = Math.min(length, Math.max(0, size - offset));
        if (want == 0) {
            return new Unflushed(f.path(), offset, new byte[0], size);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = f.isDirect()
                    ? AlignedMemory.allocate(arena, length, f.alignment().max())
                    : arena.allocate(want);
            long done = 0;
            while (done < want) {
                // Under O_DIRECT the request stays a multiple of the alignment; the read stops at end of
                // file (a short read), so the next offset is never a misaligned one.
                long ask = f.isDirect() ? length - done : want - done;
                long r = Libc.pread(f.fd(), buf.asSlice(done), ask, offset + done);
                if (r == -Errno.EINTR) {
                    continue;
                }
                if (r < 0) {
                    throw new NativeIoException("pread", (int) -r, f.path().toString(), f.fd(), offset + done,
                            ask, "saving the bytes a write overwrites, for simulateCrash");
                }
                if (r == 0) {
                    break;
                }
                done += r;
                if (r < ask) {
                    break;
                }
            }
            return new Unflushed(f.path(), offset, buf.asSlice(0, Math.min(done, want)).toArray(ValueLayout.JAVA_BYTE),
                    size);
        }
    }

    /** The first {@code length} bytes of a vector, as a vector. */
    private static MemorySegment[] prefix(MemorySegment[] vector, long length) {
        List<MemorySegment> out = new ArrayList<>();
        long left = length;
        for (MemorySegment b : vector) {
            if (left == 0) {
                break;
            }
            long n = Math.min(left, b.byteSize());
            out.add(b.asSlice(0, n));
            left -= n;
        }
        return out.toArray(MemorySegment[]::new);
    }

    @Override
    public void close() {
        closed = true;
        inner.close();
    }
}
