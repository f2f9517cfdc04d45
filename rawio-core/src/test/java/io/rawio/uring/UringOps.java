package io.rawio.uring;

import static io.rawio.uring.IoUringConstants.*;

import java.lang.foreign.MemorySegment;

/**
 * SQE preparation for the io_uring operations beyond read/write/fsync, with the field use of
 * io_uring/*.c in the kernel (the same as liburing's io_uring_prep_* helpers). Each fills the SQE at
 * {@code base} in the SQE array ({@link IoUring#nextSqeOffset()}). Test code: no engine issues these
 * operations yet; UringOpsTest checks the field use against a running kernel.
 */
public final class UringOps {
    private UringOps() {
    }

    public static void nop(MemorySegment sqes, long base, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_NOP, -1, 0, 0, 0, userData);
    }

    /** fallocate(fd, mode, offset, len): len travels in addr, mode in len. */
    public static void fallocate(MemorySegment sqes, long base, int fd, int mode, long offset, long length,
            long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_FALLOCATE, fd, length, mode, offset, userData);
    }

    /** openat(dirfd, path, flags, mode): path is a NUL-terminated string in native memory. */
    public static void openat(MemorySegment sqes, long base, int dirfd, MemorySegment path, int flags, int mode,
            long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_OPENAT, dirfd, path.address(), mode, 0, userData);
        SqeDescriptor.opFlags(sqes, base, flags);
    }

    public static void close(MemorySegment sqes, long base, int fd, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_CLOSE, fd, 0, 0, 0, userData);
    }

    /** statx(dirfd, path, flags, mask, statxbuf): the buffer's address travels in off (addr2). */
    public static void statx(MemorySegment sqes, long base, int dirfd, MemorySegment path, int flags, int mask,
            MemorySegment statxBuf, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_STATX, dirfd, path.address(), mask, statxBuf.address(), userData);
        SqeDescriptor.opFlags(sqes, base, flags);
    }

    /**
     * splice(fdIn, offIn, fdOut, offOut, len, flags); an offset of -1 means "the descriptor's own
     * position" (required for a pipe end).
     */
    public static void splice(MemorySegment sqes, long base, int fdIn, long offIn, int fdOut, long offOut, int length,
            int flags, long userData) {
        SqeDescriptor.prep(sqes, base, IORING_OP_SPLICE, fdOut, offIn, length, offOut, userData);
        SqeDescriptor.spliceFdIn(sqes, base, fdIn);
        SqeDescriptor.opFlags(sqes, base, flags);
    }

    /** Links this SQE to the next: the next starts only after this one succeeded. */
    public static void link(MemorySegment sqes, long base) {
        sqes.set(java.lang.foreign.ValueLayout.JAVA_BYTE, base + SqeDescriptor.FLAGS_OFFSET,
                (byte) (sqes.get(java.lang.foreign.ValueLayout.JAVA_BYTE, base + SqeDescriptor.FLAGS_OFFSET)
                        | IOSQE_IO_LINK));
    }
}
