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

    private SqeDescriptor() {
    }

    /** Clears an SQE and fills the fields every operation has. */
    public static void prep(MemorySegment sqe, byte opcode, int fd, long addr, int len, long off, long userData) {
        sqe.fill((byte) 0);
        sqe.set(ValueLayout.JAVA_BYTE, OPCODE_OFFSET, opcode);
        sqe.set(ValueLayout.JAVA_INT, FD_OFFSET, fd);
        sqe.set(ValueLayout.JAVA_LONG, OFF_OFFSET, off);
        sqe.set(ValueLayout.JAVA_LONG, ADDR_OFFSET, addr);
        sqe.set(ValueLayout.JAVA_INT, LEN_OFFSET, len);
        sqe.set(ValueLayout.JAVA_LONG, USER_DATA_OFFSET, userData);
    }

    public static void flags(MemorySegment sqe, byte flags) {
        sqe.set(ValueLayout.JAVA_BYTE, FLAGS_OFFSET, flags);
    }

    /** rw_flags, fsync_flags, open_flags, statx_flags, splice_flags: one union at offset 28. */
    public static void opFlags(MemorySegment sqe, int flags) {
        sqe.set(ValueLayout.JAVA_INT, OP_FLAGS_OFFSET, flags);
    }

    public static void bufIndex(MemorySegment sqe, short index) {
        sqe.set(ValueLayout.JAVA_SHORT, BUF_INDEX_OFFSET, index);
    }

    public static void spliceFdIn(MemorySegment sqe, int fd) {
        sqe.set(ValueLayout.JAVA_INT, SPLICE_FD_IN_OFFSET, fd);
    }
}
