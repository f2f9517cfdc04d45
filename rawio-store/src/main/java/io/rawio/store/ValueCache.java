package io.rawio.store;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The DRAM tier in front of the slots: values that were read (and, optionally, written), copied
 * off-heap, bounded in bytes, so that a hit costs no I/O and no CRC check. Admission and eviction are
 * S3-FIFO (Yang, Zhang, Qiu, Yue, Rashmi, "FIFO queues are all you need for cache eviction", SOSP'23).
 *
 * <h2>Parts</h2>
 * This class is the coordinator: it holds the one lock, the stripe versions of the token rule and the
 * counters, and keeps its parts consistent with each other; each part is one concern, with its own test.
 * <ul>
 *   <li>{@link S3FifoPolicy}: the queues {@code S} and {@code M}, the ghost keys, the bytes charged,
 *       and which entry leaves when room is needed (why S3-FIFO, and not LRU, is explained there).</li>
 *   <li>{@link CacheTable}: the entries by key, in a hash table that gets read without a lock.</li>
 *   <li>{@link CacheEntry}: one value, its lease count (when its memory may be freed) and its
 *       frequency.</li>
 *   <li>{@link CacheMemory}: the values' off-heap blocks, malloc and free through FFM.</li>
 * </ul>
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Disabled when built with a capacity of 0 or less: every get misses and every other call does
 *       nothing, at the cost of one branch; a disabled cache counts nothing in {@link #stats()}.</li>
 *   <li>Admission: a value larger than {@code capacity / 8} ({@link #maxValueBytes()}) is not admitted,
 *       so that one value cannot flush an eighth of the cache. A value smaller than
 *       {@link #MIN_CHARGE_BYTES} is charged that many bytes, so that the number of entries, and the
 *       heap they take, is bounded too (at most {@code capacity / 64} entries). The charged bytes never
 *       exceed the capacity, so neither does the sum of the values' bytes.</li>
 *   <li>Memory per entry besides the value: 165 to 205 bytes (count {@link #ENTRY_OVERHEAD_BYTES} = 200)
 *       plus the key padded to 8, with compressed oops and 12-byte object headers: the entry 48, its
 *       hash-table node 24 and bucket 5 to 11 (load 0.375 to 0.75), the read-only segment object 40,
 *       the key's array header 16, malloc's chunk header and rounding 8 to 23 (glibc), and the ghost
 *       table's share, 22 to 43 (12-byte slots, 2 to 4 per ghost key, as many ghost keys as
 *       {@code M} holds entries, 90% of them).</li>
 * </ul>
 *
 * <h2>Consistency with the store: the token rule</h2>
 * A get never returns a value older than the last completed {@link #invalidate} of its key, given that
 * the store keeps this order:
 * <ol>
 *   <li>A write, delete or expiry of a key calls {@code invalidate(key)} after the change is visible to
 *       the read path (the index points at the new position, or no longer at the key) and before it is
 *       acknowledged to its caller.</li>
 *   <li>A read that means to fill the cache takes {@code token = readToken(key)} before it looks the key
 *       up in the index, reads the device, and calls {@code put(key, value, token)} only with a value
 *       that passed its CRC check.</li>
 * </ol>
 * {@code put} admits the value only if no invalidate of the key (more exactly: of any key of its
 * {@link #STRIPES stripe}) happened since the token was read; the check and the insert are one step
 * under the lock, and so are an invalidate's version bump and removal. Then a stale value cannot be
 * reinstated: if the reader's token was read before the invalidate, a put after the invalidate is
 * refused, and a put before it is removed by it; if the token was read after the invalidate, the
 * writer's change was visible before the reader looked the key up, so the reader read the new value (or
 * a newer one). A refused put costs a later miss, never a wrong value. A writer that wants to cache the
 * value it has just written passes the token {@link #invalidate} returns; that is correct only when the
 * invalidates of one key are made in the order its writes reached the index (inside the lock that
 * orders them, for example).
 *
 * <h2>Leases and memory</h2>
 * Each value is one {@code malloc}ed block ({@link CacheMemory}), copied in by {@link #put}; a get
 * returns a {@link Lease} on a read-only segment of it, with no copy. An entry evicted or invalidated
 * while leased is unlinked at once and freed when its last lease closes ({@link CacheEntry}). The
 * segment must not be used after its lease is closed: it may then be freed memory.
 *
 * <h2>Threads</h2>
 * Safe for any number of threads. A get takes no lock: it reads the hash table ({@link CacheTable#lookup})
 * through a volatile array reference and immutable chain nodes, takes a lease with one compare-and-set
 * on the entry's count, and raises its frequency with an opaque store (a lost increment under a race is
 * harmless). Puts, invalidates, evictions and close take {@link #lock}, which guards the policy (queues,
 * ghost keys, charged bytes), the table's writes, the stripe versions' writes and the counters; the
 * parts take no lock of their own and are GUARDED_BY(ValueCache.lock) as their comments say.
 *
 * <p>Lock order: {@link #lock} is innermost. The ring state's lock may be held when it is taken (to
 * invalidate a key in the order its writes reached the index); nothing else is taken, and no I/O is
 * done, while it is held (malloc and the copy of a value happen before it is taken; an evicted value is
 * freed under it, by {@code free}, which takes no Java lock).
 */
final class ValueCache implements AutoCloseable {
    /** A value larger than {@code capacity / ADMIT_DIVISOR} is not admitted. */
    static final int ADMIT_DIVISOR = 8;
    /** The least a value is charged against the capacity, which bounds the number of entries. */
    static final long MIN_CHARGE_BYTES = 64;
    /** Invalidation versions are kept per stripe of keys (by hash), not per key, so they take fixed memory. */
    static final int STRIPES = 1 << 12;
    /** Memory per entry besides the value's and the key's bytes; see the class comment. */
    static final int ENTRY_OVERHEAD_BYTES = 200;

    private static final VarHandle VERSION = MethodHandles.arrayElementVarHandle(long[].class);

    private final boolean enabled;
    private final long capacityBytes;
    private final long maxValueBytes;

    /** The one lock of the tier; innermost: nothing else is taken while it is held. */
    private final ReentrantLock lock = new ReentrantLock();
    /** The values' memory; lock-free (malloc before the lock is taken, free under it or by the last lease). */
    private final CacheMemory memory = new CacheMemory();
    /** The entries by key. Written GUARDED_BY(lock); read by {@link #get} without it. */
    private final CacheTable table = new CacheTable();
    /** The queues, the ghost keys and the charged bytes. GUARDED_BY(lock). */
    private final S3FifoPolicy policy;
    /** Invalidation versions by stripe. Written GUARDED_BY(lock) with release stores; read with acquire loads. */
    private final long[] versions;
    /** The values' bytes (not the charge of small ones). GUARDED_BY(lock). */
    private long valueBytes;
    /** GUARDED_BY(lock). */
    private long admissions;
    /** GUARDED_BY(lock). */
    private long evictions;
    /** GUARDED_BY(lock). */
    private boolean closed;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    ValueCache(long capacityBytes) {
        this.enabled = capacityBytes > 0;
        this.capacityBytes = Math.max(0, capacityBytes);
        this.maxValueBytes = this.capacityBytes / ADMIT_DIVISOR;
        this.policy = new S3FifoPolicy(this.capacityBytes, this::evicted);
        this.versions = enabled ? new long[STRIPES] : new long[0];
    }

    /** Whether the cache holds anything at all (a capacity above 0). */
    boolean enabled() {
        return enabled;
    }

    /**
     * A lease on the value of {@code key}, or null on a miss. The caller reads {@link Lease#value()} (a
     * read-only segment of the cached bytes) and closes the lease.
     */
    Lease get(byte[] key) {
        if (!enabled) {
            return null;
        }
        // A dead entry (invalidated or evicted) is a miss: a newer entry of the key would be ahead of it.
        CacheEntry e = table.lookup(key, hash(key));
        if (e != null && e.retain()) {
            e.touch();
            hits.increment();
            return new Lease(e);
        }
        misses.increment();
        return null;
    }

    /**
     * Copies the cached value of {@code key} into {@code into} with no lease object: its length, -1 on a
     * miss, or -2 - its length when {@code into} is too small (nothing copied).
     */
    long copyInto(byte[] key, MemorySegment into) {
        if (!enabled) {
            return -1;
        }
        CacheEntry e = table.lookup(key, hash(key));
        if (e != null && e.retain()) {
            try {
                e.touch();
                hits.increment();
                long n = e.value.byteSize();
                if (into.byteSize() < n) {
                    return -2 - n;
                }
                MemorySegment.copy(e.value, 0, into, 0, n);
                return n;
            } finally {
                e.release();
            }
        }
        misses.increment();
        return -1;
    }

    /** The token a read that will fill the cache takes before it looks {@code key} up; see the class comment. */
    long readToken(byte[] key) {
        if (!enabled) {
            return 0;
        }
        return (long) VERSION.getAcquire(versions, hash(key) & (STRIPES - 1));
    }

    /**
     * Copies {@code value} in as the value of {@code key}, unless an invalidate of the key happened since
     * {@code token} was taken ({@link #readToken} or {@link #invalidate}), the value is larger than
     * {@link #maxValueBytes()}, the cache is disabled or closed, or malloc failed. Evicts what S3-FIFO
     * chooses to make room. Copies the key too. Returns whether the value was admitted.
     */
    boolean put(byte[] key, MemorySegment value, long token) {
        long size = value.byteSize();
        if (!enabled || size > maxValueBytes) {
            return false;
        }
        int h = hash(key);
        // The only stripe check that counts is the one under the lock; this one saves the copy of a
        // value that would be refused.
        if ((long) VERSION.getAcquire(versions, h & (STRIPES - 1)) != token) {
            return false;
        }
        MemorySegment copy = memory.allocate(size);
        if (copy == null) {
            return false;
        }
        MemorySegment.copy(value, 0, copy, 0, size);
        CacheEntry e = new CacheEntry(key.clone(), h, copy.asReadOnly(), memory);
        boolean admitted = false;
        lock.lock();
        try {
            if (!closed && versions[h & (STRIPES - 1)] == token) {
                insert(e);
                admitted = true;
            }
        } finally {
            lock.unlock();
        }
        if (!admitted) {
            e.kill();
        }
        return admitted;
    }

    /**
     * Removes the value of {@code key}, and makes every put with a token taken before this call refuse.
     * Returns the token a writer may pass to {@link #put} to cache the value it wrote (see the class
     * comment for when that is correct).
     */
    long invalidate(byte[] key) {
        if (!enabled) {
            return 0;
        }
        int h = hash(key);
        int stripe = h & (STRIPES - 1);
        lock.lock();
        try {
            long v = versions[stripe] + 1;
            VERSION.setRelease(versions, stripe, v);
            CacheEntry e = table.find(key, h);
            if (e != null) {
                remove(e);
            }
            return v;
        } finally {
            lock.unlock();
        }
    }

    /** The largest value admitted: {@code capacity / 8}. */
    long maxValueBytes() {
        return maxValueBytes;
    }

    long capacityBytes() {
        return capacityBytes;
    }

    Stats stats() {
        lock.lock();
        try {
            return new Stats(hits.sum(), misses.sum(), admissions, evictions, valueBytes, policy.entries());
        } finally {
            lock.unlock();
        }
    }

    /** Blocks of off-heap memory not yet freed (leased entries of a closed cache included); for tests. */
    long liveAllocations() {
        return memory.liveAllocations();
    }

    /** Frees every value not leased now; a leased one is freed when its last lease closes. Idempotent. */
    @Override
    public void close() {
        if (!enabled) {
            return;
        }
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            policy.drain(CacheEntry::kill);
            table.clear();
            valueBytes = 0;
        } finally {
            lock.unlock();
        }
    }

    // ---- under the lock -------------------------------------------------------------------------

    /** GUARDED_BY(lock). */
    private void insert(CacheEntry e) {
        CacheEntry old = table.find(e.key, e.hash);
        if (old != null) {
            // A newer copy of a cached value (both passed the token check): it keeps the old one's place.
            byte queue = old.queue;
            int freq = old.freq();
            remove(old);
            policy.replace(e, queue, freq);
        } else {
            policy.admit(e);
        }
        valueBytes += e.value.byteSize();
        admissions++;
        table.link(e);
    }

    /** An invalidation or a replacement. GUARDED_BY(lock). */
    private void remove(CacheEntry e) {
        policy.remove(e);
        table.unlink(e);
        valueBytes -= e.value.byteSize();
        e.kill();
    }

    /** An eviction, called back by the policy with the entry already out of its queue. GUARDED_BY(lock). */
    private void evicted(CacheEntry e) {
        table.unlink(e);
        valueBytes -= e.value.byteSize();
        evictions++;
        e.kill();
    }

    /** The index's hash (every byte of the key reaches the low bits the tables use). */
    static int hash(byte[] key) {
        return KeyIndex.hash(key);
    }

    // ---- parts ---------------------------------------------------------------------------------

    /** The counters; bytes are the values' bytes (not the charge of small ones). */
    record Stats(long hits, long misses, long admissions, long evictions, long bytes, long entries) {
        double hitRatio() {
            long total = hits + misses;
            return total == 0 ? 0 : (double) hits / total;
        }
    }

    /**
     * A hold on one cached value: its memory is not freed or reused until the lease is closed. Used by
     * one thread at a time, like a stream. Closing twice does nothing; {@link #value()} after close throws.
     */
    static final class Lease implements AutoCloseable {
        /** A marker some callers return for "no such key" (not a lease on anything; closing it does nothing). */
        static final Lease ABSENT = new Lease(null);

        private CacheEntry entry;

        private Lease(CacheEntry entry) {
            this.entry = entry;
        }

        /** The value, read-only; not to be used after {@link #close()}. */
        MemorySegment value() {
            CacheEntry e = entry;
            if (e == null) {
                throw new IllegalStateException("lease closed");
            }
            return e.value;
        }

        @Override
        public void close() {
            CacheEntry e = entry;
            if (e != null) {
                entry = null;
                e.release();
            }
        }
    }
}
