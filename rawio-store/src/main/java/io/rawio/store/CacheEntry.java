package io.rawio.store;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One value of the DRAM tier: its key (a copy), the key's hash, a read-only view of its malloced block,
 * the count of its leases, its S3-FIFO frequency and its links in one of {@link S3FifoPolicy}'s queues.
 *
 * <h2>Leases and memory</h2>
 * Each value is one block of {@link CacheMemory}, copied in by {@code ValueCache.put}; a get returns a
 * lease on a read-only segment of it, with no copy. An entry counts its leases; one evicted or
 * invalidated while leased is unlinked at once (no later get finds it, see {@link CacheTable}) and freed
 * when its last lease closes. The segment must not be used after its lease is closed: it may then be
 * freed memory.
 *
 * <h2>Threads</h2>
 * The lease count ({@link #retain}, {@link #release}, {@link #kill}) is lock-free: a compare-and-set
 * loop and atomic adds on one int, whose sign bit marks the entry dead; whoever brings it to "dead, no
 * lease" frees the block, exactly once. The frequency is read and written with opaque access, by
 * readers holding no lock (a lost increment under a race is harmless). The queue links are
 * GUARDED_BY(ValueCache.lock). Size, with compressed oops: 48 bytes (see {@code ValueCache}'s memory
 * per entry).
 */
final class CacheEntry {
    /** Where a frequency stops counting (two bits). */
    static final int FREQ_MAX = 3;
    /** The DEAD bit of {@link #state}: unlinked, takes no new lease. */
    private static final int DEAD = Integer.MIN_VALUE;

    private static final VarHandle STATE;
    private static final VarHandle FREQ;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(CacheEntry.class, "state", int.class);
            FREQ = l.findVarHandle(CacheEntry.class, "freq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final byte[] key;
    final int hash;
    /** Read-only view of the malloced block. */
    final MemorySegment value;
    /** Where the block is freed. */
    private final CacheMemory memory;
    /** The count of leases, with {@link #DEAD} once it was evicted or invalidated. Through {@link #STATE}. */
    @SuppressWarnings("unused")
    private volatile int state;
    /** Reads since admission (or since M last examined it), capped at {@link #FREQ_MAX}. Opaque access. */
    @SuppressWarnings("unused")
    private int freq;
    /** GUARDED_BY(ValueCache.lock). */
    CacheEntry prev;
    /** GUARDED_BY(ValueCache.lock). */
    CacheEntry next;
    /** {@link S3FifoPolicy#SMALL}, {@link S3FifoPolicy#MAIN} or 0 (in no queue). GUARDED_BY(ValueCache.lock). */
    byte queue;

    CacheEntry(byte[] key, int hash, MemorySegment value, CacheMemory memory) {
        this.key = key;
        this.hash = hash;
        this.value = value;
        this.memory = memory;
    }

    /** The charge against the capacity: the value's bytes, at least {@link ValueCache#MIN_CHARGE_BYTES}. */
    long charge() {
        return Math.max(ValueCache.MIN_CHARGE_BYTES, value.byteSize());
    }

    /** A read: raises the frequency by one, up to {@link #FREQ_MAX}, with no lock. */
    void touch() {
        int f = (int) FREQ.getOpaque(this);
        if (f < FREQ_MAX) {
            FREQ.setOpaque(this, f + 1);
        }
    }

    int freq() {
        return (int) FREQ.getOpaque(this);
    }

    void freq(int f) {
        FREQ.setOpaque(this, f);
    }

    /** Takes a lease unless the entry is dead. */
    boolean retain() {
        for (int s = state; s >= 0; s = state) {
            if (STATE.compareAndSet(this, s, s + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Gives a lease back; the last one of a dead entry frees it. */
    void release() {
        if ((int) STATE.getAndAdd(this, -1) == (DEAD | 1)) {
            memory.free(value);
        }
    }

    /** No new leases; frees the value now if none is held. Called once, under the lock or before publication. */
    void kill() {
        if ((int) STATE.getAndBitwiseOr(this, DEAD) == 0) {
            memory.free(value);
        }
    }
}
