package io.rawio.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A checkpoint of the index, in one of two regions used alternately: a header block, then the
 * entries. The valid region with the highest generation wins on open; recovery then scans the ring
 * from {@code scanStart}.
 *
 * <pre>
 * header block:
 *   0                   8           12          16                  24
 *   | magic "RAWIOCKP"  | version   | reserved  | generation u64    |
 *  24                  32                      40                  48          52          56
 *   | scan start u64    | entry count u64       | payload length    | payload crc | header crc |
 * entries, from the next block, back to back:
 *   | position u64 | value length u32 | key length u16 | data crc u32 | key bytes |
 * </pre>
 * header crc = CRC32C of bytes [0, 52); payload crc = CRC32C of the entries; data crc = the slot's
 * (CRC32C of key ++ value), which checks a value read without its slot header.
 */
public final class CheckpointDescriptor {
    public static final long MAGIC = 0x504b434f49574152L; // "RAWIOCKP" little-endian
    public static final int FORMAT_VERSION = 2;
    public static final int HEADER_SIZE = 4096;

    public static final long MAGIC_OFFSET = 0;
    public static final long VERSION_OFFSET = 8;
    public static final long GENERATION_OFFSET = 16;
    public static final long SCAN_START_OFFSET = 24;
    public static final long COUNT_OFFSET = 32;
    public static final long PAYLOAD_LENGTH_OFFSET = 40;
    public static final long PAYLOAD_CRC_OFFSET = 48;
    public static final long HEADER_CRC_OFFSET = 52;

    /** Bytes of an entry before its key. */
    public static final int ENTRY_FIXED = 18;
    static final long ENTRY_DATA_CRC = 14;

    private CheckpointDescriptor() {
    }

    /** The decoded header. */
    record Header(long generation, long scanStart, long count, long payloadLength, int payloadCrc) {
    }

    static void encodeHeader(MemorySegment buf, Header h) {
        buf.asSlice(0, HEADER_SIZE).fill((byte) 0);
        buf.set(Le.U64, MAGIC_OFFSET, MAGIC);
        buf.set(Le.U32, VERSION_OFFSET, FORMAT_VERSION);
        buf.set(Le.U64, GENERATION_OFFSET, h.generation());
        buf.set(Le.U64, SCAN_START_OFFSET, h.scanStart());
        buf.set(Le.U64, COUNT_OFFSET, h.count());
        buf.set(Le.U64, PAYLOAD_LENGTH_OFFSET, h.payloadLength());
        buf.set(Le.U32, PAYLOAD_CRC_OFFSET, h.payloadCrc());
        Le.seal(buf, HEADER_CRC_OFFSET);
    }

    /** Bytes of the entries of {@code count} keys of {@code keyBytes} bytes in all. */
    static long payloadLength(long count, long keyBytes) {
        return count * ENTRY_FIXED + keyBytes;
    }

    /** Writes one entry at {@code at}; returns where the next one starts. */
    static long encodeEntry(MemorySegment payload, long at, byte[] key, long position, int valueLength, int dataCrc) {
        payload.set(Le.U64, at, position);
        payload.set(Le.U32, at + 8, valueLength);
        payload.set(Le.U16, at + 12, (short) key.length);
        payload.set(Le.U32, at + ENTRY_DATA_CRC, dataCrc);
        MemorySegment.copy(key, 0, payload, ValueLayout.JAVA_BYTE, at + ENTRY_FIXED, key.length);
        return at + ENTRY_FIXED + key.length;
    }

    /** One decoded entry. */
    interface EntryVisitor {
        void visit(byte[] key, long position, int valueLength, int dataCrc);
    }

    /**
     * Visits the {@code count} entries of a payload whose CRC has been checked; returns the bytes they
     * took. A key length that runs past the payload is refused.
     */
    static long decodeEntries(MemorySegment payload, long count, EntryVisitor visitor) {
        long at = 0;
        for (long i = 0; i < count; i++) {
            long position = payload.get(Le.U64, at);
            int valueLength = payload.get(Le.U32, at + 8);
            int keyLength = Short.toUnsignedInt(payload.get(Le.U16, at + 12));
            int dataCrc = payload.get(Le.U32, at + ENTRY_DATA_CRC);
            if (at + ENTRY_FIXED + keyLength > payload.byteSize()) {
                throw new IllegalArgumentException("checkpoint entry " + i + " runs past the payload: at=" + at
                        + ", keyLength=" + keyLength + ", payload=" + payload.byteSize());
            }
            byte[] key = payload.asSlice(at + ENTRY_FIXED, keyLength).toArray(ValueLayout.JAVA_BYTE);
            visitor.visit(key, position, valueLength, dataCrc);
            at += ENTRY_FIXED + keyLength;
        }
        return at;
    }

    /** The header, or null when it is not a valid checkpoint header. */
    static Header decodeHeader(MemorySegment buf) {
        if (buf.get(Le.U64, MAGIC_OFFSET) != MAGIC || buf.get(Le.U32, VERSION_OFFSET) != FORMAT_VERSION
                || !Le.sealed(buf, HEADER_CRC_OFFSET)) {
            return null;
        }
        return new Header(buf.get(Le.U64, GENERATION_OFFSET), buf.get(Le.U64, SCAN_START_OFFSET),
                buf.get(Le.U64, COUNT_OFFSET), buf.get(Le.U64, PAYLOAD_LENGTH_OFFSET),
                buf.get(Le.U32, PAYLOAD_CRC_OFFSET));
    }
}
