package io.rawio.store;

import java.lang.foreign.MemorySegment;

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
 *  32          36                                     60       64
 *   | data crc  |         reserved, zero              | hdr crc |
 *   +-----------+-------------------------------------+---------+
 *  64 key bytes | value bytes | padding to the block size ...
 * </pre>
 * data crc = CRC32C(key ++ value); hdr crc = CRC32C(bytes [0, 60)). The sequence is the slot's
 * position in the ring's write order: position p lives in slot p mod slotCount, so a slot whose
 * sequence is not the position being read was never written there or was overwritten since.
 */
public final class SlotDescriptor {
    public static final int MAGIC = 0x544f4c53; // "SLOT" little-endian
    public static final short FORMAT_VERSION = 1;
    public static final int HEADER_SIZE = 64;

    public static final long MAGIC_OFFSET = 0;
    public static final long VERSION_OFFSET = 4;
    public static final long FLAGS_OFFSET = 6;
    public static final long SEQUENCE_OFFSET = 8;
    public static final long KEY_LENGTH_OFFSET = 16;
    public static final long VALUE_LENGTH_OFFSET = 20;
    public static final long STORE_ID_OFFSET = 24;
    public static final long DATA_CRC_OFFSET = 32;
    public static final long HEADER_CRC_OFFSET = 60;

    /** A live key/value. */
    public static final short FLAG_LIVE = 1;
    /** A delete: the key has no value from this position on. */
    public static final short FLAG_TOMBSTONE = 2;

    private SlotDescriptor() {
    }

    /** Fills the header in front of key and value (already in place at HEADER_SIZE). */
    static void encodeHeader(MemorySegment slot, short flags, long sequence, int keyLength, int valueLength,
            long storeId) {
        slot.asSlice(0, HEADER_SIZE).fill((byte) 0);
        slot.set(Le.U32, MAGIC_OFFSET, MAGIC);
        slot.set(Le.U16, VERSION_OFFSET, FORMAT_VERSION);
        slot.set(Le.U16, FLAGS_OFFSET, flags);
        slot.set(Le.U64, SEQUENCE_OFFSET, sequence);
        slot.set(Le.U32, KEY_LENGTH_OFFSET, keyLength);
        slot.set(Le.U32, VALUE_LENGTH_OFFSET, valueLength);
        slot.set(Le.U64, STORE_ID_OFFSET, storeId);
        slot.set(Le.U32, DATA_CRC_OFFSET, Le.crc32c(slot, HEADER_SIZE, (long) keyLength + valueLength));
        sealHeader(slot);
    }

    /** Recomputes the header CRC (after changing the sequence of a reinserted slot). */
    static void sealHeader(MemorySegment slot) {
        slot.set(Le.U32, HEADER_CRC_OFFSET, Le.crc32c(slot, 0, HEADER_CRC_OFFSET));
    }

    /** Whether the first HEADER_SIZE bytes are a valid header of this store. */
    static boolean headerValid(MemorySegment slot, long storeId, long slotSize) {
        if (slot.get(Le.U32, MAGIC_OFFSET) != MAGIC || slot.get(Le.U16, VERSION_OFFSET) != FORMAT_VERSION
                || slot.get(Le.U32, HEADER_CRC_OFFSET) != Le.crc32c(slot, 0, HEADER_CRC_OFFSET)
                || slot.get(Le.U64, STORE_ID_OFFSET) != storeId) {
            return false;
        }
        long total = HEADER_SIZE + (long) keyLength(slot) + Integer.toUnsignedLong(slot.get(Le.U32, VALUE_LENGTH_OFFSET));
        return keyLength(slot) > 0 && total <= slotSize;
    }

    /** Whether key and value match the data CRC (the slot must hold them in full). */
    static boolean dataValid(MemorySegment slot) {
        return slot.get(Le.U32, DATA_CRC_OFFSET) == Le.crc32c(slot, HEADER_SIZE, (long) keyLength(slot) + valueLength(slot));
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

    /** Bytes a slot of this key and value occupies before padding. */
    static long usedBytes(int keyLength, int valueLength) {
        return HEADER_SIZE + (long) keyLength + valueLength;
    }
}
