package io.rawio.nvme;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The parts of the Identify data rawio reads (NVMe NVM Command Set Specification, "Identify Namespace
 * data structure", and the Base Specification's Identify Controller), 4096 bytes, little-endian.
 *
 * <pre>
 * Identify Namespace (CNS 0x00):
 *   0                  8                  16                 24     25      26
 *   +------------------+------------------+------------------+------+-------+-------+--
 *   | NSZE (u64)       | NCAP (u64)       | NUSE (u64)       |NSFEAT| NLBAF | FLBAS | ...
 *   +------------------+------------------+------------------+------+-------+-------+--
 *  128 + 4 * i: LBA format i                    FLBAS bits 0-3 (and 5-6 when NLBAF >= 16):
 *   +-----------+--------+--------+             the format in use; bit 4: metadata at the end
 *   | MS (u16)  | LBADS  |  RP    |             of each block's data (extended) or apart
 *   +-----------+--------+--------+             LBADS: the block size as a power of two
 * Identify Controller (CNS 0x01): MDTS (u8) at byte 77, the largest transfer in units of the
 * minimum memory page size (CAP.MPSMIN), 0 for no limit.
 * </pre>
 */
public final class NvmeIdentifyNamespace {
    public static final int SIZE = 4096;
    public static final long NSZE_OFFSET = 0;
    public static final long NCAP_OFFSET = 8;
    public static final long NUSE_OFFSET = 16;
    public static final long NLBAF_OFFSET = 25;
    public static final long FLBAS_OFFSET = 26;
    public static final long LBAF_OFFSET = 128;
    public static final int LBAF_LENGTH = 4;
    /** Identify Controller: Maximum Data Transfer Size. */
    public static final long CTRL_MDTS_OFFSET = 77;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private NvmeIdentifyNamespace() {
    }

    /** What open needs of a namespace. */
    public record Namespace(long capacityBlocks, int lbaSize, int metadataBytes, int format) {
        public long capacityBytes() {
            return capacityBlocks * lbaSize;
        }
    }

    /** Decodes an Identify Namespace buffer. */
    public static Namespace decode(MemorySegment id) {
        int nlbaf = Byte.toUnsignedInt(id.get(ValueLayout.JAVA_BYTE, NLBAF_OFFSET)); // 0-based count
        int flbas = Byte.toUnsignedInt(id.get(ValueLayout.JAVA_BYTE, FLBAS_OFFSET));
        int format = flbas & 0xf;
        if (nlbaf >= 16) {
            format |= ((flbas >>> 5) & 0x3) << 4;
        }
        long lbaf = LBAF_OFFSET + (long) LBAF_LENGTH * format;
        int ms = Short.toUnsignedInt(id.get(SHORT, lbaf));
        int lbads = Byte.toUnsignedInt(id.get(ValueLayout.JAVA_BYTE, lbaf + 2));
        if (lbads < 9 || lbads > 30) {
            throw new IllegalArgumentException("Identify Namespace names an impossible block size: LBADS=" + lbads
                    + ", format=" + format);
        }
        return new Namespace(id.get(LONG, NSZE_OFFSET), 1 << lbads, ms, format);
    }

    /** MDTS from an Identify Controller buffer (0: no limit). */
    public static int mdts(MemorySegment idCtrl) {
        return Byte.toUnsignedInt(idCtrl.get(ValueLayout.JAVA_BYTE, CTRL_MDTS_OFFSET));
    }
}
