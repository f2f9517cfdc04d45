package io.rawio.store;

import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Map;

/**
 * When the keys that have an expiry expire (ms since the epoch, by the store's clock). Only keys with
 * an expiry have an entry, so a store without expiries pays one size check per lookup.
 *
 * <p>The entries are an open-addressing table (linear probing, at most half full, backward-shift
 * deletion, the index's hash; the home entry from its low bits, see {@link #home}): two arrays, no object
 * per entry. A checkpoint's snapshot
 * copies them under the ring state's lock ({@link #copy()}), and two array clones cost a fraction of
 * rebuilding a hash map of boxed entries, as the memory does (12 bytes an entry, 24-48 a key while
 * the table grows; it halves once under an eighth full).
 * The keys are never changed once stored (a key is cloned as it is set), so a copy shares them. Not
 * thread-safe: GUARDED_BY(RingState.lock).
 */
final class Expiries {
    private static final int MIN_CAPACITY = 16;
    private static final int MAX_CAPACITY = 1 << 30;

    private final InstantSource clock;
    /** Keys by table entry; null where empty. */
    private byte[][] keys;
    /** The expiry of the key at the same entry. */
    private long[] at;
    private int size;

    Expiries(Map<ByteBuffer, Long> recovered, InstantSource clock) {
        this.clock = clock;
        allocate(capacityFor(recovered.size()));
        for (Map.Entry<ByteBuffer, Long> e : recovered.entrySet()) {
            ByteBuffer b = e.getKey().duplicate();
            byte[] k = new byte[b.remaining()];
            b.get(k);
            put(k, e.getValue());
        }
    }

    private Expiries(Expiries from) {
        this.clock = from.clock;
        this.keys = from.keys.clone();
        this.at = from.at.clone();
        this.size = from.size;
    }

    /** A copy, for encoding outside the lock. */
    Expiries copy() {
        return new Expiries(this);
    }

    long now() {
        return clock.millis();
    }

    /** Whether {@code key} has an expiry that has passed at {@code now}. */
    boolean expiredAt(byte[] key, long now) {
        if (size == 0) {
            return false;
        }
        int e = find(key);
        return e >= 0 && at[e] <= now;
    }

    boolean expiredNow(byte[] key) {
        return size != 0 && expiredAt(key, clock.millis());
    }

    /** The key's expiry, or 0 for none. */
    long of(byte[] key) {
        if (size == 0) {
            return 0;
        }
        int e = find(key);
        return e < 0 ? 0 : at[e];
    }

    /** Sets the key's expiry; 0 removes it. */
    void set(byte[] key, long expiryMs) {
        if (expiryMs != 0) {
            put(key.clone(), expiryMs);
        } else {
            forget(key);
        }
    }

    /** Keys with an expiry (some may have expired and not been found yet). */
    int size() {
        return size;
    }

    void forget(byte[] key) {
        if (size == 0) {
            return;
        }
        int e = find(key);
        if (e >= 0) {
            deleteAt(e);
            if (size * 8 < keys.length && keys.length > MIN_CAPACITY) {
                rehash(keys.length / 2); // many expiries gone: a smaller table to copy
            }
        }
    }

    boolean isEmpty() {
        return size == 0;
    }

    /**
     * Adds to {@code out} the keys whose expiry passed at {@code now} among the table entries
     * {@code [from, from + visit)} (wrapping), and returns where the next visit starts. The caller
     * forgets them after, not during, the visit.
     */
    int expiredFrom(int from, int visit, long now, java.util.List<byte[]> out) {
        int mask = keys.length - 1;
        int i = from & mask;
        for (int k = 0; k < Math.min(visit, keys.length); k++, i = (i + 1) & mask) {
            if (keys[i] != null && at[i] <= now) {
                out.add(keys[i]);
            }
        }
        return i;
    }

    // ------------------------------------------------------------------ the table

    /** The least power of two of at least twice {@code n} entries (and {@link #MIN_CAPACITY}). */
    private static int capacityFor(int n) {
        long capacity = Math.max(MIN_CAPACITY, Long.highestOneBit(Math.max(1, 2L * n - 1)) << 1);
        if (capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("too many keys with an expiry: " + n);
        }
        return (int) capacity;
    }

    private void allocate(int capacity) {
        keys = new byte[capacity][];
        at = new long[capacity];
    }

    /**
     * A key's home entry: the low bits of its hash. Not the top bits the key index uses: the sweep
     * ({@link #expiredFrom}) empties the table in entry order, so the keys left sit in the entries it has
     * not reached yet, and halving the table keeps top-bit homes in order, packing those keys into a
     * quarter of the room they had until their probe runs join (a sweep of a million keys that expired
     * together then took seconds a call). Low bits fold the two halves onto each other instead, and the
     * keys left stay as sparse as they were.
     */
    private static int home(byte[] key, int capacity) {
        return KeyIndex.hash(key) & (capacity - 1);
    }

    /** The longest run of occupied entries (what a lookup may have to walk), for tests. */
    int longestRun() {
        int longest = 0;
        int run = 0;
        for (int pass = 0; pass < 2; pass++) { // twice round: a run may wrap past the end
            for (byte[] k : keys) {
                run = k == null ? 0 : run + 1;
                longest = Math.max(longest, Math.min(run, keys.length));
            }
        }
        return longest;
    }

    /** The entry of {@code key}, or -1. */
    private int find(byte[] key) {
        int mask = keys.length - 1;
        for (int i = home(key, keys.length); ; i = (i + 1) & mask) {
            byte[] k = keys[i];
            if (k == null) {
                return -1;
            }
            if (Arrays.equals(k, key)) {
                return i;
            }
        }
    }

    /** Sets {@code key}'s expiry, storing {@code key} itself when it is new (the caller's copy). */
    private void put(byte[] key, long expiryMs) {
        if (2L * (size + 1) > keys.length) {
            if (keys.length == MAX_CAPACITY) {
                throw new IllegalStateException("too many keys with an expiry: " + size);
            }
            rehash(keys.length * 2);
        }
        int mask = keys.length - 1;
        int i = home(key, keys.length);
        while (keys[i] != null) {
            if (Arrays.equals(keys[i], key)) {
                at[i] = expiryMs;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        at[i] = expiryMs;
        size++;
    }

    private void deleteAt(int e) {
        int mask = keys.length - 1;
        keys[e] = null;
        size--;
        // Backward-shift deletion: move later members of the probe run into the hole.
        int hole = e;
        for (int i = (e + 1) & mask; keys[i] != null; i = (i + 1) & mask) {
            if (KeyIndex.movesIntoHole(hole, i, home(keys[i], keys.length))) {
                keys[hole] = keys[i];
                at[hole] = at[i];
                keys[i] = null;
                hole = i;
            }
        }
    }

    private void rehash(int capacity) {
        byte[][] k = keys;
        long[] t = at;
        allocate(capacity);
        for (int j = 0; j < k.length; j++) {
            if (k[j] != null) {
                int mask = capacity - 1;
                int i = home(k[j], capacity);
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = k[j];
                at[i] = t[j];
            }
        }
    }
}
