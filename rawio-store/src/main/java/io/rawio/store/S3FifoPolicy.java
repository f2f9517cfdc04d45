package io.rawio.store;

import java.util.function.Consumer;

/**
 * The DRAM tier's admission and eviction: S3-FIFO (Yang, Zhang, Qiu, Yue, Rashmi, "FIFO queues are all
 * you need for cache eviction", SOSP'23), over the bytes charged against the capacity. It decides which
 * entries stay and which go; it does not free or unlink them: an evicted entry is handed to the
 * consumer given at construction, which does that.
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
 * moves no list node, it only raises a 2-bit frequency (capped at 3) with a plain store
 * ({@link CacheEntry#touch}), so a hit takes no lock; LRU would have to move the entry to the front of
 * a list under a lock on every hit.
 *
 * <h2>Ghost keys</h2>
 * {@code G} is not a list but a 2-way set-associative table of key hashes, each with the sequence
 * number of its eviction from {@code S}; a ghost counts while it is among the latest
 * {@code ghostLimit} evictions, about as many as {@code M} holds entries (the paper's choice), at most
 * {@link #GHOST_MAX}. Its slots take 12 bytes, 2 to 4 per ghost key (see {@code ValueCache}'s memory
 * per entry). Two keys with the same hash share a ghost: a harmless error of admission.
 *
 * <h2>Threads</h2>
 * Not thread-safe: every field, and the queue links of the entries, is GUARDED_BY(ValueCache.lock). The
 * frequencies are the exception: readers raise them with no lock, and this class reads and lowers them
 * with opaque access, so that a read racing an eviction may be lost (harmless).
 */
final class S3FifoPolicy {
    /** The small queue's share of the capacity, in percent (the paper's 10%). */
    static final int SMALL_PERCENT = 10;
    /** The most ghost keys remembered, whatever the capacity. */
    static final int GHOST_MAX = 1 << 22;
    /** {@link CacheEntry#queue} of an entry in {@code S}. */
    static final byte SMALL = 1;
    /** {@link CacheEntry#queue} of an entry in {@code M}. */
    static final byte MAIN = 2;

    private final long capacityBytes;
    private final long smallTargetBytes;
    /** Called with each evicted entry, already out of its queue and uncharged. */
    private final Consumer<CacheEntry> evicted;

    private final Queue small = new Queue(SMALL);
    private final Queue main = new Queue(MAIN);
    /** Ghost keys: a 2-way set-associative table of key hashes and the sequence number of their eviction. */
    private int[] ghostHashes = new int[64];
    /** 0: empty slot. */
    private long[] ghostSeqs = new long[64];
    /** Evictions from S so far. */
    private long ghostSeq;
    /** How many of the latest ghost keys count: about as many as {@code M} holds entries. */
    private long ghostLimit = 64;
    /** Bytes charged against the capacity ({@link CacheEntry#charge}). */
    private long chargedBytes;
    /** Entries in the queues, evicted ones excepted. */
    private long entries;

    S3FifoPolicy(long capacityBytes, Consumer<CacheEntry> evicted) {
        this.capacityBytes = capacityBytes;
        this.smallTargetBytes = capacityBytes * SMALL_PERCENT / 100;
        this.evicted = evicted;
    }

    /**
     * Admits the entry of a key not cached: into {@code M} if the key is a ghost (it is then forgotten),
     * else into {@code S}, with frequency 0. Evicts first until its charge fits.
     */
    void admit(CacheEntry e) {
        place(e, ghostTake(e.hash) ? MAIN : SMALL, 0);
    }

    /**
     * Admits a newer copy of a cached value in the place of the old one, which was {@link #remove}d: it
     * keeps the old one's queue and frequency (read before the removal). Evicts first until its charge fits.
     */
    void replace(CacheEntry e, byte queue, int freq) {
        place(e, queue, freq);
    }

    /** Takes an entry out of its queue (an invalidation or a replacement, not an eviction). */
    void remove(CacheEntry e) {
        (e.queue == MAIN ? main : small).unlink(e);
        uncharge(e);
    }

    /** Takes every entry out of the queues, oldest of {@code S} first, then of {@code M}, and hands it to {@code each}. */
    void drain(Consumer<CacheEntry> each) {
        for (Queue q : new Queue[] {small, main}) {
            while (q.head != null) {
                CacheEntry e = q.head;
                q.unlink(e);
                each.accept(e);
            }
        }
        chargedBytes = 0;
        entries = 0;
    }

    long entries() {
        return entries;
    }

    long chargedBytes() {
        return chargedBytes;
    }

    /** Charged bytes in {@code S}; for tests. */
    long smallBytes() {
        return small.bytes;
    }

    /** Charged bytes in {@code M}; for tests. */
    long mainBytes() {
        return main.bytes;
    }

    private void place(CacheEntry e, byte queue, int freq) {
        makeRoom(e.charge());
        e.freq(freq);
        (queue == MAIN ? main : small).append(e);
        chargedBytes += e.charge();
        entries++;
    }

    /** Evicts until {@code need} more bytes fit. */
    private void makeRoom(long need) {
        while (chargedBytes + need > capacityBytes && (small.head != null || main.head != null)) {
            if (main.head == null || (small.head != null && small.bytes >= smallTargetBytes)) {
                evictSmall();
            } else {
                evictMain();
            }
        }
    }

    /** S's oldest entries move to M if they were read while in S, until one not read leaves (to G). */
    private void evictSmall() {
        while (small.head != null) {
            CacheEntry e = small.head;
            small.unlink(e);
            if (e.freq() > 0) {
                main.append(e);
            } else {
                ghostAdd(e.hash);
                drop(e);
                return;
            }
        }
    }

    /** M's oldest entries go round again while their frequency, decremented each time, is above 0. */
    private void evictMain() {
        // Readers may raise frequencies while this runs; after four rounds the oldest goes whatever it is.
        long budget = 4 * main.count + 1;
        while (main.head != null) {
            CacheEntry e = main.head;
            main.unlink(e);
            int f = e.freq();
            if (f > 0 && budget-- > 0) {
                e.freq(f - 1);
                main.append(e);
            } else {
                drop(e);
                return;
            }
        }
    }

    /** An eviction of an entry already out of its queue. */
    private void drop(CacheEntry e) {
        uncharge(e);
        evicted.accept(e);
    }

    private void uncharge(CacheEntry e) {
        chargedBytes -= e.charge();
        entries--;
    }

    /** Remembers that a key left S unread. */
    private void ghostAdd(int h) {
        // About as many ghost keys as M holds entries (the paper's choice), estimated from the mean
        // charge of the entries now cached (the one leaving included).
        long mean = entries > 0 ? Math.max(ValueCache.MIN_CHARGE_BYTES, chargedBytes / entries) : ValueCache.MIN_CHARGE_BYTES;
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

    /** Whether a key is a ghost; if so it is forgotten (it is going into M). */
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

    /** A FIFO of entries, oldest at the head, through the entries' own links. */
    private static final class Queue {
        final byte tag;
        CacheEntry head;
        CacheEntry tail;
        long count;
        long bytes;

        Queue(byte tag) {
            this.tag = tag;
        }

        void append(CacheEntry e) {
            e.queue = tag;
            e.prev = tail;
            e.next = null;
            if (tail == null) {
                head = e;
            } else {
                tail.next = e;
            }
            tail = e;
            count++;
            bytes += e.charge();
        }

        void unlink(CacheEntry e) {
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
            bytes -= e.charge();
        }
    }
}
