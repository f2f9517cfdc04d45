package io.rawio.uring;

/**
 * io_uring constants, with the kernel's names, from include/uapi/linux/io_uring.h. They are the same on
 * every architecture.
 */
public final class IoUringConstants {
    // io_uring_setup(2) flags
    public static final int IORING_SETUP_IOPOLL = 1;
    public static final int IORING_SETUP_SQPOLL = 1 << 1;
    public static final int IORING_SETUP_SQ_AFF = 1 << 2;
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    public static final int IORING_SETUP_ATTACH_WQ = 1 << 5;
    public static final int IORING_SETUP_R_DISABLED = 1 << 6;
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    public static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;
    public static final int IORING_SETUP_SQE128 = 1 << 10;
    public static final int IORING_SETUP_CQE32 = 1 << 11;
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;

    // io_uring_params.features
    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    public static final int IORING_FEAT_NODROP = 1 << 1;
    public static final int IORING_FEAT_SUBMIT_STABLE = 1 << 2;
    public static final int IORING_FEAT_FAST_POLL = 1 << 5;
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;

    // mmap(2) offsets of the three regions
    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;

    // io_uring_enter(2) flags
    public static final int IORING_ENTER_GETEVENTS = 1;
    public static final int IORING_ENTER_SQ_WAKEUP = 1 << 1;
    public static final int IORING_ENTER_SQ_WAIT = 1 << 2;
    /** The last argument is a struct io_uring_getevents_arg (a timeout for the wait); 5.11. */
    public static final int IORING_ENTER_EXT_ARG = 1 << 3;

    // sq_ring->flags
    public static final int IORING_SQ_NEED_WAKEUP = 1;
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;

    // sqe->flags
    public static final byte IOSQE_FIXED_FILE = 1;
    public static final byte IOSQE_IO_DRAIN = 1 << 1;
    public static final byte IOSQE_IO_LINK = 1 << 2;
    public static final byte IOSQE_IO_HARDLINK = 1 << 3;
    public static final byte IOSQE_ASYNC = 1 << 4;
    /** Take the buffer from the provided-buffer group in sqe->buf_group; the CQE names it. */
    public static final byte IOSQE_BUFFER_SELECT = 1 << 5;
    public static final byte IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    // sqe->ioprio of ACCEPT
    /** One ACCEPT SQE keeps accepting, a CQE per connection (IORING_CQE_F_MORE while it goes on); 5.19. */
    public static final short IORING_ACCEPT_MULTISHOT = 1;

    // sqe->ioprio of SEND, SENDMSG, RECV, RECVMSG
    public static final short IORING_RECVSEND_POLL_FIRST = 1;
    /** One RECV SQE (with IOSQE_BUFFER_SELECT) keeps receiving, a CQE per buffer filled; 6.0. */
    public static final short IORING_RECV_MULTISHOT = 1 << 1;

    // sqe->cancel_flags of ASYNC_CANCEL
    public static final int IORING_ASYNC_CANCEL_ALL = 1;
    /** Match on sqe->fd instead of user_data (5.19). */
    public static final int IORING_ASYNC_CANCEL_FD = 1 << 1;

    // cqe->flags
    /** The CQE names a provided buffer: its id is in the upper 16 bits. */
    public static final int IORING_CQE_F_BUFFER = 1;
    /** A multishot request goes on: more CQEs will come for this SQE. */
    public static final int IORING_CQE_F_MORE = 1 << 1;
    public static final int IORING_CQE_F_SOCK_NONEMPTY = 1 << 2;
    /** A zero-copy send's second CQE: the kernel is done with the memory it sent from (6.0). */
    public static final int IORING_CQE_F_NOTIF = 1 << 3;
    public static final int IORING_CQE_BUFFER_SHIFT = 16;

    // sqe->uring_cmd_flags of URING_CMD
    /** The command's buffer is registered buffer sqe->buf_index (6.1). */
    public static final int IORING_URING_CMD_FIXED = 1;

