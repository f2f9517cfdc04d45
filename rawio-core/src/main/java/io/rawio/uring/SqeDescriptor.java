package io.rawio.uring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * struct io_uring_sqe (include/uapi/linux/io_uring.h), 64 bytes (128 with IORING_SETUP_SQE128, the
 * second half then carrying a passthrough command). Native byte order.
 *
 * <pre>
 *   0      1      2           4                 8                               16
 *   +------+------+-----------+-----------------+-------------------------------+
 *   |opcode|flags | ioprio    |  fd (s32)       |  off / addr2 (u64)            |
 *   +------+------+-----------+-----------------+-------------------------------+
 *  16                             24            28                              32
 *   |  addr / splice_off_in (u64) |  len (u32)  | rw_flags / fsync_flags / ...  |
 *   +-----------------------------+-------------+-------------------------------+
 *  32                             40      42      44                            48
 *   |  user_data (u64)            |buf_idx|person.| splice_fd_in / file_index   |
 *   +-----------------------------+-------+-------+-----------------------------+
 *  48                             56                                            64
 *   |  addr3 (u64)                |  pad                                        |
 *   +-----------------------------+---------------------------------------------+
 * </pre>
 */
public final class SqeDescriptor {
    public static final int SIZE = 64;
    public static final long OPCODE_OFFSET = 0;
    public static final long FLAGS_OFFSET = 1;
    public static final long IOPRIO_OFFSET = 2;
    public static final long FD_OFFSET = 4;
    public static final long OFF_OFFSET = 8;
    public static final long ADDR_OFFSET = 16;
    public static final long LEN_OFFSET = 24;
    public static final long OP_FLAGS_OFFSET = 28;
    public static final long USER_DATA_OFFSET = 32;
    public static final long BUF_INDEX_OFFSET = 40;
    public static final long PERSONALITY_OFFSET = 42;
    public static final long SPLICE_FD_IN_OFFSET = 44;
    public static final long ADDR3_OFFSET = 48;
    /** URING_CMD: the command's op code (u32, where off is), e.g. NVME_URING_CMD_IO. */
    public static final long CMD_OP_OFFSET = 8;
    /** URING_CMD: uring_cmd_flags (u32, where rw_flags is), e.g. IORING_URING_CMD_FIXED. */
    public static final long URING_CMD_FLAGS_OFFSET = 28;
    /** URING_CMD: the command itself, 16 bytes here, 80 in an SQE of a ring with IORING_SETUP_SQE128. */
    public static final long CMD_OFFSET = 48;
    /** Bytes of an SQE of a ring set up with IORING_SETUP_SQE128. */
    public static final int SIZE_128 = 128;

    private SqeDescriptor() {
    }

    /** Clears an SQE and fills the fields every operation has. */
    public static void prep(MemorySegment sqe, byte opcode, int fd, long addr, int len, long off, long userData) {
        prep(sqe, 0, opcode, fd, addr, len, off, userData);
    }

    /** The same, for the SQE at {@code base} in the SQE array (no slice, so no allocation). */
    public static void prep(MemorySegment sqes, long base, byte opcode, int fd, long addr, int len, long off,
            long userData) {
        for (long i = 0; i < SIZE; i += 8) {
            sqes.set(ValueLayout.JAVA_LONG, base + i, 0L);
        }
        sqes.set(ValueLayout.JAVA_BYTE, base + OPCODE_OFFSET, opcode);
        sqes.set(ValueLayout.JAVA_INT, base + FD_OFFSET, fd);
        sqes.set(ValueLayout.JAVA_LONG, base + OFF_OFFSET, off);
        sqes.set(ValueLayout.JAVA_LONG, base + ADDR_OFFSET, addr);
        sqes.set(ValueLayout.JAVA_INT, base + LEN_OFFSET, len);
        sqes.set(ValueLayout.JAVA_LONG, base + USER_DATA_OFFSET, userData);
    }

    public static void flags(MemorySegment sqe, byte flags) {
        flags(sqe, 0, flags);
    }

    public static void flags(MemorySegment sqes, long base, byte flags) {
        sqes.set(ValueLayout.JAVA_BYTE, base + FLAGS_OFFSET, flags);
    }

    /** rw_flags, fsync_flags, open_flags, statx_flags, splice_flags: one union at offset 28. */
    public static void opFlags(MemorySegment sqe, int flags) {
        opFlags(sqe, 0, flags);
    }

    public static void opFlags(MemorySegment sqes, long base, int flags) {
        sqes.set(ValueLayout.JAVA_INT, base + OP_FLAGS_OFFSET, flags);
    }

    public static void bufIndex(MemorySegment sqes, long base, short index) {
        sqes.set(ValueLayout.JAVA_SHORT, base + BUF_INDEX_OFFSET, index);
    }

    /**
     * Clears a 128-byte SQE (IORING_SETUP_SQE128) and fills a URING_CMD: {@code cmdOp} on {@code fd},
     * with {@code uringCmdFlags}; the caller writes the command at {@link #CMD_OFFSET}.
     */
    public static void prepUringCmd(MemorySegment sqes, long base, int fd, int cmdOp, int uringCmdFlags,
            long userData) {
        for (long i = SIZE; i < SIZE_128; i += 8) {
            sqes.set(ValueLayout.JAVA_LONG, base + i, 0L);
        }
        prep(sqes, base, IoUringConstants.IORING_OP_URING_CMD, fd, 0, 0, 0, userData);
        sqes.set(ValueLayout.JAVA_INT, base + CMD_OP_OFFSET, cmdOp);
        sqes.set(ValueLayout.JAVA_INT, base + URING_CMD_FLAGS_OFFSET, uringCmdFlags);
    }

    public static void spliceFdIn(MemorySegment sqes, long base, int fd) {
        sqes.set(ValueLayout.JAVA_INT, base + SPLICE_FD_IN_OFFSET, fd);
    }
}
