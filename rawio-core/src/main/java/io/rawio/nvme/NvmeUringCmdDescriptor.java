package io.rawio.nvme;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * struct nvme_uring_cmd (include/uapi/linux/nvme_ioctl.h), 72 bytes: the NVMe command an
 * IORING_OP_URING_CMD SQE carries in its command area (SQE offset 48, 80 bytes with
 * IORING_SETUP_SQE128), with {@code cmd_op} NVME_URING_CMD_IO. The same 72 bytes, with {@code result}
 * in place of {@code rsvd2}, are struct nvme_passthru_cmd, which the NVME_IOCTL_ADMIN_CMD ioctl takes.
 * Native byte order (the kernel converts to the device's little-endian).
 *
 * <pre>
 *   0      1      2             4                           8                           12
 *   +------+------+-------------+---------------------------+---------------------------+
 *   |opcode|flags | rsvd1 (u16) |  nsid (u32)               |  cdw2 (u32)               |
 *   +------+------+-------------+---------------------------+---------------------------+
 *  12                           16                                                      24
 *   |  cdw3 (u32)               |  metadata (u64: address)                              |
 *   +---------------------------+-------------------------------------------------------+
 *  24                                                       32                          36
 *   |  addr (u64: the data buffer)                          |  metadata_len (u32)       |
 *   +-------------------------------------------------------+---------------------------+
 *  36                           40                          44                          48
 *   |  data_len (u32, bytes)    |  cdw10: SLBA bits 0-31    |  cdw11: SLBA bits 32-63   |
 *   +---------------------------+---------------------------+---------------------------+
 *  48                           52                          56                          60
 *   |  cdw12: NLB, 0-based      |  cdw13                    |  cdw14                    |
 *   +---------------------------+---------------------------+---------------------------+
 *  60                           64                          68                          72
 *   |  cdw15                    |  timeout_ms (0: default)  |  rsvd2 / result (ioctl)   |
 *   +---------------------------+---------------------------+---------------------------+
 * </pre>
 *
 * <p>cdw10-15 are the command's own dwords: for Read (0x02) and Write (0x01) the starting LBA in
 * cdw10-11 and the number of logical blocks minus one in bits 0-15 of cdw12 (NVM Command Set
 * Specification, 3.2.4 / 3.2.6); Flush (0x00) has none.
 */
public final class NvmeUringCmdDescriptor {
    public static final int SIZE = 72;
    public static final long OPCODE_OFFSET = 0;
    public static final long FLAGS_OFFSET = 1;
    public static final long NSID_OFFSET = 4;
    public static final long CDW2_OFFSET = 8;
    public static final long CDW3_OFFSET = 12;
    public static final long METADATA_OFFSET = 16;
    public static final long ADDR_OFFSET = 24;
    public static final long METADATA_LEN_OFFSET = 32;
    public static final long DATA_LEN_OFFSET = 36;
    public static final long CDW10_OFFSET = 40;
    public static final long CDW11_OFFSET = 44;
    public static final long CDW12_OFFSET = 48;
    public static final long CDW13_OFFSET = 52;
    public static final long CDW14_OFFSET = 56;
    public static final long CDW15_OFFSET = 60;
    public static final long TIMEOUT_MS_OFFSET = 64;
    /** nvme_passthru_cmd only: dword 0 of the completion, written back by the ioctl. */
    public static final long RESULT_OFFSET = 68;

    /** NVM command set opcodes (NVM Command Set Specification, figure "Opcodes for NVM Commands"). */
    public static final byte NVME_CMD_FLUSH = 0x00;
    public static final byte NVME_CMD_WRITE = 0x01;
    public static final byte NVME_CMD_READ = 0x02;
    /** Admin opcode Identify (NVMe Base Specification, 5.17). */
    public static final byte NVME_ADMIN_IDENTIFY = 0x06;
    /** Identify's CNS (cdw10 bits 0-7): the namespace data structure / the controller's. */
    public static final int NVME_ID_CNS_NS = 0x00;
    public static final int NVME_ID_CNS_CTRL = 0x01;
    /** Blocks per command at most: the 0-based count in cdw12 has 16 bits. */
    public static final int MAX_BLOCKS_PER_COMMAND = 1 << 16;

    /** ioctl(2) encoding (include/uapi/asm-generic/ioctl.h, used by x86-64 and aarch64 alike). */
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;

    /** _IO('N', 0x40): the namespace id of the opened namespace device (nvme_ioctl.h). */
    public static final int NVME_IOCTL_ID = ioc(0, 'N', 0x40, 0);
    /** _IOWR('N', 0x41, struct nvme_admin_cmd): one admin command, synchronously. */
    public static final int NVME_IOCTL_ADMIN_CMD = ioc(IOC_READ | IOC_WRITE, 'N', 0x41, SIZE);
    /** _IOWR('N', 0x80, struct nvme_uring_cmd): the cmd_op of an I/O command sent with URING_CMD. */
    public static final int NVME_URING_CMD_IO = ioc(IOC_READ | IOC_WRITE, 'N', 0x80, SIZE);

    private NvmeUringCmdDescriptor() {
    }

    /** _IOC(dir, type, nr, size): dir in bits 30-31, size in 16-29, type in 8-15, nr in 0-7. */
    static int ioc(int dir, char type, int nr, int size) {
        return (dir << 30) | (size << 16) | (type << 8) | nr;
    }

    /**
     * Writes a whole command at {@code base} (every field: no stale bytes from an earlier SQE):
     * {@code opcode} on namespace {@code nsid}, {@code dataLen} bytes at {@code addr}, starting at LBA
     * {@code slba}, {@code blocks} logical blocks (stored 0-based; 0 for Flush).
     */
    public static void fill(MemorySegment s, long base, byte opcode, int nsid, long addr, int dataLen, long slba,
            int blocks) {
        s.set(ValueLayout.JAVA_LONG, base + OPCODE_OFFSET, 0L); // opcode, flags, rsvd1, nsid
        s.set(ValueLayout.JAVA_BYTE, base + OPCODE_OFFSET, opcode);
        s.set(ValueLayout.JAVA_INT, base + NSID_OFFSET, nsid);
        s.set(ValueLayout.JAVA_LONG, base + CDW2_OFFSET, 0L); // cdw2, cdw3
        s.set(ValueLayout.JAVA_LONG, base + METADATA_OFFSET, 0L);
        s.set(ValueLayout.JAVA_LONG, base + ADDR_OFFSET, addr);
        s.set(ValueLayout.JAVA_INT, base + METADATA_LEN_OFFSET, 0);
        s.set(ValueLayout.JAVA_INT, base + DATA_LEN_OFFSET, dataLen);
        s.set(ValueLayout.JAVA_INT, base + CDW10_OFFSET, (int) slba);
        s.set(ValueLayout.JAVA_INT, base + CDW11_OFFSET, (int) (slba >>> 32));
        s.set(ValueLayout.JAVA_INT, base + CDW12_OFFSET, blocks > 0 ? blocks - 1 : 0);
        s.set(ValueLayout.JAVA_INT, base + CDW13_OFFSET, 0);
        s.set(ValueLayout.JAVA_LONG, base + CDW14_OFFSET, 0L); // cdw14, cdw15
        s.set(ValueLayout.JAVA_LONG, base + TIMEOUT_MS_OFFSET, 0L); // timeout_ms, rsvd2/result
    }

    /** Identify (admin) into a 4096-byte buffer: {@code cns} NVME_ID_CNS_NS or NVME_ID_CNS_CTRL. */
    public static void fillIdentify(MemorySegment s, long base, int nsid, int cns, long addr) {
        fill(s, base, NVME_ADMIN_IDENTIFY, nsid, addr, 4096, 0, 0);
        s.set(ValueLayout.JAVA_INT, base + CDW10_OFFSET, cns);
    }

    public static byte opcode(MemorySegment s, long base) {
        return s.get(ValueLayout.JAVA_BYTE, base + OPCODE_OFFSET);
    }

    /** The starting LBA from cdw10-11. */
    public static long slba(MemorySegment s, long base) {
        return Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, base + CDW10_OFFSET))
                | ((long) s.get(ValueLayout.JAVA_INT, base + CDW11_OFFSET) << 32);
    }

    /** The number of logical blocks (cdw12 bits 0-15, plus one). */
    public static int blocks(MemorySegment s, long base) {
        return (s.get(ValueLayout.JAVA_INT, base + CDW12_OFFSET) & 0xffff) + 1;
    }
}
