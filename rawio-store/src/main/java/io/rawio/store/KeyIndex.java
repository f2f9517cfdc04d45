package io.rawio.store;

import java.util.Arrays;

/**
 * The in-memory index key -> (position, value length), an open-addressing hash table with linear
 * probing and backward-shift deletion, in three parallel arrays. Per key it costs the key's own
 * {@code byte[]} (a 16-byte array header, the key padded to 8 bytes) and, at the 0.375 to 0.75 load
 * factor it keeps, 1.3 to 2.7 table entries of 16 bytes: a key reference (4 with compressed oops),
 * the position (8) and the value length with the hot flag in its top bit (4). Eviction adds one
 * reference per slot of the ring. With compressed oops that is about 20 + 35 + 4 = 60 bytes plus the
 * key bytes on average; {@link #memoryBytes()} counts it. Not thread-safe: the store guards it.
 */
final class KeyIndex {
    private byte[][] keys;
    private long[] positions;
    /** Value length in the low 31 bits, the hot flag in bit 31 (a slot is at most 1 GiB). */
    private int[] valueLengths;
    private int size;
    private long valueBytes;
    /** The key whose live value sits in each slot of the ring, or null. */
    private final byte[][] slotKeys;
    private final long slotCount;

    KeyIndex(long slotCount) {
        this.slotCount = slotCount;
        this.slotKeys = new byte[(int) slotCount][];
        allocate(16);
    }

    /** Forgets every key. */
    void clear() {
        allocate(16);
        size = 0;
        valueBytes = 0;
        Arrays.fill(slotKeys, null);
    }

    private void allocate(int capacity) {
        keys = new byte[capacity][];
        positions = new long[capacity];
        valueLengths = new int[capacity];
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
        return valueLengths[entry] & Integer.MAX_VALUE;
    }

    void markHot(int entry) {
        valueLengths[entry] |= Integer.MIN_VALUE;
    }

    boolean isHot(int entry) {
        return valueLengths[entry] < 0;
    }

    int slotOf(long position) {
        return (int) Long.remainderUnsigned(position, slotCount);
    }

    /** The key whose value lives in a slot, or null. */
    byte[] keyInSlot(int slot) {
        return slotKeys[slot];
    }

    /**
     * Records that {@code key}'s value is at {@code position}, replacing any earlier position (whose
     * slot no longer holds a live key). Returns the earlier position, or -1.
     */
    long put(byte[] key, long position, int valueLength) {
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
            valueLengths[e] = valueLength;
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
            valueLengths[i] = valueLength;
            size++;
        }
        valueBytes += valueLength;
        slotKeys[slotOf(position)] = key;
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
                valueLengths[hole] = valueLengths[i];
                keys[i] = null;
                hole = i;
            }
        }
    }

    private void rehash(int capacity) {
        byte[][] k = keys;
        long[] p = positions;
        int[] v = valueLengths;
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
                valueLengths[i] = v[j];
            }
        }
    }

    int size() {
        return size;
    }

    long valueBytes() {
        return valueBytes;
    }

    /** Visits every entry: key, position, value length. */
    void forEach(EntryVisitor visitor) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                visitor.visit(keys[i], positions[i], valueLengthAt(i));
            }
        }
    }

    /** Heap bytes of the index: the three tables, the key arrays and the slot references. */
    long memoryBytes() {
        long table = (long) keys.length * (REFERENCE_BYTES + 8 + 4);
        long[] keyBytes = {0};
        forEach((k, p, l) -> keyBytes[0] += 16 + ((k.length + 7) & ~7));
        return table + keyBytes[0] + slotCount * REFERENCE_BYTES;
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
        void visit(byte[] key, long position, int valueLength);
    }
}
