package io.rawio.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A checkpoint of the index, in one of two regions used alternately: a header block, then the
 * entries. The valid region with the highest generation wins on open; recovery then scans each slot
 * class's ring from that class's scan start.
 *
 * <pre>
 * header block (version 3):
 *   0                   8           12          16                  24                  32
 *   | magic "RAWIOCKP"  | version   | classes   | generation u64    | scan start, class 0 |
 *  32                  40                      48          52          56                  64
 *   | entry count u64   | payload length u64    | payload crc | 0        | next version u64  |
 *  64 scan start of class 1, 2, ... 15 (u64 each)                      184 ... 0 ... 252 | header crc |
 * entries, from the next block, back to back (34 bytes + key each):
 *   | position u64 | value length u32 | key length u16 | data crc u32 | version u64 | expiry ms u64 | key |
 * </pre>
 * An entry whose position is {@link #REMOVED} (all ones) is a key that left the index after its slot of
 * that version ({@link RemovedKeys}): recovery ignores a slot of it with a lower version. Only stores
 * of several classes write them; value length, data crc and expiry are 0.
 * header crc = CRC32C of bytes [0, 252); payload crc = CRC32C of the entries; data crc = the slot's
 * (CRC32C of key ++ value), which checks a value read without its slot header; next version: every
 * version written before this checkpoint is below it. Version 2 (read, never written): one class, the
 * header CRC at 52 over [0, 52), entries of 18 bytes + key without version and expiry.
 */
public final class CheckpointDescriptor {
    public static final long MAGIC = 0x504b434f49574152L; // "RAWIOCKP" little-endian
    public static final int FORMAT_VERSION = 3;
    public static final int HEADER_SIZE = 4096;

    public static final long MAGIC_OFFSET = 0;
    public static final long VERSION_OFFSET = 8;
    public static final long CLASS_COUNT_OFFSET = 12;
    public static final long GENERATION_OFFSET = 16;
    public static final long SCAN_START_OFFSET = 24;
    public static final long COUNT_OFFSET = 32;
    public static final long PAYLOAD_LENGTH_OFFSET = 40;
    public static final long PAYLOAD_CRC_OFFSET = 48;
    public static final long NEXT_VERSION_OFFSET = 56;
    public static final long MORE_SCAN_STARTS_OFFSET = 64;
    public static final long HEADER_CRC_OFFSET = 252;
    /** Where version 2 kept its header CRC (over [0, 52)). */
    static final long HEADER_CRC_OFFSET_V2 = 52;

    /** Bytes of an entry before its key. */
    public static final int ENTRY_FIXED = 34;
    static final long ENTRY_DATA_CRC = 14;
    static final long ENTRY_VERSION = 18;
    static final long ENTRY_EXPIRY = 26;
    /** The position of an entry that names a removed key, not a live one. */
    public static final long REMOVED = -1L;
    /** Bytes of a version 2 entry before its key. */
    static final int ENTRY_FIXED_V2 = 18;

    private CheckpointDescriptor() {
    }

    /**
     * The decoded header.
     *
     * @param scanStarts    by slot class, where recovery starts reading its ring
     * @param nextVersion   every slot version written before this checkpoint is below it
     * @param formatVersion 3, or 2 for a checkpoint written before slot classes
     */
    record Header(long generation, long[] scanStarts, long count, long payloadLength, int payloadCrc,
            long nextVersion, int formatVersion) {
        /** A header of a one-class store. */
        Header(long generation, long scanStart, long count, long payloadLength, int payloadCrc) {
            this(generation, new long[] {scanStart}, count, payloadLength, payloadCrc, 0, FORMAT_VERSION);
        }

        /** Class 0's scan start (the only one of a one-class store). */
        long scanStart() {
            return scanStarts[0];
        }

        /** Class {@code c}'s scan start; a class the checkpoint does not know starts at its position 0. */
        long scanStart(int c) {
            return c < scanStarts.length ? scanStarts[c] : SuperblockDescriptor.Superblock.position(c, 0);
        }

        int entryFixed() {
            return formatVersion == 2 ? ENTRY_FIXED_V2 : ENTRY_FIXED;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Header h && generation == h.generation && java.util.Arrays.equals(scanStarts, h.scanStarts)
                    && count == h.count && payloadLength == h.payloadLength && payloadCrc == h.payloadCrc
                    && nextVersion == h.nextVersion && formatVersion == h.formatVersion;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(generation, java.util.Arrays.hashCode(scanStarts), count, payloadLength,
                    payloadCrc, nextVersion, formatVersion);
        }

        @Override
        public String toString() {
            return "Header[generation=" + generation + ", scanStarts=" + java.util.Arrays.toString(scanStarts)
                    + ", count=" + count + ", payloadLength=" + payloadLength + ", nextVersion=" + nextVersion
                    + ", formatVersion=" + formatVersion + "]";
        }
    }

    static void encodeHeader(MemorySegment buf, Header h) {
        if (h.scanStarts().length < 1 || h.scanStarts().length > SuperblockDescriptor.MAX_CLASSES) {
            throw new IllegalArgumentException("scan starts for 1 to " + SuperblockDescriptor.MAX_CLASSES
                    + " classes: classes=" + h.scanStarts().length);
        }
        buf.asSlice(0, HEADER_SIZE).fill((byte) 0);
        buf.set(Le.U64, MAGIC_OFFSET, MAGIC);
        buf.set(Le.U32, VERSION_OFFSET, FORMAT_VERSION);
        buf.set(Le.U32, CLASS_COUNT_OFFSET, h.scanStarts().length);
        buf.set(Le.U64, GENERATION_OFFSET, h.generation());
        buf.set(Le.U64, SCAN_START_OFFSET, h.scanStarts()[0]);
        buf.set(Le.U64, COUNT_OFFSET, h.count());
        buf.set(Le.U64, PAYLOAD_LENGTH_OFFSET, h.payloadLength());
        buf.set(Le.U32, PAYLOAD_CRC_OFFSET, h.payloadCrc());
        buf.set(Le.U64, NEXT_VERSION_OFFSET, h.nextVersion());
        for (int c = 1; c < h.scanStarts().length; c++) {
            buf.set(Le.U64, MORE_SCAN_STARTS_OFFSET + 8L * (c - 1), h.scanStarts()[c]);
        }
        Le.seal(buf, HEADER_CRC_OFFSET);
    }

    /** The header (version 3 or 2), or null when it is not a valid checkpoint header. */
    static Header decodeHeader(MemorySegment buf) {
        if (buf.get(Le.U64, MAGIC_OFFSET) != MAGIC) {
            return null;
        }
        int version = buf.get(Le.U32, VERSION_OFFSET);
        if (version == 2) {
            if (!Le.sealed(buf, HEADER_CRC_OFFSET_V2)) {
                return null;
            }
            return new Header(buf.get(Le.U64, GENERATION_OFFSET), new long[] {buf.get(Le.U64, SCAN_START_OFFSET)},
                    buf.get(Le.U64, COUNT_OFFSET), buf.get(Le.U64, PAYLOAD_LENGTH_OFFSET),
                    buf.get(Le.U32, PAYLOAD_CRC_OFFSET), 0, 2);
        }
        if (version != FORMAT_VERSION || !Le.sealed(buf, HEADER_CRC_OFFSET)) {
            return null;
        }
        int classes = buf.get(Le.U32, CLASS_COUNT_OFFSET);
        if (classes < 1 || classes > SuperblockDescriptor.MAX_CLASSES) {
            return null;
        }
        long[] starts = new long[classes];
        starts[0] = buf.get(Le.U64, SCAN_START_OFFSET);
        for (int c = 1; c < classes; c++) {
            starts[c] = buf.get(Le.U64, MORE_SCAN_STARTS_OFFSET + 8L * (c - 1));
        }
        return new Header(buf.get(Le.U64, GENERATION_OFFSET), starts, buf.get(Le.U64, COUNT_OFFSET),
                buf.get(Le.U64, PAYLOAD_LENGTH_OFFSET), buf.get(Le.U32, PAYLOAD_CRC_OFFSET),
                buf.get(Le.U64, NEXT_VERSION_OFFSET), FORMAT_VERSION);
    }

    /** Bytes of the entries of {@code count} keys of {@code keyBytes} bytes in all. */
    static long payloadLength(long count, long keyBytes) {
        return count * ENTRY_FIXED + keyBytes;
    }

    /** Writes one entry with no version and no expiry at {@code at}; returns where the next one starts. */
    static long encodeEntry(MemorySegment payload, long at, byte[] key, long position, int valueLength, int dataCrc) {
        return encodeEntry(payload, at, key, position, valueLength, dataCrc, 0, 0);
    }

    /** Writes one entry at {@code at}; returns where the next one starts. */
    static long encodeEntry(MemorySegment payload, long at, byte[] key, long position, int valueLength, int dataCrc,
            long version, long expiryMs) {
        payload.set(Le.U64, at, position);
        payload.set(Le.U32, at + 8, valueLength);
        payload.set(Le.U16, at + 12, (short) key.length);
        payload.set(Le.U32, at + ENTRY_DATA_CRC, dataCrc);
        payload.set(Le.U64, at + ENTRY_VERSION, version);
        payload.set(Le.U64, at + ENTRY_EXPIRY, expiryMs);
        MemorySegment.copy(key, 0, payload, ValueLayout.JAVA_BYTE, at + ENTRY_FIXED, key.length);
        return at + ENTRY_FIXED + key.length;
    }

    /**
     * Writes every entry of {@code entries} (with its version, and its expiry from {@code expiries}), then
     * one {@link #REMOVED} entry per removal, into {@code payload}, {@code payloadLength} bytes in all.
     */
    static void encodeEntries(IndexEntries entries, Expiries expiries, java.util.List<RemovedKeys.Removal> removed,
            MemorySegment payload, long payloadLength) {
        long at = 0;
        for (int i = 0; i < entries.size(); i++) {
            byte[] k = entries.keys()[i];
            at = encodeEntry(payload, at, k, entries.positions()[i], entries.valueLengths()[i], entries.dataCrcs()[i],
                    entries.versionAt(i), expiries.of(k));
        }
        for (RemovedKeys.Removal r : removed) {
            at = encodeEntry(payload, at, r.key(), REMOVED, 0, 0, r.version(), 0);
        }
        if (at != payloadLength) {
            throw new IllegalStateException("index key bytes out of step: wrote " + at + " checkpoint bytes, expected "
                    + payloadLength);
        }
    }

    /** One decoded entry, without version and expiry. */
    interface EntryVisitor {
        void visit(byte[] key, long position, int valueLength, int dataCrc);
    }

    /** One decoded entry. */
    interface FullEntryVisitor {
        void visit(byte[] key, long position, int valueLength, int dataCrc, long version, long expiryMs);
    }

    /** {@link #decodeEntries(MemorySegment, long, int, FullEntryVisitor)} of this version's entries. */
    static long decodeEntries(MemorySegment payload, long count, EntryVisitor visitor) {
        return decodeEntries(payload, count, FORMAT_VERSION, (k, p, l, c, v, e) -> visitor.visit(k, p, l, c));
    }

    /**
     * Visits the {@code count} entries of a payload of format {@code formatVersion} whose CRC has been
     * checked; returns the bytes they took. A key length that runs past the payload is refused.
     */
    static long decodeEntries(MemorySegment payload, long count, int formatVersion, FullEntryVisitor visitor) {
        int fixed = formatVersion == 2 ? ENTRY_FIXED_V2 : ENTRY_FIXED;
        long at = 0;
        for (long i = 0; i < count; i++) {
            if (at + fixed > payload.byteSize()) {
                throw new IllegalArgumentException("checkpoint entry " + i + " runs past the payload: at=" + at
                        + ", payload=" + payload.byteSize());
            }
            long position = payload.get(Le.U64, at);
            int valueLength = payload.get(Le.U32, at + 8);
            int keyLength = Short.toUnsignedInt(payload.get(Le.U16, at + 12));
            int dataCrc = payload.get(Le.U32, at + ENTRY_DATA_CRC);
            long version = fixed == ENTRY_FIXED ? payload.get(Le.U64, at + ENTRY_VERSION) : 0;
            long expiry = fixed == ENTRY_FIXED ? payload.get(Le.U64, at + ENTRY_EXPIRY) : 0;
            if (at + fixed + keyLength > payload.byteSize()) {
                throw new IllegalArgumentException("checkpoint entry " + i + " runs past the payload: at=" + at
                        + ", keyLength=" + keyLength + ", payload=" + payload.byteSize());
            }
            byte[] key = payload.asSlice(at + fixed, keyLength).toArray(ValueLayout.JAVA_BYTE);
            visitor.visit(key, position, valueLength, dataCrc, version, expiry);
            at += fixed + keyLength;
        }
        return at;
    }
}
