package io.rawio.engine;

import io.rawio.nativeio.Errno;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The batches one thread started on a ring it shares with its owner ({@link IoEngine#start}): each
 * one's operations go into the ring, at most a queue depth at a time, and the thread goes on. The
 * owner reaps the ring, hands the engine's completions over ({@link #offer}, which only keeps them:
 * the owner may be in the middle of a reap) and calls {@link #run()}, which settles them as a batch run
 * by {@link UringEngine} settles its own (resubmits, short transfers), issues the next operations,
 * runs the completers, and calls each finished batch's {@code done}.
 *
 * <p>user_data: {@code id << 32 | index}, the batch's id in [1, 2^24) so that the top byte, which an
 * owner's own requests use, stays 0. An id is reused only once its batch is over (nothing of it is
 * left in the ring). Used by the ring's thread only.
 */
final class UringStartedBatches {
    private static final int MAX_ID = (1 << 24) - 1;

    /** One started batch and its progress. */
    private static final class Run {
        final int id;
        final IoBatch batch;
        final Consumer<RuntimeException> done;
        final TransferProgress progress = new TransferProgress();
        final boolean tell;
        final long startNs = System.nanoTime();
        int inflight;
        int next;
        int[] finished = new int[16];
        int finishedCount;
        /** What a preparer or completer threw: nothing more is issued or told, and the batch ends. */
        RuntimeException thrown;

        Run(int id, IoBatch batch, Consumer<RuntimeException> done) {
            this.id = id;
            this.batch = batch;
            this.done = done;
            this.tell = batch.hasCompleter();
            progress.start(batch.size());
        }

        long tag() {
            return (long) id << 32;
        }

        boolean over() {
            return inflight == 0 && (progress.completed() == batch.size() || thrown != null);
        }
    }

    private final UringEngine engine;
    private final UringEngineRing r;
    /** By id - 1; null where free. */
    private Run[] runs = new Run[8];
    private int live;
    /** Completions kept by {@link #offer}, not yet settled. */
    private long[] keptData = new long[64];
    private int[] keptRes = new int[64];
    private int kept;

    UringStartedBatches(UringEngine engine, UringEngineRing r) {
        this.engine = engine;
        this.r = r;
    }

    /** Batches started and not over. */
    int inFlight() {
        return live;
    }

    void start(IoBatch batch, Consumer<RuntimeException> done) {
        if (dead) {
            throw new IllegalStateException("the io_uring ring failed: no batch is started on it");
        }
        int slot = 0;
        while (slot < runs.length && runs[slot] != null) {
            slot++;
        }
        if (slot == runs.length) {
            if (runs.length >= MAX_ID) {
                throw new IllegalStateException("too many batches started on one ring: " + live);
            }
            runs = Arrays.copyOf(runs, Math.min(MAX_ID, runs.length * 2));
        }
        Run run = new Run(slot + 1, batch, done);
        runs[slot] = run;
        live++;
        advance(run);
        if (run.over()) {
            finish(run); // nothing in flight (an empty batch, every operation failed its precheck)
        }
    }

    /** Keeps a completion that is one of these batches' (see the class comment); false if it is not. */
    boolean offer(long userData, int res) {
        if ((userData >>> 56) != 0) {
            return false;
        }
        if (dead) {
            return (userData >>> 32) != 0; // an abandoned batch's: its id is never given again
        }
        int id = (int) (userData >>> 32);
        if (id < 1 || id > runs.length || runs[id - 1] == null) {
            return false;
        }
        if (kept == keptData.length) {
            keptData = Arrays.copyOf(keptData, kept * 2);
            keptRes = Arrays.copyOf(keptRes, kept * 2);
        }
        keptData[kept] = userData;
        keptRes[kept] = res;
        kept++;
        return true;
    }

    /**
     * Settles what was kept, then moves every batch on (refills, tells its completer) and ends those that
     * are over. Every batch is visited, kept completions or not: one with nothing in flight (its
     * operations all canceled, say, or the submission queue full) goes on only here.
     */
    void run() {
        boolean again = true;
        while (again) {
            // Settling calls nothing outside: no completion is kept meanwhile.
            for (int k = 0; k < kept; k++) {
                settle(runs[(int) (keptData[k] >>> 32) - 1], (int) keptData[k], keptRes[k]);
            }
            kept = 0;
            // A done may start batches, run batches of its own (whose reaps keep more completions) or
            // await the started ones (this, nested: a batch is removed before its done is called):
            // the loop goes on until nothing is kept.
            for (int slot = 0; slot < runs.length; slot++) {
                Run run = runs[slot];
                if (run == null) {
                    continue;
                }
                advance(run);
                if (runs[slot] == run && run.over()) {
                    finish(run);
                }
            }
            again = kept > 0;
        }
        if (failed != 0) {
            int errno = failed;
            failed = 0;
            awaitKernel();
            abandon(errno);
        }
    }

    /** Waits, reaping the ring itself, until every started batch is over. */
    void await() {
        int idle = 0;
        while (live > 0) {
            run();
            if (live == 0) {
                break;
            }
            if (inflightAll() == 0) {
                // Nothing to wait for (the submission queue was full): the next run() issues it. Reaping
                // lets an overflowing completion queue drain; a queue that never takes it ends the batches.
                r.uring.reap(r.reaper);
                if (++idle > 100_000) {
                    abandon(-io.rawio.nativeio.Errno.EBUSY);
                    return;
                }
                Thread.onSpinWait();
                continue;
            }
            idle = 0;
            int s = engine.entered(r.uring.submitAndWait(1));
            engine.countSyscall();
            if (UringEngine.ringFailed(s)) {
                awaitKernel();
                abandon(s);
                return;
            }
            r.uring.reap(r.reaper); // ours are kept; the owner's go to its others
        }
    }

    private int inflightAll() {
        int n = 0;
        for (Run run : runs) {
            if (run != null) {
                n += run.inflight;
            }
        }
        return n;
    }

    /**
     * Issues and tells what it can: while nothing of the batch is in flight and it is not over, it goes
     * on as long as that issues or completes something (operations failing their precheck one after
     * another, the completer handing buffers back), so a batch never waits for a completion that will
     * not come.
     */
    private void advance(Run run) {
        while (true) {
            int completed = run.progress.completed();
            int next = run.next;
            fill(run);
            tell(run);
            if (run.over() || run.inflight > 0
                    || (run.progress.completed() == completed && run.next == next && run.finishedCount == 0)) {
                return;
            }
        }
    }

    private void settle(Run run, int i, int res) {
        run.inflight--;
        IoBatch batch = run.batch;
        if (res >= 0 && batch.op(i).isVectored() && res < batch.length(i)) {
            complete(run, i, engine.vectoredSync(batch, i)); // a short vectored transfer (rare)
            return;
        }
        long out = run.progress.settle(batch, i, res);
        if (out != TransferProgress.RETRY) {
            complete(run, i, out);
        }
    }

    private void complete(Run run, int i, long result) {
        run.progress.complete(run.batch, i, result);
        if (run.tell && run.thrown == null) {
            if (run.finishedCount == run.finished.length) {
                run.finished = Arrays.copyOf(run.finished, run.finishedCount * 2);
            }
            run.finished[run.finishedCount++] = i;
        }
    }

    /** Issues retries, then new operations, while the batch has room (as {@link UringEngine#run} fills). */
    private void fill(Run run) {
        IoBatch batch = run.batch;
        int n = batch.size();
        int capacity = engine.capacity(r);
        while (run.thrown == null && run.inflight < capacity && (run.progress.hasRetry() || run.next < n)) {
            int i;
            if (run.progress.hasRetry()) {
                i = run.progress.takeRetry();
            } else {
                if (batch.op(run.next).isSync() && run.inflight > 0) {
                    return; // a sync goes once everything before it completed
                }
                if (run.inflight + run.finishedCount >= 2 * capacity) {
                    return; // completed ones still hold their buffers: told first (see UringEngine#run)
                }
                i = run.next++;
                try {
                    batch.prepareThrough(i);
                } catch (RuntimeException e) {
                    run.thrown = e;
                    return;
                }
                batch.issued(i, System.nanoTime());
                long pre = batch.precheck(i);
                if (pre < 0) {
                    complete(run, i, pre);
                    continue;
                }
                if (batch.op(i).isVectored() && batch.vector(i).length > UringEngine.MAX_IOV_PER_OP) {
                    complete(run, i, engine.vectoredSync(batch, i));
                    continue;
                }
            }
            long sqe = r.uring.nextSqeOffset();
            if (sqe < 0) {
                // The ring's submission queue is full (the owner's requests and ours): hand it over.
                int s = engine.entered(r.uring.submitAndWait(0));
                engine.countSyscall();
                run.progress.retry(i); // issued again below, or from the next run()
                if (UringEngine.ringFailed(s)) {
                    failed = s; // every batch ends with the error once this pass is over (abandon)
                    return;
                }
                sqe = r.uring.nextSqeOffset();
                if (sqe < 0) {
                    return;
                }
                i = run.progress.takeRetry();
            }
            engine.prepare(r, run.progress, batch, i, r.uring.sqeArray(), sqe, run.tag());
            run.inflight++;
        }
    }

    /** Runs the completer for the operations completed since the last time. */
    private void tell(Run run) {
        if (run.finishedCount == 0 || run.thrown != null) {
            run.finishedCount = 0;
            return;
        }
        try {
            for (int k = 0; k < run.finishedCount; k++) {
                run.batch.notifyCompleted(run.finished[k]);
            }
        } catch (RuntimeException e) {
            run.thrown = e;
        }
        run.finishedCount = 0;
    }

    private void finish(Run run) {
        runs[run.id - 1] = null;
        live--;
        run.batch.fillTimes(run.startNs, System.nanoTime());
        RuntimeException thrown = run.thrown;
        if (thrown == null) {
            try {
                run.batch.notifyAllCompleted();
            } catch (RuntimeException e) {
                thrown = e;
            }
        }
        run.done.accept(thrown);
    }

    /**
     * After an io_uring_enter of the ring failed: waits, {@link UringEngine#FAILED_RING_WAIT_NANOS} at most,
     * for the operations the kernel already took (an enter may fail after taking some SQEs), reaping the ring
     * and settling what completes, nothing issued. Until they complete the kernel may still read or fill their
     * buffers, which {@link #abandon} would hand back to their owners. Stops early when the kernel refuses the
     * ring's enters too.
     */
    void awaitKernel() {
        long deadline = System.nanoTime() + UringEngine.FAILED_RING_WAIT_NANOS;
        boolean refused = false;
        while (true) {
            r.uring.reap(r.reaper); // ours are kept; the owner's go to its others
            for (int k = 0; k < kept; k++) {
                settle(runs[(int) (keptData[k] >>> 32) - 1], (int) keptData[k], keptRes[k]);
            }
            kept = 0;
            long left = deadline - System.nanoTime();
            if (refused || inflightAll() == 0 || left <= 0) {
                return;
            }
            int s = UringEngine.awaitOnce(r.uring, left);
            engine.countSyscall();
            refused = UringEngine.ringFailed(s) && s != -Errno.ETIME; // what was reaped is settled first
        }
    }

    /**
     * The ring failed (or is being let go of): every operation not yet complete gets {@code errno}, and
     * every batch ends, its done told. Nothing is started here afterwards, and late completions of the
     * abandoned operations are dropped; what the kernel still holds of them is the ring's to cancel.
     */
    void abandon(int errno) {
        kept = 0;
        dead = true; // no id is given again: a late completion of an abandoned operation is dropped
        for (int slot = 0; slot < runs.length; slot++) {
            Run run = runs[slot];
            if (run == null) {
                continue;
            }
            boolean failedHere = false;
            for (int i = 0; i < run.next; i++) {
                if (run.batch.result(i) == IoBatch.NOT_EXECUTED) {
                    run.progress.complete(run.batch, i, errno);
                    failedHere = true;
                }
            }
            run.inflight = 0;
            // Told as failed when an operation got the error here, even if that completed the batch.
            if (run.thrown == null && (failedHere || run.progress.completed() < run.batch.size())) {
                run.thrown = new IllegalStateException("the io_uring ring failed: " + Errno.name(-errno));
            }
            if (runs[slot] == run) {
                finish(run);
            }
        }
    }

    /** A submit in {@link #fill} said the ring failed: the batches end after the current pass. */
    private int failed;
    /** The batches were abandoned ({@link #abandon}): nothing more is started here. */
    private boolean dead;
}
