package io.rawio.store;

import java.util.Arrays;

/**
 * The in-memory index key -> (position, value length, data CRC), an open-addressing hash table with
 * linear probing and backward-shift deletion in two parallel arrays (key, position), and three arrays
 * by slot (the key living in the slot, for eviction; the value length with the hot flag in its top
 * bit; the data CRC, which lets a get check a block-aligned value read without its header). Per key
 * it costs the key's own {@code byte[]} (a 16-byte array header, the key padded to 8 bytes) and, at
 * the 0.375 to 0.75 load factor it keeps, 1.3 to 2.7 table entries of 12 bytes (a key reference, 4
 * with compressed oops, and the position, 8); per slot of the ring 12 bytes. With compressed oops and
 * a ring about as long as the keys it holds, that is about 20 + 23 + 12 = 55 bytes plus the key bytes
 * on average (64 just after the table doubled); {@link #memoryBytes()} counts it. Not thread-safe: the
 * store guards it.
 */
final class KeyIndex {
    /**
     * The most slots (so the most live keys) a store may have: three quarters of the largest table of
     * power-of-two length a Java array holds (2^30 entries), the load past which the table would have to
     * double. The formatter refuses more and an open of a store with more fails clearly.
     */
    static final long MAX_SLOTS = 3L << 28;

    private byte[][] keys;
    private long[] positions;
    private int size;
    private long valueBytes;
    /** The sum of the keys' lengths. */
    private long keyBytes;
    /** The key whose live value sits in each slot of the ring, or null. */
    private final byte[][] slotKeys;
    /** By slot: the live value's length in the low 31 bits, the hot flag in bit 31 (a slot is at most 1 GiB). */
    private final int[] slotValueLengths;
    /** By slot: the live slot's data CRC, CRC32C(key ++ value). */
    private final int[] slotDataCrcs;
    /**
     * By slot: the live slot's version (the store-wide write order), kept only for stores of several
     * slot classes, where a checkpoint must say which of two slots of a key in different classes is
     * newer; null for one class (8 bytes a slot saved).
     */
    private final long[] slotVersions;
    private final long slotCount;
    /** Global position -> slot number over all classes (the superblock's geometry). */
    private final java.util.function.LongToIntFunction slotOfPosition;

    /** An index of a one-class ring of {@code slotCount} slots. */
    KeyIndex(long slotCount) {
        this(slotCount, p -> (int) Long.remainderUnsigned(p, slotCount), false);
    }

    /** An index of a store's slots of every class, positions mapped to slots by its superblock. */
    KeyIndex(SuperblockDescriptor.Superblock sb) {
        this(sb.slotCount(), sb::slotOf, sb.classes().size() > 1);
    }

    private KeyIndex(long slotCount, java.util.function.LongToIntFunction slotOfPosition, boolean versions) {
        if (slotCount < 0 || slotCount > MAX_SLOTS) {
            throw new IllegalArgumentException("an index holds at most " + MAX_SLOTS + " slots: slotCount=" + slotCount);
        }
        this.slotCount = slotCount;
        this.slotOfPosition = slotOfPosition;
        this.slotKeys = new byte[(int) slotCount][];
        this.slotValueLengths = new int[(int) slotCount];
        this.slotDataCrcs = new int[(int) slotCount];
        this.slotVersions = versions ? new long[(int) slotCount] : null;
        allocate(16);
    }

