package io.rawio.uring;

import java.util.Arrays;

/**
 * Completions held for later, in the order they came: what a ring's owner gets back from a batch that
 * someone else reaped on its ring (an engine sharing an event loop's ring,
 * {@link io.rawio.engine.IoEngine#shareRing}). The owner hands them to its own visitor before it reaps
 * the ring again. Grows as needed; allocates nothing once grown. Single-threaded.
 */
public final class CqeStash implements IoUring.CqeVisitor {
    private long[] userData = new long[64];
    private int[] res = new int[64];
    private int[] flags = new int[64];
    private int size;

    @Override
    public void completion(long userData, int res, int cqeFlags) {
        if (size == this.userData.length) {
            int n = size * 2;
            this.userData = Arrays.copyOf(this.userData, n);
            this.res = Arrays.copyOf(this.res, n);
            this.flags = Arrays.copyOf(this.flags, n);
        }
        this.userData[size] = userData;
        this.res[size] = res;
        this.flags[size] = cqeFlags;
        size++;
    }

    /** Completions held. */
    public int size() {
        return size;
    }

    /**
     * Hands every held completion to {@code to}, oldest first, and holds none after; completions added
     * meanwhile (by what {@code to} does) are handed over too. Returns how many.
     */
    public int drainTo(IoUring.CqeVisitor to) {
        int n = 0;
        for (; n < size; n++) {
            to.completion(userData[n], res[n], flags[n]);
        }
        size = 0;
        return n;
    }
}
