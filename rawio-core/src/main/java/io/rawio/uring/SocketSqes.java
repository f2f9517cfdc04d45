package io.rawio.uring;

import static io.rawio.uring.IoUringConstants.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Where an SQE is filled for the socket operations: ACCEPT (one-shot and multishot), RECV (into a
 * buffer, from a provided-buffer group, multishot), SEND, SENDMSG, PROVIDE_BUFFERS and REMOVE_BUFFERS,
 * POLL_ADD, ASYNC_CANCEL and SHUTDOWN. The fields each uses are those io_uring/net.c, kbuf.c and cancel.c read
 * (include/uapi/linux/io_uring.h names them; liburing's io_uring_prep_* helpers fill the same). Each
 * fills the SQE at {@code base} in the SQE array ({@link IoUring#nextSqeOffset()}), clearing it first.
 *
 * <p>Kernels: ACCEPT, SEND, RECV 5.5-5.6; PROVIDE_BUFFERS 5.7; multishot ACCEPT and ring-provided
 * buffers ({@link BufferRing}) 5.19; multishot RECV 6.0. {@link IoUring#supports(int)} tells the
 * opcodes (POLL_ADD is 5.1); a multishot flag an older kernel does not know is refused with EINVAL in the CQE.
 */
public final class SocketSqes {
    /** struct msghdr on a 64-bit kernel: name, namelen, iov, iovlen, control, controllen, flags. */
    public static final long MSGHDR_SIZE = 56;
    public static final long MSG_NAME_OFFSET = 0;
    public static final long MSG_NAMELEN_OFFSET = 8;
    public static final long MSG_IOV_OFFSET = 16;
    public static final long MSG_IOVLEN_OFFSET = 24;
    public static final long MSG_CONTROL_OFFSET = 32;
    public static final long MSG_CONTROLLEN_OFFSET = 40;
    public static final long MSG_FLAGS_OFFSET = 48;

    private SocketSqes() {
    }

    private static void ioprio(MemorySegment sqes, long base, short flags) {
        sqes.set(ValueLayout.JAVA_SHORT, base + SqeDescriptor.IOPRIO_OFFSET, flags);
    }

    private static void bufGroup(MemorySegment sqes, long base, int group) {
        sqes.set(ValueLayout.JAVA_SHORT, base + SqeDescriptor.BUF_INDEX_OFFSET, (short) group);
    }

    /**
     * accept4(listenFd, NULL, NULL, flags): the CQE's res is the new descriptor. With {@code multishot}
     * the one SQE goes on accepting (each CQE with IORING_CQE_F_MORE while it does).
     */
    public static void accept(MemorySegment sqes, long base, int listenFd, int flags, boolean multishot,
            long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_ACCEPT, listenFd, 0, 0, 0, userData);
        SqeDescriptor.opFlags(sqes, base, flags); // accept_flags
        if (multishot) {
            ioprio(sqes, base, IORING_ACCEPT_MULTISHOT);
        }
    }

    /** recv(fd, buf, length, msgFlags) into {@code buf} (native memory that stays put until the CQE). */
    public static void recv(MemorySegment sqes, long base, int fd, MemorySegment buf, int length, int msgFlags,
            long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_RECV, fd, buf.address(), length, 0, userData);
        SqeDescriptor.opFlags(sqes, base, msgFlags);
    }

    /**
     * recv into a buffer the kernel picks from provided-buffer group {@code group} (IOSQE_BUFFER_SELECT):
     * the CQE has IORING_CQE_F_BUFFER and the buffer's id in its upper 16 flag bits. With
     * {@code multishot} the SQE goes on receiving, one CQE per buffer filled, until an error, the end of
     * the stream, or the group running out (-ENOBUFS); a CQE without IORING_CQE_F_MORE is its last.
     * Length 0: each receive takes up to one whole buffer.
     */
    public static void recvSelect(MemorySegment sqes, long base, int fd, int group, int msgFlags, boolean multishot,
            long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_RECV, fd, 0, 0, 0, userData);
        SqeDescriptor.opFlags(sqes, base, msgFlags);
        SqeDescriptor.flags(sqes, base, IOSQE_BUFFER_SELECT);
        bufGroup(sqes, base, group);
        if (multishot) {
            ioprio(sqes, base, IORING_RECV_MULTISHOT);
        }
    }

    /** send(fd, buf, length, msgFlags); the CQE's res is the bytes sent (maybe fewer), or -errno. */
    public static void send(MemorySegment sqes, long base, int fd, MemorySegment buf, int length, int msgFlags,
            long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_SEND, fd, buf.address(), length, 0, userData);
        SqeDescriptor.opFlags(sqes, base, msgFlags);
    }

    /** sendmsg(fd, msghdr, msgFlags): {@code msghdr} (see {@link #msghdr}) and its iovecs stay put until the CQE. */
    public static void sendmsg(MemorySegment sqes, long base, int fd, MemorySegment msghdr, int msgFlags,
            long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_SENDMSG, fd, msghdr.address(), 1, 0, userData);
        SqeDescriptor.opFlags(sqes, base, msgFlags);
    }

    /**
     * sendmsg without copying the payload (IORING_OP_SENDMSG_ZC, 6.1): the first CQE's res is the bytes
     * sent (or -errno), with IORING_CQE_F_MORE when a second CQE follows; that one has
     * IORING_CQE_F_NOTIF and says the memory sent from may be reused. Until it comes the payload must
     * stay put and unchanged.
     */
    public static void sendmsgZc(MemorySegment sqes, long base, int fd, MemorySegment msghdr, int msgFlags,
            long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_SENDMSG_ZC, fd, msghdr.address(), 1, 0, userData);
        SqeDescriptor.opFlags(sqes, base, msgFlags);
    }

    /** Whether a CQE is a zero-copy send's notification (its memory is free again). */
    public static boolean notification(int cqeFlags) {
        return (cqeFlags & IORING_CQE_F_NOTIF) != 0;
    }

    /** Fills a struct msghdr with no address and no control data: {@code count} iovecs at {@code iov}. */
    public static void msghdr(MemorySegment msghdr, MemorySegment iov, int count) {
        msghdr.asSlice(0, MSGHDR_SIZE).fill((byte) 0);
        msghdr.set(ValueLayout.JAVA_LONG, MSG_IOV_OFFSET, iov.address());
        msghdr.set(ValueLayout.JAVA_LONG, MSG_IOVLEN_OFFSET, count);
    }

    /**
     * Hands {@code count} buffers of {@code length} bytes each, back to back from {@code addr}, to group
     * {@code group} with ids {@code firstId}, {@code firstId + 1}, ... (IORING_OP_PROVIDE_BUFFERS, the
     * form before buffer rings: one SQE per hand-over). The CQE's res is 0 or -errno.
     */
    public static void provideBuffers(MemorySegment sqes, long base, long addr, int length, int count, int group,
            int firstId, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_PROVIDE_BUFFERS, count, addr, length, firstId, userData);
        bufGroup(sqes, base, group);
    }

    /** Takes back up to {@code count} unused buffers of {@code group}; the CQE's res is how many. */
    public static void removeBuffers(MemorySegment sqes, long base, int count, int group, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_REMOVE_BUFFERS, count, 0, 0, 0, userData);
        bufGroup(sqes, base, group);
    }

    /**
     * A one-shot poll(2) of {@code fd} for {@code events} (POLLIN, ...): the CQE's res is the events that
     * are ready (the mask poll(2) would return), or -errno. The request ends with its CQE.
     */
    public static void poll(MemorySegment sqes, long base, int fd, short events, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_POLL_ADD, fd, 0, 0, 0, userData);
        SqeDescriptor.opFlags(sqes, base, events & 0xffff); // poll32_events
    }

    /**
     * Cancels the request submitted with {@code target} as user_data (its CQE then says -ECANCELED); this
     * SQE's own CQE is 0, -ENOENT (none such) or -EALREADY (already running).
     */
    public static void cancel(MemorySegment sqes, long base, long target, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_ASYNC_CANCEL, -1, target, 0, 0, userData);
    }

    /** Cancels every request on descriptor {@code fd} (IORING_ASYNC_CANCEL_FD | ALL, 5.19). */
    public static void cancelFd(MemorySegment sqes, long base, int fd, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_ASYNC_CANCEL, fd, 0, 0, 0, userData);
        SqeDescriptor.opFlags(sqes, base, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL);
    }

    /** shutdown(fd, how). */
    public static void shutdown(MemorySegment sqes, long base, int fd, int how, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_SHUTDOWN, fd, 0, how, 0, userData);
    }

    /** The provided buffer a CQE names, or -1 when it names none. */
    public static int bufferId(int cqeFlags) {
        return (cqeFlags & IORING_CQE_F_BUFFER) != 0 ? cqeFlags >>> IORING_CQE_BUFFER_SHIFT : -1;
    }

    /** Whether a multishot request goes on after this CQE. */
    public static boolean more(int cqeFlags) {
        return (cqeFlags & IORING_CQE_F_MORE) != 0;
    }
}
