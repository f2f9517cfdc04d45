package io.rawio.engine;

import io.rawio.nativeio.Errno;
import java.util.Arrays;

/**
 * A batch's progress through an engine that hands operations to the kernel and resubmits what is
 * left: the bytes each operation has moved so far, the operations to submit again, how many are
 * complete, and what a completion means ({@link #settle}). Shared by the io_uring, libaio and POSIX AIO
 * engines; one per thread's ring or context, used by that thread only.
 */
final class TransferProgress {
    /** {@link #settle}'s answer when the operation went back on the retry list. */
    static final long RETRY = Long.MIN_VALUE + 1;

    private long[] done = new long[64];
    private int[] retry = new int[64];
    private int retryCount;
    private int completed;

    /** Starts a batch of {@code n} operations: nothing moved, nothing to retry, nothing complete. */
    void start(int n) {
        if (done.length < n) {
            done = new long[Math.max(n, done.length * 2)];
            retry = new int[done.length];
        }
        Arrays.fill(done, 0, n, 0);
        retryCount = 0;
        completed = 0;
    }

    /** Bytes operation {@code i} has moved so far (where its next submission starts). */
    long done(int i) {
        return done[i];
    }

    boolean hasRetry() {
        return retryCount > 0;
    }

    /** The next operation to submit again. */
    int takeRetry() {
        return retry[--retryCount];
    }

    /** Operation {@code i} goes back to be submitted again. */
    void retry(int i) {
        retry[retryCount++] = i;
    }

    /** Forgets the operations to retry (their batch is over). */
    void clearRetries() {
        retryCount = 0;
    }

    int completed() {
        return completed;
    }

    /** Records operation {@code i}'s final result. */
    void complete(IoBatch batch, int i, long result) {
        batch.complete(i, result, System.nanoTime());
        completed++;
    }

    /**
     * What a completion of {@code res} (bytes, or -errno) of operation {@code i} means: {@link #RETRY}
     * when it went back on the retry list (EAGAIN or EINTR; a READ or WRITE that moved less than it has
     * left), else the operation's final result. A READ or WRITE result is the bytes moved over all its
     * submissions. A WRITE that moves nothing cannot progress (-EIO). An O_DIRECT READ that stops off a
     * block boundary stopped at end of file (the rest could not be read anyway). A short vectored
     * operation is the caller's to finish.
     */
    long settle(IoBatch batch, int i, long res) {
        if (res == -Errno.EAGAIN || res == -Errno.EINTR) {
            retry(i);
            return RETRY;
        }
        IoOp op = batch.op(i);
        if (res < 0 || (op != IoOp.READ && op != IoOp.WRITE)) {
            return res;
        }
        long total = done[i] + res;
        if (res == 0) {
            return op == IoOp.WRITE && batch.length(i) > done[i] ? -Errno.EIO : total;
        }
        if (total < batch.length(i)) {
            done[i] = total;
            IoFile f = batch.file(i);
            if (op == IoOp.READ && f.isDirect() && !f.alignment().accepts(batch.buffer(i).address() + total,
                    batch.offset(i) + total, batch.length(i) - total)) {
                return total;
            }
            retry(i);
            return RETRY;
        }
        return total;
    }
}