    /**
     * What a checkpoint encodes, copied in one pass over the table (O(table) time, O(keys) memory),
     * so that the lock guarding this index is held only for the copy ({@link IndexEntries}).
     */
    IndexEntries entriesCopy() {
        byte[][] k = new byte[size][];
        long[] p = new long[size];
        int[] lengths = new int[size];
        int[] crcs = new int[size];
        long[] v = slotVersions == null ? null : new long[size];
        int j = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                int slot = slotOf(positions[i]);
                k[j] = keys[i];
                p[j] = positions[i];
                lengths[j] = slotValueLengths[slot] & Integer.MAX_VALUE;
                crcs[j] = slotDataCrcs[slot];
                if (v != null) {
                    v[j] = slotVersions[slot];
                }
                j++;
            }
        }
        return new IndexEntries(k, p, lengths, crcs, v, keyBytes);
    }

    /** The entry's version, or 0 where the index keeps none (one slot class). */
    long versionAt(int entry) {
        return slotVersions == null ? 0 : slotVersions[slotOf(positions[entry])];
    }

    /** Records the version of the value at {@code position} (kept only with several classes). */
    void setVersion(long position, long version) {
        if (slotVersions != null) {
            slotVersions[slotOf(position)] = version;
        }
    }

    /** Forgets every key. */
    void clear() {
        allocate(16);
        size = 0;
        valueBytes = 0;
        keyBytes = 0;
        Arrays.fill(slotKeys, null);
    }

    private void allocate(int capacity) {
        keys = new byte[capacity][];
        positions = new long[capacity];
    }

    /**
     * A hash's home entry in a table of {@code capacity} (a power of two) entries: its TOP bits, so that
     * doubling the table splits entry b into 2b and 2b + 1 and keeps the order of homes; a scan cursor
     * given as a hash stays valid across a rehash (see {@link #scan}).
     */
    static int home(int hash, int capacity) {
        return (int) ((hash & 0xffffffffL) >>> (32 - Integer.numberOfTrailingZeros(capacity)));
    }

    /**
     * Backward-shift deletion in a linear-probing table: whether the entry at {@code i}, whose home is
     * {@code home}, may move into the hole at {@code hole} (an earlier slot of its probe run), that is,
     * whether its home is not in the slots after the hole up to {@code i}, going round the table.
     */
    static boolean movesIntoHole(int hole, int i, int home) {
        return hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
    }

    /** The first empty entry of {@code table} on {@code key}'s probe run (a key known not to be in it). */
    static int freeEntry(byte[][] table, byte[] key) {
        int mask = table.length - 1;
        int i = home(hash(key), table.length);
        while (table[i] != null) {
            i = (i + 1) & mask;
        }
        return i;
    }

    static int hash(byte[] key) {
        // Arrays.hashCode, then MurmurHash3's finalizer, so that the low bits the table uses depend on
        // every byte of the key.
        int h = Arrays.hashCode(key);
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /**
     * Makes room for {@code n} keys without growing. Loading a checkpoint calls this first, so that its
     * keys, listed in the writer's table order, are not inserted into a table that starts small and
     * doubles on the way.
     */
    void reserve(long n) {
        long capacity = keys.length;
        while (n * 4 > capacity * 3) {
            capacity *= 2;
        }
        if (capacity > keys.length) {
            if (capacity > (1 << 30)) {
                throw new IllegalArgumentException("too many keys for the index: " + n);
            }
            rehash((int) capacity);
        }
    }

    /** The mean number of table entries a lookup of a present key looks at (1 when none collide). */
    double meanProbeLength() {
        if (size == 0) {
            return 0;
        }
        int mask = keys.length - 1;
        long total = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                total += ((i - home(hash(keys[i]), keys.length)) & mask) + 1;
            }
        }
        return (double) total / size;
    }

    private int find(byte[] key, int h) {
        int mask = keys.length - 1;
        for (int i = home(h, keys.length); ; i = (i + 1) & mask) {
            byte[] k = keys[i];
            if (k == null) {
                return -1;
            }
            if (Arrays.equals(k, key)) {
                return i;
            }
        }
    }

    /** The table entry of a key, or -1. */
    int find(byte[] key) {
        return find(key, hash(key));
    }

    long positionAt(int entry) {
        return positions[entry];
    }

    int valueLengthAt(int entry) {
        return slotValueLengths[slotOf(positions[entry])] & Integer.MAX_VALUE;
    }

    int dataCrcAt(int entry) {
        return slotDataCrcs[slotOf(positions[entry])];
    }

    void markHot(int entry) {
        slotValueLengths[slotOf(positions[entry])] |= Integer.MIN_VALUE;
    }

    boolean isHot(int entry) {
        return slotValueLengths[slotOf(positions[entry])] < 0;
    }

    int slotOf(long position) {
        return slotOfPosition.applyAsInt(position);
    }

    /** The key whose value lives in a slot, {@link #BUSY}, or null. */
    byte[] keyInSlot(int slot) {
        return slotKeys[slot];
    }

    /** Marks an empty slot that is being written outside the lock, so that no allocation takes it meanwhile. */
    static final byte[] BUSY = new byte[0];

    void markBusy(int slot) {
        if (slotKeys[slot] != null) {
            throw new IllegalStateException("slot " + slot + " is not empty");
        }
        slotKeys[slot] = BUSY;
    }

    void clearBusy(int slot) {
        if (slotKeys[slot] == BUSY) {
            slotKeys[slot] = null;
        }
    }

    /**
     * Records that {@code key}'s value is at {@code position}, replacing any earlier position (whose
     * slot no longer holds a live key). Returns the earlier position, or -1.
     */
    long put(byte[] key, long position, int valueLength, int dataCrc) {
        return putAt(find(key), key, position, valueLength, dataCrc);
    }

    /**
     * {@link #put} for a key whose entry the caller found with {@link #find} ({@code e}, or -1 when
     * absent), the table unchanged since: the key is not looked up again.
     */
    long putAt(int e, byte[] key, long position, int valueLength, int dataCrc) {
        long previous = -1;
        if (e >= 0) {
            previous = positions[e];
            int oldSlot = slotOf(previous);
            if (slotKeys[oldSlot] == keys[e]) {
                slotKeys[oldSlot] = null;
            }
            valueBytes -= valueLengthAt(e);
            positions[e] = position;
            key = keys[e];
        } else {
            if ((size + 1) * 4L > keys.length * 3L) {
                rehash(keys.length * 2);
            }
            int i = freeEntry(keys, key);
            keys[i] = key;
            positions[i] = position;
            size++;
            keyBytes += key.length;
        }
        valueBytes += valueLength;
        int slot = slotOf(position);
        slotKeys[slot] = key;
        slotValueLengths[slot] = valueLength;
        slotDataCrcs[slot] = dataCrc;
        return previous;
    }

    /** Removes a key; returns its position, or -1 when it was absent. */
    long remove(byte[] key) {
        return removeAt(find(key));
    }

    /**
     * {@link #remove} of the key whose entry the caller found with {@link #find} ({@code e}, or -1 when
     * absent: nothing is removed), the table unchanged since.
     */
    long removeAt(int e) {
        if (e < 0) {
            return -1;
        }
        long position = positions[e];
        int slot = slotOf(position);
        if (slotKeys[slot] == keys[e]) {
            slotKeys[slot] = null;
        }
        valueBytes -= valueLengthAt(e);
        deleteAt(e);
        return position;
    }

    /** Removes whatever key lives in a slot (it is being overwritten); returns that key or null. */
    byte[] evictSlot(int slot) {
        byte[] key = slotKeys[slot];
        if (key != null) {
            remove(key);
        }
        return key;
    }

    private void deleteAt(int e) {
        int mask = keys.length - 1;
        keyBytes -= keys[e].length;
        keys[e] = null;
        size--;
        // Backward-shift deletion: move later members of the probe run into the hole.
        int hole = e;
        for (int i = (e + 1) & mask; keys[i] != null; i = (i + 1) & mask) {
            if (movesIntoHole(hole, i, home(hash(keys[i]), keys.length))) {
                keys[hole] = keys[i];
                positions[hole] = positions[i];
                keys[i] = null;
                hole = i;
            }
        }
    }

    private void rehash(int capacity) {
        byte[][] k = keys;
        long[] p = positions;
        allocate(capacity);
        for (int j = 0; j < k.length; j++) {
            if (k[j] != null) {
                int i = freeEntry(keys, k[j]);
                keys[i] = k[j];
                positions[i] = p[j];
            }
        }
    }

    int size() {
        return size;
    }

    long valueBytes() {
        return valueBytes;
    }

    long keyBytes() {
        return keyBytes;
    }

    /** Visits every table entry that holds a key, by its number (for {@link #keyAt} and the *At accessors). */
    void forEachEntry(java.util.function.IntConsumer visitor) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                visitor.accept(i);
            }
        }
    }

    /** The key of a table entry (the index's own array: do not modify). */
    byte[] keyAt(int entry) {
        return keys[entry];
    }

    /**
     * One page of a scan: the keys whose hash is at least {@code cursor} (an unsigned 32-bit hash; 0 to
     * start) and whose home lies in the next {@code count} home entries, visited by table entry; returns
     * the cursor of the next page, or 0 when this page reached the end. Keys are handed out in order of
     * their hash's top bits, which a rehash to a larger table keeps, so a key present from the first page
     * to the last is visited at least once (Redis SCAN's guarantee); the table never shrinks.
     */
    long scan(long cursor, int count, java.util.function.IntConsumer visitor) {
        int capacity = keys.length;
        int bits = Integer.numberOfTrailingZeros(capacity);
        long from = cursor >>> (32 - bits); // the first home of this page
        long to = Math.min(capacity, from + Math.max(1, count));
        int mask = capacity - 1;
        // Keys with a home in [from, to) lie between their home and the first empty entry after it,
        // which for the last home of the page may be past `to`, or round the end of the table.
        for (long i = from, steps = 0; steps < capacity; i++, steps++) {
            int at = (int) (i & mask);
            byte[] k = keys[at];
            if (k == null) {
                if (i >= to) {
                    break;
                }
                continue;
            }
            long kh = hash(k) & 0xffffffffL;
            long home = kh >>> (32 - bits);
            if (home >= from && home < to && kh >= cursor) {
                visitor.accept(at);
            }
        }
        return to >= capacity ? 0 : to << (32 - bits);
    }

    /** Visits every entry: key, position, value length, data CRC. */
    void forEach(EntryVisitor visitor) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                visitor.visit(keys[i], positions[i], valueLengthAt(i), dataCrcAt(i));
            }
        }
    }

    /** Heap bytes of the index: the table, the key arrays and the arrays by slot. */
    long memoryBytes() {
        long table = (long) keys.length * (REFERENCE_BYTES + 8);
        long[] keyBytes = {0};
        forEach((k, p, l, c) -> keyBytes[0] += 16 + ((k.length + 7) & ~7));
        return table + keyBytes[0] + slotCount * (REFERENCE_BYTES + 4 + 4 + (slotVersions == null ? 0 : 8));
    }

    /** 4 with compressed oops (heaps under 32 GiB, the default), else 8. */
    static final int REFERENCE_BYTES = compressedOops() ? 4 : 8;

    private static boolean compressedOops() {
        try {
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean == null || Boolean.parseBoolean(bean.getVMOption("UseCompressedOops").getValue());
        } catch (RuntimeException e) {
            return true;
        }
    }

    interface EntryVisitor {
        void visit(byte[] key, long position, int valueLength, int dataCrc);
    }
}
