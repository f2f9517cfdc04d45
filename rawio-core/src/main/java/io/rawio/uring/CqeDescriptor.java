package io.rawio.uring;

/**
 * struct io_uring_cqe (include/uapi/linux/io_uring.h), 16 bytes (32 with IORING_SETUP_CQE32).
 *
 * <pre>
 *   0                               8               12              16
 *   +-------------------------------+---------------+---------------+
 *   |  user_data (u64)              |  res (s32)    |  flags (u32)  |
 *   +-------------------------------+---------------+---------------+
 * </pre>
 * res is the operation's result: bytes, or -errno.
 */
public final class CqeDescriptor {
    public static final int SIZE = 16;
    public static final long USER_DATA_OFFSET = 0;
    public static final long RES_OFFSET = 8;
    public static final long FLAGS_OFFSET = 12;

    private CqeDescriptor() {
    }
}
