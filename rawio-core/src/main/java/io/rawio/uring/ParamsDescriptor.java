package io.rawio.uring;

/**
 * struct io_uring_params (include/uapi/linux/io_uring.h), 120 bytes, filled by io_uring_setup(2).
 *
 * <pre>
 *   0 sq_entries | 4 cq_entries | 8 flags | 12 sq_thread_cpu | 16 sq_thread_idle | 20 features
 *  24 wq_fd | 28..39 resv[3]
 *  40 struct io_sqring_offsets: head, tail, ring_mask, ring_entries, flags, dropped, array, resv1 (u32),
 *     user_addr (u64)                                                                   (40 bytes)
 *  80 struct io_cqring_offsets: head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1 (u32),
 *     user_addr (u64)                                                                   (40 bytes)
 * </pre>
 */
public final class ParamsDescriptor {
    public static final int SIZE = 120;
    public static final long SQ_ENTRIES_OFFSET = 0;
    public static final long CQ_ENTRIES_OFFSET = 4;
    public static final long FLAGS_OFFSET = 8;
    public static final long SQ_THREAD_CPU_OFFSET = 12;
    public static final long SQ_THREAD_IDLE_OFFSET = 16;
    public static final long FEATURES_OFFSET = 20;
    public static final long WQ_FD_OFFSET = 24;

    public static final long SQ_OFF = 40;
    public static final long SQ_HEAD_OFFSET = SQ_OFF;
    public static final long SQ_TAIL_OFFSET = SQ_OFF + 4;
    public static final long SQ_RING_MASK_OFFSET = SQ_OFF + 8;
    public static final long SQ_RING_ENTRIES_OFFSET = SQ_OFF + 12;
    public static final long SQ_FLAGS_OFFSET = SQ_OFF + 16;
    public static final long SQ_DROPPED_OFFSET = SQ_OFF + 20;
    public static final long SQ_ARRAY_OFFSET = SQ_OFF + 24;

    public static final long CQ_OFF = 80;
    public static final long CQ_HEAD_OFFSET = CQ_OFF;
    public static final long CQ_TAIL_OFFSET = CQ_OFF + 4;
    public static final long CQ_RING_MASK_OFFSET = CQ_OFF + 8;
    public static final long CQ_RING_ENTRIES_OFFSET = CQ_OFF + 12;
    public static final long CQ_OVERFLOW_OFFSET = CQ_OFF + 16;
    public static final long CQ_CQES_OFFSET = CQ_OFF + 20;
    public static final long CQ_FLAGS_OFFSET = CQ_OFF + 24;

    private ParamsDescriptor() {
    }
}
