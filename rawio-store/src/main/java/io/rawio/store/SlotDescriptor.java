package io.rawio.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A slot: ONE aligned buffer holding a header, the key and the value, written with one operation.
 *
 * <pre>
 *   0           4       6       8                              16
 *   +-----------+-------+-------+------------------------------+
 *   | magic     | ver   | flags |   sequence u64 (= position)  |
 *   +-----------+-------+-------+------------------------------+
 *  16          20              24                              32
 *   | key len   | value len     |   store id u64 (uuid low)    |
 *   +-----------+---------------+------------------------------+
 *  32          36      38      40                48                56      60       64
 *   | data crc  | class | 0     | expiry ms u64   | version u64     | prev  | hdr crc |
 *   +-----------+-------+-------+-----------------+-----------------+-------+---------+
 *  64 key bytes | value bytes | padding to the slot size               (packed)
 *  64 key bytes | zeros to 4096 | value bytes from 4096 | padding      (block-aligned value)
 * </pre>
 * data crc = CRC32C(key ++ value) (the zeros between them are not in it); hdr crc = CRC32C(bytes
 * [0, 60)). class: the slot class the slot belongs to; expiry ms: when the key expires (milliseconds
 * since the epoch, 0 for never); version: the store-wide order of writes, which decides between
 * slots of one key in different classes (a key that moved class); prev: the slot (its number in the
 * store, plus one; 0 for none) where the key's value lived in another class when this write was
 * planned, which this write supersedes and the store then retires ({@link SlotRetirement}). A slot
 * written before slot classes has zeros there: class 0, no expiry, version 0, no previous slot. The sequence is the slot's position in the ring's write order: position p lives in slot p
 * mod slotCount, so a slot whose sequence is not the position being read was never written there or
 * was overwritten since.
 *
 * <p>Where the value starts follows from key length, value length and slot size alone
 * ({@link #valueOffset}): at the first block boundary after the key when the value is not empty, fits
 * the slot there, and the slot needs no more blocks that way than packed; right after the key
 * otherwise. A block-aligned value can be read without its header: a 4 KiB value is one 4 KiB read,
 * checked against the data CRC the index keeps, where packed it would straddle two blocks.
 */
public final class SlotDescriptor {
    public static final int MAGIC = 0x544f4c53; // "SLOT" little-endian
    public static final short FORMAT_VERSION = 2;
    public static final int HEADER_SIZE = 64;
    /** The block values are aligned to in a slot whose size is a multiple of it. */
    public static final int BLOCK = 4096;
    /**
     * The granule of a sector class: a slot whose size is a multiple of 512 bytes but not of
     * {@link #BLOCK} is written, read and value-aligned in 512-byte sectors ({@link #granule}).
     */
    public static final int SECTOR = 512;

    public static final long MAGIC_OFFSET = 0;
    public static final long VERSION_OFFSET = 4;
    public static final long FLAGS_OFFSET = 6;
    public static final long SEQUENCE_OFFSET = 8;
    public static final long KEY_LENGTH_OFFSET = 16;
    public static final long VALUE_LENGTH_OFFSET = 20;
    public static final long STORE_ID_OFFSET = 24;
    public static final long DATA_CRC_OFFSET = 32;
    public static final long CLASS_OFFSET = 36;
    public static final long EXPIRY_OFFSET = 40;
    public static final long VERSION_FIELD_OFFSET = 48;
    public static final long PREVIOUS_SLOT_OFFSET = 56;
    public static final long HEADER_CRC_OFFSET = 60;

    /** A live key/value. */
    public static final short FLAG_LIVE = 1;
    /** A delete: the key has no value from this position on. */
    public static final short FLAG_TOMBSTONE = 2;

    private SlotDescriptor() {
    }

    /**
     * Fills the header in front of key and value (already in place: the key at HEADER_SIZE, the value
     * at {@link #valueOffset}); returns the data CRC.
     */
    static int encodeHeader(MemorySegment slot, short flags, long sequence, int keyLength, int valueLength,
            long storeId, long slotSize) {
        return encodeHeader(slot, flags, sequence, keyLength, valueLength, storeId, slotSize, 0, 0);
    }

    /** {@link #encodeHeader} with the slot's version (store-wide write order) and expiry (0: never). */
    static int encodeHeader(MemorySegment slot, short flags, long sequence, int keyLength, int valueLength,
            long storeId, long slotSize, long version, long expiryMs) {
        return encodeHeader(slot, flags, sequence, keyLength, valueLength, storeId, slotSize, version, expiryMs, -1);
    }

    /** {@link #encodeHeader} naming the key's slot in another class this write supersedes (-1: none). */
    static int encodeHeader(MemorySegment slot, short flags, long sequence, int keyLength, int valueLength,
            long storeId, long slotSize, long version, long expiryMs, int previousSlot) {
        slot.asSlice(0, HEADER_SIZE).fill((byte) 0);
        slot.set(Le.U32, PREVIOUS_SLOT_OFFSET, previousSlot + 1);
        slot.set(Le.U16, CLASS_OFFSET, (short) (sequence >>> SuperblockDescriptor.CLASS_SHIFT));
        slot.set(Le.U64, EXPIRY_OFFSET, expiryMs);
        slot.set(Le.U64, VERSION_FIELD_OFFSET, version);
        slot.set(Le.U32, MAGIC_OFFSET, MAGIC);
        slot.set(Le.U16, VERSION_OFFSET, FORMAT_VERSION);
        slot.set(Le.U16, FLAGS_OFFSET, flags);
        slot.set(Le.U64, SEQUENCE_OFFSET, sequence);
        slot.set(Le.U32, KEY_LENGTH_OFFSET, keyLength);
        slot.set(Le.U32, VALUE_LENGTH_OFFSET, valueLength);
        slot.set(Le.U64, STORE_ID_OFFSET, storeId);
        int crc = dataCrc(slot, keyLength, valueLength, slotSize);
        slot.set(Le.U32, DATA_CRC_OFFSET, crc);
        sealHeader(slot);
        return crc;
    }

    /** CRC32C of the key and the value where they lie in a slot of {@code slotSize}. */
    static int dataCrc(MemorySegment slot, int keyLength, int valueLength, long slotSize) {
        long v = valueOffset(keyLength, valueLength, slotSize);
        return Le.crc32c(slot, HEADER_SIZE, keyLength, v, valueLength);
    }

    /**
     * The unit a slot of {@code slotSize} is written and read in, and its value aligned to: a 4 KiB
     * block, or a 512-byte sector in a sector class (a slot size that is not a multiple of 4 KiB).
     */
    static long granule(long slotSize) {
        return slotSize % BLOCK == 0 ? BLOCK : SECTOR;
    }

    /** Where the value of a slot with these lengths starts (see the class comment). */
    static long valueOffset(int keyLength, long valueLength, long slotSize) {
        long packed = HEADER_SIZE + (long) keyLength;
        if (valueLength <= 0) {
            return packed;
        }
        long g = granule(slotSize);
        long aligned = Blocks.roundUp(packed, g);
        long end = aligned + valueLength;
        return end <= slotSize && Blocks.roundUp(end, g) <= Blocks.roundUp(packed + valueLength, g) ? aligned : packed;
    }

    /** Whether the value starts on a block boundary, so that it can be read alone. */
    static boolean valueAligned(int keyLength, long valueLength, long slotSize) {
        return valueOffset(keyLength, valueLength, slotSize) != HEADER_SIZE + (long) keyLength;
    }


    /** Recomputes the header CRC (after changing the sequence of a reinserted slot). */
    static void sealHeader(MemorySegment slot) {
        Le.seal(slot, HEADER_CRC_OFFSET);
    }

    /** Whether the first HEADER_SIZE bytes are a valid header of this store. */
    static boolean headerValid(MemorySegment slot, long storeId, long slotSize) {
        if (slot.get(Le.U32, MAGIC_OFFSET) != MAGIC || slot.get(Le.U16, VERSION_OFFSET) != FORMAT_VERSION
                || !Le.sealed(slot, HEADER_CRC_OFFSET)
                || slot.get(Le.U64, STORE_ID_OFFSET) != storeId) {
            return false;
        }
        int kl = keyLength(slot);
        long vl = Integer.toUnsignedLong(slot.get(Le.U32, VALUE_LENGTH_OFFSET));
        return kl > 0 && usedBytes(kl, vl, slotSize) <= slotSize; // an aligned value always fits: see valueOffset
    }

    /** Whether key and value match the data CRC (the slot must hold them in full). */
    static boolean dataValid(MemorySegment slot, long slotSize) {
        return slot.get(Le.U32, DATA_CRC_OFFSET) == dataCrc(slot, keyLength(slot), valueLength(slot), slotSize);
    }

    /** When the key expires, in milliseconds since the epoch; 0 for never. */
    static long expiry(MemorySegment slot) {
        return slot.get(Le.U64, EXPIRY_OFFSET);
    }

    /** The slot's place in the store-wide order of writes (0 for slots written before slot classes). */
    static long version(MemorySegment slot) {
        return slot.get(Le.U64, VERSION_FIELD_OFFSET);
    }

    /** The slot of another class this write superseded (see the class comment), or -1. */
    static int previousSlot(MemorySegment slot) {
        return slot.get(Le.U32, PREVIOUS_SLOT_OFFSET) - 1;
    }

    static int dataCrc(MemorySegment slot) {
        return slot.get(Le.U32, DATA_CRC_OFFSET);
    }

    static long sequence(MemorySegment slot) {
        return slot.get(Le.U64, SEQUENCE_OFFSET);
    }

    static short flags(MemorySegment slot) {
        return slot.get(Le.U16, FLAGS_OFFSET);
    }

    static int keyLength(MemorySegment slot) {
        return slot.get(Le.U32, KEY_LENGTH_OFFSET);
    }

    static int valueLength(MemorySegment slot) {
        return slot.get(Le.U32, VALUE_LENGTH_OFFSET);
    }

    /**
     * Fills a slot buffer: the key, the value where {@link #valueOffset} puts it, zeros everywhere else,
     * and the header. The buffer is the slot's written part ({@link #usedBlocks} bytes, or more).
     * Returns the data CRC.
     */
    static int fill(MemorySegment slot, byte[] key, MemorySegment value, short flags, long sequence, long storeId,
            long slotSize) {
        return fill(slot, key, value, flags, sequence, storeId, slotSize, 0, 0);
    }

    /** {@link #fill} with the slot's version and expiry (0: never). */
    static int fill(MemorySegment slot, byte[] key, MemorySegment value, short flags, long sequence, long storeId,
            long slotSize, long version, long expiryMs) {
        return fill(slot, key, value, flags, sequence, storeId, slotSize, version, expiryMs, -1);
    }

    /** {@link #fill} naming the key's slot in another class this write supersedes (-1: none). */
    static int fill(MemorySegment slot, byte[] key, MemorySegment value, short flags, long sequence, long storeId,
            long slotSize, long version, long expiryMs, int previousSlot) {
        int vl = (int) value.byteSize();
        long keyEnd = HEADER_SIZE + (long) key.length;
        long valueAt = valueOffset(key.length, vl, slotSize);
        slot.asSlice(keyEnd, valueAt - keyEnd).fill((byte) 0);
        slot.asSlice(valueAt + vl).fill((byte) 0);
        return write(slot, key, value, valueAt, flags, sequence, storeId, slotSize, version, expiryMs, previousSlot);
    }

    /**
     * {@link #fill} into a slot at offset {@code at} of a scratch region whose bytes {@code padding}
     * tracks: the padding is zeroed only where an earlier use of the region left it non-zero. With a
     * null {@code padding}, as {@link #fill} (everything zeroed).
     */
    static int fill(MemorySegment slot, byte[] key, MemorySegment value, short flags, long sequence, long storeId,
            long slotSize, long version, long expiryMs, int previousSlot, SlotPadding padding, long at) {
        if (padding == null) {
            return fill(slot, key, value, flags, sequence, storeId, slotSize, version, expiryMs, previousSlot);
        }
        int vl = (int) value.byteSize();
        long keyEnd = HEADER_SIZE + (long) key.length;
        long valueAt = valueOffset(key.length, vl, slotSize);
        boolean packed = valueAt == keyEnd;
        long headEnd = packed ? keyEnd + vl : keyEnd;
        long bodyAt = packed ? 0 : valueAt;
        long bodyEnd = packed ? 0 : valueAt + vl;
        padding.clearOutside(slot, at, headEnd, bodyAt, bodyEnd);
        int crc = write(slot, key, value, valueAt, flags, sequence, storeId, slotSize, version, expiryMs, previousSlot);
        padding.written(slot, at, headEnd, bodyAt, bodyEnd);
        return crc;
    }

    /**
     * Fills a slot around a value already in place at {@link #valueOffset} (a {@link ValueBuffers} buffer):
     * the key, zeros between it and the value and after the value to the end of {@code slot} (its written
     * part, {@link #usedBlocks}), and the header. The value's bytes are not touched. Returns the data CRC.
     */
    static int fillAround(MemorySegment slot, byte[] key, int valueLength, short flags, long sequence, long storeId,
            long slotSize, long version, long expiryMs, int previousSlot) {
        long keyEnd = HEADER_SIZE + (long) key.length;
        long valueAt = valueOffset(key.length, valueLength, slotSize);
        MemorySegment.copy(key, 0, slot, ValueLayout.JAVA_BYTE, HEADER_SIZE, key.length);
        slot.asSlice(keyEnd, valueAt - keyEnd).fill((byte) 0);
        slot.asSlice(valueAt + valueLength).fill((byte) 0);
        return encodeHeader(slot, flags, sequence, key.length, valueLength, storeId, slotSize, version, expiryMs,
                previousSlot);
    }

    /** The key, the value at {@code valueAt} and the header of a slot whose padding is zero already. */
    private static int write(MemorySegment slot, byte[] key, MemorySegment value, long valueAt, short flags,
            long sequence, long storeId, long slotSize, long version, long expiryMs, int previousSlot) {
        int vl = (int) value.byteSize();
        MemorySegment.copy(key, 0, slot, ValueLayout.JAVA_BYTE, HEADER_SIZE, key.length);
        if (vl > 0) {
            MemorySegment.copy(value, 0, slot, valueAt, vl);
        }
        return encodeHeader(slot, flags, sequence, key.length, vl, storeId, slotSize, version, expiryMs, previousSlot);
    }

    /**
     * Whether a read of {@code r} bytes from the start of a slot holds {@code key}'s live value of
     * {@code valueLength} bytes: a valid header of this store, the live flag, the lengths, the key as
     * stored, and the data CRC. Not its sequence.
     */
    static boolean holdsLiveValue(MemorySegment slot, long r, byte[] key, int valueLength, long storeId,
            long slotSize) {
        return r >= usedBytes(key.length, valueLength, slotSize)
                && headerValid(slot, storeId, slotSize)
                && flags(slot) == FLAG_LIVE
                && keyLength(slot) == key.length
                && valueLength(slot) == valueLength
                && slot.asSlice(HEADER_SIZE, key.length).mismatch(MemorySegment.ofArray(key)) == -1
                && dataValid(slot, slotSize);
    }

    /** Whole blocks (sectors in a sector class) a slot of this key and value writes (and a whole-slot read reads). */
    static long usedBlocks(int keyLength, long valueLength, long slotSize) {
        return Blocks.roundUp(usedBytes(keyLength, valueLength, slotSize), granule(slotSize));
    }

    /** Where in its slot a get starts reading: at the value when it is block-aligned, else at the header. */
    static long getReadOffset(int keyLength, int valueLength, long slotSize) {
        return valueAligned(keyLength, valueLength, slotSize) ? valueOffset(keyLength, valueLength, slotSize) : 0;
    }

    /** Bytes a get reads: the value's blocks when it is block-aligned, else header, key and value. */
    static long getReadBytes(int keyLength, int valueLength, long slotSize) {
        return valueAligned(keyLength, valueLength, slotSize) ? Blocks.roundUp(valueLength, granule(slotSize))
                : usedBlocks(keyLength, valueLength, slotSize);
    }

    /** Bytes a slot of this key and value occupies before its padding, in a slot of {@code slotSize}. */
    static long usedBytes(int keyLength, long valueLength, long slotSize) {
        return valueOffset(keyLength, valueLength, slotSize) + valueLength;
    }
}