    // sqe->fsync_flags
    public static final int IORING_FSYNC_DATASYNC = 1;

    // opcodes (enum io_uring_op)
    public static final byte IORING_OP_NOP = 0;
    public static final byte IORING_OP_READV = 1;
    public static final byte IORING_OP_WRITEV = 2;
    public static final byte IORING_OP_FSYNC = 3;
    public static final byte IORING_OP_READ_FIXED = 4;
    public static final byte IORING_OP_WRITE_FIXED = 5;
    public static final byte IORING_OP_POLL_ADD = 6;
    public static final byte IORING_OP_SENDMSG = 9;
    public static final byte IORING_OP_RECVMSG = 10;
    public static final byte IORING_OP_TIMEOUT = 11;
    public static final byte IORING_OP_ACCEPT = 13;
    public static final byte IORING_OP_ASYNC_CANCEL = 14;
    public static final byte IORING_OP_FALLOCATE = 17;
    public static final byte IORING_OP_OPENAT = 18;
    public static final byte IORING_OP_CLOSE = 19;
    public static final byte IORING_OP_STATX = 21;
    public static final byte IORING_OP_READ = 22;
    public static final byte IORING_OP_WRITE = 23;
    public static final byte IORING_OP_SEND = 26;
    public static final byte IORING_OP_RECV = 27;
    /** sendmsg without copying the payload (6.1): a CQE with the result, then one with IORING_CQE_F_NOTIF. */
    public static final byte IORING_OP_SENDMSG_ZC = 48;
    public static final byte IORING_OP_SPLICE = 30;
    public static final byte IORING_OP_PROVIDE_BUFFERS = 31;
    public static final byte IORING_OP_REMOVE_BUFFERS = 32;
    public static final byte IORING_OP_SHUTDOWN = 34;
    public static final byte IORING_OP_URING_CMD = 46;

    /** Opcode names by number, for the probe (enum io_uring_op order). */
    static final String[] OP_NAMES = {
        "NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED", "POLL_ADD", "POLL_REMOVE",
        "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL",
        "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ", "WRITE",
        "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS",
        "REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT",
        "MSG_RING", "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC",
        "SENDMSG_ZC", "READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV",
        "FIXED_FD_INSTALL", "FTRUNCATE", "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED",
        "WRITEV_FIXED", "PIPE"
    };

    // io_uring_register(2) opcodes
    public static final int IORING_REGISTER_BUFFERS = 0;
    public static final int IORING_UNREGISTER_BUFFERS = 1;
    public static final int IORING_REGISTER_FILES = 2;
    public static final int IORING_UNREGISTER_FILES = 3;
    public static final int IORING_REGISTER_PROBE = 8;
    /** Starts a ring set up with IORING_SETUP_R_DISABLED (5.10). */
    public static final int IORING_REGISTER_ENABLE_RINGS = 12;
    /** Registers buffers with a struct io_uring_rsrc_register (5.13; a sparse table: 5.19). */
    public static final int IORING_REGISTER_BUFFERS2 = 15;
    /** Replaces registered buffers from an index on, with a struct io_uring_rsrc_update2 (5.13). */
    public static final int IORING_REGISTER_BUFFERS_UPDATE = 16;
    /** io_uring_rsrc_register.flags: a table of empty slots, filled by updates (5.19). */
    public static final int IORING_RSRC_REGISTER_SPARSE = 1;
    /** Registers a ring of provided buffers (struct io_uring_buf_reg); 5.19. */
    public static final int IORING_REGISTER_PBUF_RING = 22;
    public static final int IORING_UNREGISTER_PBUF_RING = 23;
    public static final int IO_URING_OP_SUPPORTED = 1;

    private IoUringConstants() {
    }

    /** The kernel's name of an opcode, without the IORING_OP_ prefix. */
    public static String opName(int op) {
        return op >= 0 && op < OP_NAMES.length ? OP_NAMES[op] : "OP_" + op;
    }
}
