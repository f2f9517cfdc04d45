package io.rawio.store;

import java.util.Arrays;

/**
 * The in-memory index key -> (position, value length), an open-addressing hash table with linear
 * probing and backward-shift deletion, in parallel primitive arrays. Per key it costs the key's own
 * {@code byte[]} (16 bytes of header plus the key, padded to 8) and, at the 0.5 to 0.75 load factor
 * it keeps, about 1.5 to 2 table entries of 8 (key reference) + 8 (position) + 4 (value length) +
 * 4 (hash) + 1 (hot flag) bytes, plus one 8-byte reference per slot of the ring for eviction:
 * 55 to 70 bytes plus the key bytes. Not thread-safe: the store guards it with its lock.
 */
final class KeyIndex {
    private byte[][] keys;
    private long[] positions;
    private int[] valueLengths;
    private int[] hashes;
    private boolean[] hot;
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
        hashes = new int[capacity];
        hot = new boolean[capacity];
    }

    static int hash(byte[] key) {
        int h = Arrays.hashCode(key);
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }

    private int find(byte[] key, int h) {
        int mask = keys.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            byte[] k = keys[i];
            if (k == null) {
                return -1;
            }
            if (hashes[i] == h && Arrays.equals(k, key)) {
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
        return valueLengths[entry];
    }

    byte[] keyAt(int entry) {
        return keys[entry];
    }

    void markHot(int entry) {
        hot[entry] = true;
    }

    boolean isHot(int entry) {
        return hot[entry];
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
            valueBytes -= valueLengths[e];
            positions[e] = position;
            valueLengths[e] = valueLength;
            hot[e] = false;
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
            hashes[i] = h;
            positions[i] = position;
            valueLengths[i] = valueLength;
            hot[i] = false;
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
        valueBytes -= valueLengths[e];
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
            int home = hashes[i] & mask;
            boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                keys[hole] = keys[i];
                hashes[hole] = hashes[i];
                positions[hole] = positions[i];
                valueLengths[hole] = valueLengths[i];
                hot[hole] = hot[i];
                keys[i] = null;
                hole = i;
            }
        }
    }

    private void rehash(int capacity) {
        byte[][] k = keys;
        long[] p = positions;
        int[] v = valueLengths;
        int[] h = hashes;
        boolean[] t = hot;
        allocate(capacity);
        int mask = capacity - 1;
        for (int j = 0; j < k.length; j++) {
            if (k[j] != null) {
                int i = h[j] & mask;
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = k[j];
                hashes[i] = h[j];
                positions[i] = p[j];
                valueLengths[i] = v[j];
                hot[i] = t[j];
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
                visitor.visit(keys[i], positions[i], valueLengths[i]);
            }
        }
    }

    /** Approximate heap bytes of the index, for stats(). */
    long memoryBytes() {
        long table = (long) keys.length * (8 + 8 + 4 + 4 + 1);
        long[] keyBytes = {0};
        forEach((k, p, l) -> keyBytes[0] += 16 + ((k.length + 7) & ~7));
        return table + keyBytes[0] + slotCount * 8;
    }

    interface EntryVisitor {
        void visit(byte[] key, long position, int valueLength);
    }
}
