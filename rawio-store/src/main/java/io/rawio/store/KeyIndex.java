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
    private final long slotCount;

    KeyIndex(long slotCount) {
        this.slotCount = slotCount;
        this.slotKeys = new byte[(int) slotCount][];
        this.slotValueLengths = new int[(int) slotCount];
        this.slotDataCrcs = new int[(int) slotCount];
        allocate(16);
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
                total += ((i - (hash(keys[i]) & mask)) & mask) + 1;
            }
        }
        return (double) total / size;
    }

    private int find(byte[] key, int h) {
        int mask = keys.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
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
        return (int) Long.remainderUnsigned(position, slotCount);
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
        int h = hash(key);
        int e = find(key, h);
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
            int mask = keys.length - 1;
            int i = h & mask;
            while (keys[i] != null) {
                i = (i + 1) & mask;
            }
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
        int e = find(key);
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
            int home = hash(keys[i]) & mask;
            boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
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
        int mask = capacity - 1;
        for (int j = 0; j < k.length; j++) {
            if (k[j] != null) {
                int i = hash(k[j]) & mask;
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
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
        return table + keyBytes[0] + slotCount * (REFERENCE_BYTES + 4 + 4);
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
