package io.rawio.store;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.rawio.nativeio.Libc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The DRAM tier in front of the slots: values that were read (and, optionally, written), copied
 * off-heap, bounded in bytes, so that a hit costs no I/O and no CRC check. Admission and eviction are
 * S3-FIFO (Yang, Zhang, Qiu, Yue, Rashmi, "FIFO queues are all you need for cache eviction", SOSP'23).
 *
 * <h2>Why S3-FIFO</h2>
 * Most keys of a skewed workload are read once and never again ("one-hit wonders"). S3-FIFO admits a
 * new key into a small FIFO {@code S} (10% of the bytes) and demotes it quickly: when it reaches the
 * head of {@code S} without having been read again, it leaves, and only its key is remembered in a
 * ghost FIFO {@code G}. A key read again while in {@code S}, or missed again while its key is in
 * {@code G}, earns a place in the main FIFO {@code M} (90%), which evicts like CLOCK: an entry read
 * since it was last examined goes round again. So a one-time scan streams through {@code S} and never
 * touches {@code M}, where LRU would flush its whole working set; on Zipf traffic the paper (and
 * {@code ValueCacheHitRatioTest}) find it at least as good as LRU. And the queues are FIFOs: a hit
 * moves no list node, it only raises a 2-bit frequency (capped at 3) with a plain store, so a hit
 * takes no lock; LRU would have to move the entry to the front of a list under a lock on every hit.
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
 * Each value is one {@code malloc}ed block, copied in by {@link #put}; a get returns a {@link Lease} on
 * a read-only segment of it, with no copy. An entry counts its leases; one evicted or invalidated while
 * leased is unlinked at once (no later get finds it) and freed when its last lease closes. The segment
 * must not be used after its lease is closed: it may then be freed memory.
 *
 * <h2>Threads</h2>
 * Safe for any number of threads. A get takes no lock: it reads the hash table through a volatile array
 * reference and immutable chain nodes, takes a lease with one compare-and-set on the entry's count, and
 * raises its frequency with an opaque store (a lost increment under a race is harmless). Puts,
 * invalidates, evictions and close take {@link #lock}, which guards the queues, the ghost keys, the
 * stripe versions' writes and the counters; nothing else is taken, and no I/O is done, while it is held
 * (malloc and the copy of a value happen before it is taken; an evicted value is freed under it).
 */
final class ValueCache implements AutoCloseable {
    /** A value larger than {@code capacity / ADMIT_DIVISOR} is not admitted. */
    static final int ADMIT_DIVISOR = 8;
    /** The least a value is charged against the capacity, which bounds the number of entries. */
    static final long MIN_CHARGE_BYTES = 64;
    /** The small queue's share of the capacity, in percent (the paper's 10%). */
    static final int SMALL_PERCENT = 10;
    /** Where a frequency stops counting (two bits). */
    static final int FREQ_MAX = 3;
    /** Invalidation versions are kept per stripe of keys (by hash), not per key, so they take fixed memory. */
    static final int STRIPES = 1 << 12;
    /** Memory per entry besides the value's and the key's bytes; see the class comment. */
    static final int ENTRY_OVERHEAD_BYTES = 200;
    /** The most ghost keys remembered, whatever the capacity. */
    static final int GHOST_MAX = 1 << 22;

    private static final MethodHandle MALLOC = Libc.plainCall("malloc",
            FunctionDescriptor.of(ADDRESS, JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle FREE = Libc.plainCall("free",
            FunctionDescriptor.ofVoid(ADDRESS), Linker.Option.critical(false));
    private static final VarHandle BUCKET = MethodHandles.arrayElementVarHandle(Node[].class);
    private static final VarHandle VERSION = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle STATE;
    private static final VarHandle FREQ;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Entry.class, "state", int.class);
            FREQ = l.findVarHandle(Entry.class, "freq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final byte SMALL = 1;
    private static final byte MAIN = 2;

    private final boolean enabled;
    private final long capacityBytes;
    private final long maxValueBytes;
    private final long smallTargetBytes;

    private final ReentrantLock lock = new ReentrantLock();
    /**
     * The buckets: chains of immutable nodes, newest first. Written under {@link #lock} (a bucket with a
     * release store, a grown table with the volatile store); read without it.
     */
    private volatile Node[] table = new Node[16];
    /** Invalidation versions by stripe. Written GUARDED_BY(lock) with release stores; read with acquire loads. */
    private final long[] versions;
    /** GUARDED_BY(lock). */
    private final Queue small = new Queue();
    /** GUARDED_BY(lock). */
    private final Queue main = new Queue();
    /** Ghost keys: a 2-way set-associative table of key hashes and the sequence number of their eviction. GUARDED_BY(lock). */
    private int[] ghostHashes = new int[64];
    /** GUARDED_BY(lock). 0: empty slot. */
    private long[] ghostSeqs = new long[64];
    /** Evictions from S so far. GUARDED_BY(lock). */
    private long ghostSeq;
    /** How many of the latest ghost keys count: about as many as {@code M} holds entries. GUARDED_BY(lock). */
    private long ghostLimit = 64;
    /** Bytes charged against the capacity. GUARDED_BY(lock). */
    private long chargedBytes;
    /** GUARDED_BY(lock). */
    private long valueBytes;
    /** GUARDED_BY(lock). */
    private long entries;
    /** GUARDED_BY(lock). */
    private long admissions;
    /** GUARDED_BY(lock). */
    private long evictions;
    /** GUARDED_BY(lock). */
    private boolean closed;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    /** Blocks malloced and not yet freed; for tests. */
    private final AtomicLong liveAllocations = new AtomicLong();

    ValueCache(long capacityBytes) {
        this.enabled = capacityBytes > 0;
        this.capacityBytes = Math.max(0, capacityBytes);
        this.maxValueBytes = this.capacityBytes / ADMIT_DIVISOR;
        this.smallTargetBytes = this.capacityBytes * SMALL_PERCENT / 100;
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
        int h = hash(key);
        Node[] t = table;
        for (Node n = (Node) BUCKET.getAcquire(t, h & (t.length - 1)); n != null; n = n.next) {
            Entry e = n.entry;
            if (e.hash == h && Arrays.equals(e.key, key)) {
                if (e.retain()) {
                    int f = (int) FREQ.getOpaque(e);
                    if (f < FREQ_MAX) {
                        FREQ.setOpaque(e, f + 1);
                    }
                    hits.increment();
                    return new Lease(e);
                }
                break; // invalidated or evicted: a newer entry of the key would be ahead of it in the chain
            }
        }
        misses.increment();
        return null;
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
        MemorySegment copy = allocate(size);
        if (copy == null) {
            return false;
        }
        MemorySegment.copy(value, 0, copy, 0, size);
        Entry e = new Entry(key.clone(), h, copy.asReadOnly());
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
            Entry e = find(key, h);
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
            return new Stats(hits.sum(), misses.sum(), admissions, evictions, valueBytes, entries);
        } finally {
            lock.unlock();
        }
    }

    /** Blocks of off-heap memory not yet freed (leased entries of a closed cache included); for tests. */
    long liveAllocations() {
        return liveAllocations.get();
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
            for (Queue q : new Queue[] {small, main}) {
                while (q.head != null) {
                    Entry e = q.head;
                    q.unlink(e);
                    e.kill();
                }
            }
            table = new Node[1];
            chargedBytes = 0;
            valueBytes = 0;
            entries = 0;
        } finally {
            lock.unlock();
        }
    }

    // ---- under the lock -------------------------------------------------------------------------

    /** GUARDED_BY(lock). */
    private void insert(Entry e) {
        Entry old = find(e.key, e.hash);
        byte queue;
        int freq = 0;
        if (old != null) {
            // A newer copy of a cached value (both passed the token check): it keeps the old one's place.
            queue = old.queue;
            freq = (int) FREQ.getOpaque(old);
            remove(old);
        } else {
            queue = ghostTake(e.hash) ? MAIN : SMALL;
        }
        makeRoom(charge(e));
        FREQ.setOpaque(e, freq);
        (queue == MAIN ? main : small).append(e);
        chargedBytes += charge(e);
        valueBytes += e.value.byteSize();
        entries++;
        admissions++;
        link(e);
    }

    /** Evicts until {@code need} more bytes fit. GUARDED_BY(lock). */
    private void makeRoom(long need) {
        while (chargedBytes + need > capacityBytes && (small.head != null || main.head != null)) {
            if (main.head == null || (small.head != null && small.bytes >= smallTargetBytes)) {
                evictSmall();
            } else {
                evictMain();
            }
        }
    }

    /** S's oldest entries move to M if they were read while in S, until one not read leaves (to G). GUARDED_BY(lock). */
    private void evictSmall() {
        while (small.head != null) {
            Entry e = small.head;
            small.unlink(e);
            if ((int) FREQ.getOpaque(e) > 0) {
                main.append(e);
            } else {
                ghostAdd(e.hash);
                drop(e);
                return;
            }
        }
    }

    /** M's oldest entries go round again while their frequency, decremented each time, is above 0. GUARDED_BY(lock). */
    private void evictMain() {
        // Readers may raise frequencies while this runs; after four rounds the oldest goes whatever it is.
        long budget = 4 * main.count + 1;
        while (main.head != null) {
            Entry e = main.head;
            main.unlink(e);
            int f = (int) FREQ.getOpaque(e);
            if (f > 0 && budget-- > 0) {
                FREQ.setOpaque(e, f - 1);
                main.append(e);
            } else {
                drop(e);
                return;
            }
        }
    }

    /** An eviction. GUARDED_BY(lock). */
    private void drop(Entry e) {
        unlinkFromTable(e);
        account(e);
        evictions++;
        e.kill();
    }

    /** An invalidation or a replacement. GUARDED_BY(lock). */
    private void remove(Entry e) {
        (e.queue == MAIN ? main : small).unlink(e);
        unlinkFromTable(e);
        account(e);
        e.kill();
    }

    private void account(Entry e) {
        chargedBytes -= charge(e);
        valueBytes -= e.value.byteSize();
        entries--;
    }

    private static long charge(Entry e) {
        return Math.max(MIN_CHARGE_BYTES, e.value.byteSize());
    }

    private Entry find(byte[] key, int h) {
        Node[] t = table;
        for (Node n = t[h & (t.length - 1)]; n != null; n = n.next) {
            if (n.entry.hash == h && Arrays.equals(n.entry.key, key)) {
                return n.entry;
            }
        }
        return null;
    }

    /** GUARDED_BY(lock). */
    private void link(Entry e) {
        Node[] t = table;
        if (entries > t.length - (t.length >>> 2)) {
            t = grow(t);
        }
        int i = e.hash & (t.length - 1);
        BUCKET.setRelease(t, i, new Node(e, t[i]));
    }

    /** A new table with new nodes: readers still walking the old one see it unchanged. GUARDED_BY(lock). */
    private Node[] grow(Node[] old) {
        Node[] t = new Node[old.length * 2];
        int mask = t.length - 1;
        for (Node head : old) {
            for (Node n = head; n != null; n = n.next) {
                int i = n.entry.hash & mask;
                t[i] = new Node(n.entry, t[i]);
            }
        }
        table = t; // the volatile store publishes the nodes
        return t;
    }

    /** Rebuilds the part of the chain in front of the entry's node; the nodes after it are shared. GUARDED_BY(lock). */
    private void unlinkFromTable(Entry e) {
        Node[] t = table;
        int i = e.hash & (t.length - 1);
        Node head = t[i];
        Node n = head;
        while (n != null && n.entry != e) {
            n = n.next;
        }
        if (n == null) {
            return;
        }
        Node rebuilt = n.next;
        Node[] prefix = new Node[8];
        int count = 0;
        for (Node p = head; p != n; p = p.next) {
            if (count == prefix.length) {
                prefix = Arrays.copyOf(prefix, count * 2);
            }
            prefix[count++] = p;
        }
        for (int k = count - 1; k >= 0; k--) {
            rebuilt = new Node(prefix[k].entry, rebuilt);
        }
        BUCKET.setRelease(t, i, rebuilt);
    }

    /** Remembers that a key left S unread. GUARDED_BY(lock). */
    private void ghostAdd(int h) {
        // About as many ghost keys as M holds entries (the paper's choice), estimated from the mean
        // charge of the entries now cached.
        long mean = entries > 0 ? Math.max(MIN_CHARGE_BYTES, chargedBytes / entries) : MIN_CHARGE_BYTES;
        ghostLimit = Math.max(64, Math.min(GHOST_MAX, (capacityBytes - smallTargetBytes) / mean));
        if (ghostHashes.length < 2 * ghostLimit) {
            growGhosts((int) Long.highestOneBit(4 * ghostLimit - 1));
        }
        ghostSeq++;
        int i = ghostSlot(h, ghostHashes.length);
        // Two ways: the older (or empty) slot of the pair is replaced.
        if (ghostSeqs[i ^ 1] < ghostSeqs[i]) {
            i ^= 1;
        }
        ghostHashes[i] = h;
        ghostSeqs[i] = ghostSeq;
    }

    /** Whether a key is a ghost; if so it is forgotten (it is going into M). GUARDED_BY(lock). */
    private boolean ghostTake(int h) {
        int i = ghostSlot(h, ghostHashes.length);
        for (int j = i; j <= (i | 1); j++) {
            long s = ghostSeqs[j];
            if (s != 0 && ghostHashes[j] == h && ghostSeq - s < ghostLimit) {
                ghostSeqs[j] = 0;
                return true;
            }
        }
        return false;
    }

    private static int ghostSlot(int h, int length) {
        // A different mix from the hash table's low bits, and pairs of slots (i, i ^ 1).
        return ((h * 0x9E3779B9) >>> 7) & (length - 2);
    }

    private void growGhosts(int length) {
        int[] hashes = ghostHashes;
        long[] seqs = ghostSeqs;
        ghostHashes = new int[length];
        ghostSeqs = new long[length];
        for (int k = 0; k < hashes.length; k++) {
            if (seqs[k] != 0) {
                int i = ghostSlot(hashes[k], length);
                if (ghostSeqs[i] != 0) {
                    i ^= 1;
                }
                if (ghostSeqs[i] < seqs[k]) {
                    ghostHashes[i] = hashes[k];
                    ghostSeqs[i] = seqs[k];
                }
            }
        }
    }

    /** Arrays.hashCode, then MurmurHash3's finalizer, so that the low bits the tables use depend on every byte. */
    static int hash(byte[] key) {
        int h = Arrays.hashCode(key);
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    // ---- memory --------------------------------------------------------------------------------

    /** A malloced block of {@code size} bytes, or null when malloc failed. */
    @SuppressWarnings("restricted") // the block is exactly size bytes; it is freed once (Entry's state)
    private MemorySegment allocate(long size) {
        if (size == 0) {
            return MemorySegment.NULL; // nothing to free; its size is 0
        }
        MemorySegment p;
        try {
            p = (MemorySegment) MALLOC.invokeExact(size);
        } catch (Throwable t) {
            throw new IllegalStateException("malloc: size=" + size, t);
        }
        if (p.equals(MemorySegment.NULL)) {
            return null;
        }
        liveAllocations.incrementAndGet();
        return p.reinterpret(size);
    }

    private void free(MemorySegment block) {
        if (block.byteSize() == 0) {
            return;
        }
        try {
            FREE.invokeExact(block);
        } catch (Throwable t) {
            throw new IllegalStateException("free: address=" + block.address(), t);
        }
        liveAllocations.decrementAndGet();
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

        private Entry entry;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        /** The value, read-only; not to be used after {@link #close()}. */
        MemorySegment value() {
            Entry e = entry;
            if (e == null) {
                throw new IllegalStateException("lease closed");
            }
            return e.value;
        }

        @Override
        public void close() {
            Entry e = entry;
            if (e != null) {
                entry = null;
                e.release();
            }
        }
    }

    /** An immutable link of a bucket's chain. */
    private static final class Node {
        final Entry entry;
        final Node next;

        Node(Entry entry, Node next) {
            this.entry = entry;
            this.next = next;
        }
    }

    /** A FIFO of entries, oldest at the head. GUARDED_BY(lock), as are the entries' links. */
    private final class Queue {
        Entry head;
        Entry tail;
        long count;
        long bytes;

        void append(Entry e) {
            e.queue = this == main ? MAIN : SMALL;
            e.prev = tail;
            e.next = null;
            if (tail == null) {
                head = e;
            } else {
                tail.next = e;
            }
            tail = e;
            count++;
            bytes += charge(e);
        }

        void unlink(Entry e) {
            if (e.prev == null) {
                head = e.next;
            } else {
                e.prev.next = e.next;
            }
            if (e.next == null) {
                tail = e.prev;
            } else {
                e.next.prev = e.prev;
            }
            e.prev = null;
            e.next = null;
            e.queue = 0;
            count--;
            bytes -= charge(e);
        }
    }

    /** A cached value. */
    final class Entry {
        /** The DEAD bit of {@link #state}: unlinked, takes no new lease. */
        private static final int DEAD = Integer.MIN_VALUE;

        final byte[] key;
        final int hash;
        /** Read-only view of the malloced block. */
        final MemorySegment value;
        /** The count of leases, with {@link #DEAD} once it was evicted or invalidated. Through {@link #STATE}. */
        @SuppressWarnings("unused")
        private volatile int state;
        /** Reads since admission (or since M last examined it), capped at {@link #FREQ_MAX}. Opaque access. */
        @SuppressWarnings("unused")
        private int freq;
        /** GUARDED_BY(lock). */
        Entry prev;
        /** GUARDED_BY(lock). */
        Entry next;
        /** SMALL, MAIN or 0. GUARDED_BY(lock). */
        byte queue;

        Entry(byte[] key, int hash, MemorySegment value) {
            this.key = key;
            this.hash = hash;
            this.value = value;
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
                free(value);
            }
        }

        /** No new leases; frees the value now if none is held. Called once, under the lock or before publication. */
        void kill() {
            if ((int) STATE.getAndBitwiseOr(this, DEAD) == 0) {
                free(value);
            }
        }
    }
}
