package io.rawio.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/** Little-endian field access and CRC32C over segments: every on-disk integer is little-endian. */
final class Le {
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Le() {
    }

    static int crc32c(MemorySegment s, long offset, long length) {
        CRC32C crc = new CRC32C();
        crc.update(s.asSlice(offset, length).asByteBuffer());
        return (int) crc.getValue();
    }

    /** Stores at {@code crcOffset} the CRC32C of the bytes before it: a descriptor's seal. */
    static void seal(MemorySegment s, long crcOffset) {
        s.set(U32, crcOffset, crc32c(s, 0, crcOffset));
    }

    /** Whether the CRC32C at {@code crcOffset} matches the bytes before it. */
    static boolean sealed(MemorySegment s, long crcOffset) {
        return s.get(U32, crcOffset) == crc32c(s, 0, crcOffset);
    }

    /** CRC32C of two ranges of a segment, one after the other. */
    static int crc32c(MemorySegment s, long offset1, long length1, long offset2, long length2) {
        CRC32C crc = new CRC32C();
        crc.update(s.asSlice(offset1, length1).asByteBuffer());
        crc.update(s.asSlice(offset2, length2).asByteBuffer());
        return (int) crc.getValue();
    }

    /** CRC32C of {@code head}, then of a range of a segment. */
    static int crc32c(byte[] head, MemorySegment s, long offset, long length) {
        CRC32C crc = new CRC32C();
        crc.update(head);
        crc.update(s.asSlice(offset, length).asByteBuffer());
        return (int) crc.getValue();
    }
}
