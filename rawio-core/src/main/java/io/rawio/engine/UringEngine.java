package io.rawio.engine;

import static io.rawio.uring.IoUringConstants.*;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.uring.IoUring;
import io.rawio.uring.IoUringConstants;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The io_uring engines: {@code uring} (READ/WRITE/READV/WRITEV/FSYNC SQEs) and {@code uring-fixed}
 * (the same with registered buffers, READ_FIXED/WRITE_FIXED for any slice of a registered region, and
 * registered files).
 *
 * <p>At most {@link EngineConfig#queueDepth()} operations (4096 at most) are in flight; a longer batch
 * keeps exactly that many in flight, refilling the ring as each completion arrives, as fio does at its
 * iodepth. A batch's {@link IoBatch.Preparer} runs for each operation as it is issued and its
 * {@link IoBatch.Completer} as operations complete, once the ring has been refilled; so a caller that
 * recycles buffers needs {@link #buffersHeld(int)}, twice the queue depth, not one per operation.
 *
 * <p>Threading: one ring per calling thread, created on the thread's first batch with
 * IORING_SETUP_SINGLE_ISSUER and DEFER_TASKRUN where the kernel has them. A batch of N operations
 * becomes N SQEs and, when N fits the ring, ONE io_uring_enter that submits them and waits for all N
 * completions; larger batches are split, refilling the ring as completions arrive. With
 * {@link EngineConfig#submitBatch()} set, SQEs are handed to the kernel every that many while
 * filling, as fio's iodepth_batch_submit does: more system calls, but on devices that start work per
 * submission (virtio-blk) the queue stays fuller. A ring per thread
 * needs no lock and no hand-off between threads, which is what the per-I/O CPU target asks for; the
 * cost is a ring (a few pages) per thread that does I/O. Rings are closed with the engine.
 *
 * <p>Results follow the IoEngine contract: -EAGAIN and -EINTR completions are resubmitted, short
 * reads and writes are resubmitted for the remainder, and any other -errno is that operation's
 * result. A FSYNC/FDATASYNC is submitted only once every operation before it in the batch has
 * completed (the IoBatch barrier rule). When io_uring_enter itself fails (the ring, not an operation),
 * the operations the kernel took are waited for (10 s at most) and keep their results, the others get
 * that error, and the thread's next batch runs on a new ring.
 */
public final class UringEngine extends AbstractIoEngine {
    /** Vectored operations with more buffers than this run with preadv/pwritev instead. */
    static final int MAX_IOV_PER_OP = 16;
    /** Registered files per ring at most (uring-fixed); further files are used by descriptor. */
    static final int MAX_FIXED_FILES = 64;

    /** -Drawio.uring.plainSetup=true: no optional setup flags, for comparing their effect. */
    static final boolean PLAIN_SETUP = Boolean.getBoolean("rawio.uring.plainSetup");

    /** How long a failed ring's operations still in the kernel are waited for ({@link #awaitKernel}). */
    static final long FAILED_RING_WAIT_NANOS = 10_000_000_000L;

    /**
     * For tests, null otherwise: replaces what a batch's io_uring_enter returned (no ring failure can
     * be caused on purpose, and a failure after the kernel took the SQEs is the case to test).
     */
    volatile java.util.function.IntUnaryOperator enterOutcome;

    private final boolean fixed;
    /** Reads and writes sent with a registered buffer. */
    private final java.util.concurrent.atomic.LongAdder fixedOps = new java.util.concurrent.atomic.LongAdder();
    private final int entries;
    /** Operations in flight at most: the engine config's queue depth. */
    private final int maxInflight;
    /** SQEs per io_uring_enter while filling (0: all of them in the call that also waits). */
    private final int submitBatch;
    private final ThreadRings<UringEngineRing> rings = new ThreadRings<>(UringEngineRing::close);
    private final CopyOnWriteArrayList<MemorySegment> regions = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<String> notices = new CopyOnWriteArrayList<>();

    public UringEngine(boolean fixed, EngineConfig config) {
        super(fixed ? "uring-fixed" : "uring");
        this.fixed = fixed;
        this.maxInflight = Math.min(config.queueDepth(), 4096);
        this.submitBatch = config.submitBatch();
        this.entries = Integer.highestOneBit(Math.max(2, maxInflight) * 2 - 1);
    }

    /** Why io_uring cannot be used here, or empty. */
    public static java.util.Optional<String> unavailableReason() {
        java.util.Optional<String> ring = IoUring.unavailableReason();
        if (ring.isPresent()) {
            return ring;
        }
        for (byte op : new byte[] {IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC}) {
            if (!IoUring.supportedOpcodes().isEmpty() && !IoUring.supports(op)) {
                return java.util.Optional.of("this kernel's io_uring lacks IORING_OP_" + IoUringConstants.opName(op)
                        + " (needs Linux 5.6 or newer)");
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * Registers memory for READ_FIXED/WRITE_FIXED (uring-fixed only; ignored by uring). Any operation
     * whose buffer lies inside a registered region goes out as a fixed-buffer SQE. Each thread's ring
     * registers the regions before its next batch. When the kernel refuses (RLIMIT_MEMLOCK), the
     * operations go out as plain READ/WRITE and {@link #notices()} says why.
     */
    public void registerBuffers(MemorySegment... segments) {
        checkOpen();
        Collections.addAll(regions, segments);
    }

    /** {@link #registerBuffers} of one region (uring-fixed; uring ignores it). */
    @Override
    public void registerMemory(MemorySegment region) {
        if (fixed) {
            registerBuffers(region);
        }
    }

    /** Reads and writes that went out as READ_FIXED/WRITE_FIXED (their buffer in a registered region). */
    public long fixedBufferOps() {
        return fixedOps.sum();
    }

    /** What the engine changed and why (a refused registration, a dropped setup flag). */
    public List<String> notices() {
        return List.copyOf(notices);
    }

    public boolean isFixed() {
        return fixed;
    }

    @Override
    public boolean shareRing(IoUring shared, IoUring.CqeVisitor others) {
        checkOpen();
        UringEngineRing old = rings.current();
        if (old != null && old.others == null) {
            rings.drop(old);
        }
        UringEngineRing r = new UringEngineRing(shared, java.util.Objects.requireNonNull(others, "others"));
        r.reaper = new Reaper(r);
        rings.set(r);
        return true;
    }

    @Override
    public void unshareRing() {
        UringEngineRing r = rings.current();
        if (r != null && r.others != null) {
            if (r.started != null) {
                r.started.await(); // nothing started may be left in a ring the engine lets go of
            }
            rings.drop(r);
        }
    }

    /**
     * On a shared ring ({@link #shareRing}) the batch's operations go into that ring and it completes
     * as its owner hands the completions back ({@link UringStartedBatches}); elsewhere it runs at once.
     */
    @Override
    public void start(IoBatch batch, java.util.function.Consumer<RuntimeException> done) {
        checkOpen();
        UringEngineRing r = rings.current();
        if (r == null || r.others == null) {
            super.start(batch, done);
            return;
        }
        batch.checkFiles(this);
        syncRegistrations(r, batch);
        if (r.started == null) {
            r.started = new UringStartedBatches(this, r);
        }
        r.started.start(batch, done);
    }

    @Override
    public boolean ringCompletion(long userData, int res) {
        UringEngineRing r = rings.current();
        return r != null && r.started != null && r.started.offer(userData, res);
    }

    @Override
    public void runStarted() {
        UringEngineRing r = rings.current();
        if (r != null && r.started != null) {
            r.started.run();
        }
    }

    @Override
    public int startedInFlight() {
        UringEngineRing r = rings.current();
        return r == null || r.started == null ? 0 : r.started.inFlight();
    }

    @Override
    public void awaitStarted() {
        UringEngineRing r = rings.current();
        if (r != null && r.started != null) {
            r.started.await();
        }
    }

    /**
     * Ends this thread's started batches as a failed ring does ({@link UringStartedBatches#abandon}), for
     * tests: no ring failure can be caused on purpose.
     */
    void abandonStarted(int errno) {
        UringEngineRing r = rings.current();
        if (r != null && r.started != null) {
            r.started.abandon(errno);
        }
    }

    /** Operations of one batch in flight at most on {@code r}. */
    int capacity(UringEngineRing r) {
        return Math.min(r.uring.sqEntries(), maxInflight);
    }

    /** Counts a system call of the engine's (a submit a started batch made). */
    void countSyscall() {
        syscalls.increment();
    }

    private UringEngineRing ring() {
        UringEngineRing r = rings.current();
        if (r == null) {
            try {
                r = new UringEngineRing(entries, PLAIN_SETUP, notices);
                r.reaper = new Reaper(r);
            } catch (NativeIoException e) {
                throw new IllegalStateException("cannot set up an io_uring ring: " + e.getMessage(), e);
            }
            rings.set(r);
        }
        return r;
    }

    private void syncRegistrations(UringEngineRing r, IoBatch batch) {
        if (fixed) {
            UringRegistrations.sync(r, batch, regions, notices);
        }
    }

    @Override
    protected void run(IoBatch batch) {
        UringEngineRing r = ring();
        syncRegistrations(r, batch);
        try {
            runOn(r, batch);
        } catch (RuntimeException | Error e) {
            // A preparer or completer threw: wait for what is in flight, so that no completion of this
            // batch is left in the ring for the thread's next batch, then let the exception go.
            drain(r, batch);
            throw e;
        }
    }

    private void drain(UringEngineRing r, IoBatch batch) {
        r.finishedCount = 0;
        r.progress.clearRetries();
        while (r.inflight > 0 && rings.current() == r) {
            int s = r.uring.submitAndWait(r.inflight);
            syscalls.increment();
            if (ringFailed(s)) {
                awaitKernel(r, batch);
                dropFailed(r);
                return;
            }
            reaper(r).batch = batch;
            reaper(r).tell = false;
            r.uring.reap(r.reaper);
            reaper(r).batch = null;
            r.progress.clearRetries();
        }
        r.finishedCount = 0;
    }

    private void runOn(UringEngineRing r, IoBatch batch) {
        int n = batch.size();
        r.progress.start(n);
        r.inflight = 0;
        r.unsubmittedCount = 0;
        r.finishedCount = 0;
        boolean tell = batch.hasCompleter();
        int next = 0;
        int capacity = Math.min(r.uring.sqEntries(), maxInflight);
        while (r.progress.completed() < n) {
            boolean barrier = false;
            boolean handBack = false;
            // Fill: retries first, then new operations, while the ring has room.
            while (r.inflight < capacity && (r.progress.hasRetry() || next < n)) {
                int i;
                if (r.progress.hasRetry()) {
                    i = r.progress.takeRetry();
                } else {
                    if (batch.op(next).isSync() && r.inflight > 0) {
                        // A sync starts after everything before it completed: wait for those first.
                        // (In user space rather than with IOSQE_IO_DRAIN, which with DEFER_TASKRUN
                        // on 6.x kernels can leave the drained SQE never issued.)
                        barrier = true;
                        break;
                    }
                    if (r.inflight + r.finishedCount >= 2 * capacity) {
                        // Operations completed but not yet told to the completer still hold their
                        // buffers (many that failed their precheck, say): hand them back before
                        // preparing more, so a batch never holds more than buffersHeld(n).
                        handBack = true;
                        break;
                    }
                    i = next++;
                    batch.prepareThrough(i);
                    batch.issued(i, System.nanoTime());
                    long pre = batch.precheck(i);
                    if (pre < 0) {
                        complete(r, batch, tell, i, pre);
                        continue;
                    }
                    if (batch.op(i).isVectored() && batch.vector(i).length > MAX_IOV_PER_OP) {
                        complete(r, batch, tell, i, vectoredSync(batch, i));
                        continue;
                    }
                }
                long sqe = r.uring.nextSqeOffset();
                if (sqe < 0) {
                    r.progress.retry(i);
                    break;
                }
                prepare(r, r.progress, batch, i, r.uring.sqeArray(), sqe, 0);
                r.inflight++;
                if (submitBatch > 0) {
                    if (r.unsubmittedCount == r.unsubmitted.length) {
                        r.unsubmitted = java.util.Arrays.copyOf(r.unsubmitted, r.unsubmitted.length * 2);
                    }
                    r.unsubmitted[r.unsubmittedCount++] = i;
                    if (r.uring.pendingSubmissions() >= submitBatch) {
                        int s = entered(r.uring.submitAndWait(0));
                        syscalls.increment();
                        if (ringFailed(s)) {
                            failInflight(r, batch, s);
                            return;
                        }
                        // Issued = handed to the kernel, as fio stamps issue_time after its commit.
                        long now = System.nanoTime();
                        for (int k = 0; k < r.unsubmittedCount; k++) {
                            batch.issued(r.unsubmitted[k], now);
                        }
                        r.unsubmittedCount = 0;
                    }
                }
            }
            if (r.finishedCount > 0 && !tellFinished(r, batch)) {
                return;
            }
            if (r.inflight == 0 || handBack) {
                continue;
            }
            // Everything submitted: wait for all of it in the same call. Otherwise wait for one
            // completion, so the ring is refilled as soon as there is room.
            int waitFor = barrier || (next == n && !r.progress.hasRetry()) ? r.inflight : 1;
            int s = entered(r.uring.submitAndWait(waitFor));
            syscalls.increment();
            r.unsubmittedCount = 0;
            if (ringFailed(s)) {
                failInflight(r, batch, s);
                return;
            }
            reap(r, batch);
        }
        if (r.finishedCount > 0) {
            tellFinished(r, batch);
        }
    }

    private static void finished(UringEngineRing r, boolean tell, int i) {
        if (!tell) {
            return;
        }
        if (r.finishedCount == r.finished.length) {
            r.finished = java.util.Arrays.copyOf(r.finished, r.finished.length * 2);
        }
        r.finished[r.finishedCount++] = i;
    }

    /**
     * Tells the batch's completer about the operations completed since the last call, once the ring
     * has been refilled and handed to the kernel, so that the completer's work overlaps the device's
     * work on the operations in flight. Returns false when the ring failed (the batch is then over).
     */
    private boolean tellFinished(UringEngineRing r, IoBatch batch) {
        if (r.uring.pendingSubmissions() > 0) {
            int s = entered(r.uring.submitAndWait(0));
            syscalls.increment();
            if (ringFailed(s)) {
                failInflight(r, batch, s);
                return false;
            }
            long now = System.nanoTime();
            for (int k = 0; k < r.unsubmittedCount; k++) {
                batch.issued(r.unsubmitted[k], now);
            }
            r.unsubmittedCount = 0;
        }
        for (int k = 0; k < r.finishedCount; k++) {
            batch.notifyCompleted(r.finished[k]);
        }
        r.finishedCount = 0;
        return true;
    }

    /** An io_uring_enter result that means the ring is broken (not an interruption or a full queue). */
    static boolean ringFailed(int s) {
        return s < 0 && s != -Errno.EINTR && s != -Errno.EAGAIN && s != -Errno.EBUSY;
    }

    /**
     * Fills the SQE at {@code sqe} for operation {@code i} of {@code batch} ({@link UringSqeFill}), counting a
     * fixed-buffer one.
     */
    void prepare(UringEngineRing r, TransferProgress progress, IoBatch batch, int i, MemorySegment sqes, long sqe,
            long tag) {
        if (UringSqeFill.fill(r, fixed, progress, batch, i, sqes, sqe, tag)) {
            fixedOps.increment();
        }
    }

    private void reap(UringEngineRing r, IoBatch batch) {
        reaper(r).batch = batch;
        reaper(r).tell = batch.hasCompleter();
        r.uring.reap(r.reaper);
        reaper(r).batch = null;
    }

    private static Reaper reaper(UringEngineRing r) {
        return (Reaper) r.reaper;
    }

    /** Handles one CQE of the ring's current batch; one per ring, so reaping allocates nothing. */
    private final class Reaper implements IoUring.CqeVisitor {
        private final UringEngineRing r;
        IoBatch batch;
        boolean tell;

        Reaper(UringEngineRing r) {
            this.r = r;
        }

        @Override
        public void completion(long userData, int res, int cqeFlags) {
            if ((userData >>> 32) != 0) {
                if (r.started != null && r.started.offer(userData, res)) {
                    return; // a started batch's: handled by runStarted, after this reap
                }
                if (r.others != null) {
                    r.others.completion(userData, res, cqeFlags); // the ring's owner's, not a batch's
                    return;
                }
            }
            int i = (int) userData;
            r.inflight--;
            if (res >= 0 && batch.op(i).isVectored() && res < batch.length(i)) {
                // A short vectored transfer: finish it with preadv/pwritev (rare: EOF or a signal).
                complete(r, batch, tell, i, vectoredSync(batch, i));
                return;
            }
            long out = r.progress.settle(batch, i, res);
            if (out != TransferProgress.RETRY) {
                complete(r, batch, tell, i, out);
            }
        }
    }

    /** Records operation {@code i}'s result and queues it for the completer. */
    private void complete(UringEngineRing r, IoBatch batch, boolean tell, int i, long result) {
        r.progress.complete(batch, i, result);
        finished(r, tell, i);
    }

    /**
     * The ring itself failed (not one operation): what the kernel took is waited for first
     * ({@link #awaitKernel}), what completes keeps its result, and every operation still without one
     * gets the error.
     */
    private void failInflight(UringEngineRing r, IoBatch batch, int errno) {
        awaitKernel(r, batch);
        for (int i = 0; i < batch.size(); i++) {
            if (batch.result(i) == IoBatch.NOT_EXECUTED) {
                batch.complete(i, errno, System.nanoTime());
            }
        }
        // The ring's state is unknown: drop it; the thread gets a new one on its next batch.
        dropFailed(r);
    }

    /**
     * Drops a thread's failed ring; on a shared ring, the batches the thread started there wait first for
     * what the kernel took of theirs ({@link UringStartedBatches#awaitKernel}), then end with the error.
     */
    private void dropFailed(UringEngineRing r) {
        if (r.started != null && r.started.inFlight() > 0) {
            r.started.awaitKernel();
        }
        rings.drop(r);
    }

    /**
     * After an io_uring_enter of {@code r} failed: waits, {@link #FAILED_RING_WAIT_NANOS} at most, for the
     * operations the kernel may still hold. Their buffers go back to the batch's owner with the batch, and
     * a read the kernel finished later would land in a buffer put to another use by then, or a write take
     * whatever it held then to the device. The wait ends early when the kernel refuses the ring's enters
     * too (EBADF, say): then nothing more can be learnt of those operations, and they get the error.
     */
    private void awaitKernel(UringEngineRing r, IoBatch batch) {
        reap(r, batch);
        long deadline = System.nanoTime() + FAILED_RING_WAIT_NANOS;
        while (r.inflight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            int s = awaitOnce(r.uring, left);
            syscalls.increment();
            reap(r, batch);
            if (ringFailed(s) && s != -Errno.ETIME) {
                return;
            }
        }
    }

    /**
     * One wait of a failed ring for what the kernel still holds: an enter that waits 50 ms at most (and
     * {@code left} ns), or before Linux 5.11, which has no timed wait, an enter and a 1 ms pause. Returns the
     * enter's result.
     */
    static int awaitOnce(io.rawio.uring.IoUring uring, long left) {
        if (uring.canWaitWithTimeout()) {
            return uring.submitAndWait(1, Math.min(left, 50_000_000L));
        }
        int s = uring.submitAndGetEvents();
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        return s;
    }

    /** For tests: {@code s}, an io_uring_enter's return, as {@link #enterOutcome} changes it. */
    int entered(int s) {
        java.util.function.IntUnaryOperator f = enterOutcome;
        return f == null ? s : f.applyAsInt(s);
    }

    /** A vectored operation done with preadv/pwritev on this thread (IOV_MAX buffers per call). */
    long vectoredSync(IoBatch batch, int i) {
        return PosixTransfers.transferv(batch.op(i) == IoOp.WRITEV, batch.file(i).fd(), batch.vector(i),
                batch.offset(i), batch.rwFlags(i), syscalls);
    }

    @Override
    boolean preparesAsItIssues() {
        return true;
    }

    /**
     * {@code min(ops, 2 * queueDepth)}: while an operation is prepared, fewer than queue depth are in
     * flight, and those completed but not yet told to the completer number at most one queue depth
     * (one reap's worth, or operations the precheck failed, which {@link #runOn} stops preparing at).
     */
    @Override
    public long buffersHeld(int ops) {
        if (ops < 0) {
            throw new IllegalArgumentException("ops must not be negative: ops=" + ops);
        }
        return Math.min(ops, 2L * maxInflight);
    }

    @Override
    public void releaseThread() {
        if (isClosed()) {
            return; // closed with the engine
        }
        UringEngineRing r = rings.current();
        if (r != null && r.others == null) {
            rings.drop(r);
        }
    }

    @Override
    public void close() {
        if (isClosed()) {
            return;
        }
        super.close();
        rings.closeAll();
    }
}
