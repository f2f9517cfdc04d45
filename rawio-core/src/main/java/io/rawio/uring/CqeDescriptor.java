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
 * res is the operation's result: bytes, or -errno. With IORING_SETUP_CQE32 two u64 follow (big_cqe):
 * a URING_CMD's second result (for NVMe passthrough, dword 0 of the device's completion).
 */
public final class CqeDescriptor {
    public static final int SIZE = 16;
    public static final long USER_DATA_OFFSET = 0;
    public static final long RES_OFFSET = 8;
    public static final long FLAGS_OFFSET = 12;
    /** Bytes of a CQE of a ring set up with IORING_SETUP_CQE32. */
    public static final int SIZE_32 = 32;
    public static final long BIG_CQE_OFFSET = 16;

    private CqeDescriptor() {
    }
}
