package io.rawio.engine;

import static io.rawio.uring.IoUringConstants.IORING_FSYNC_DATASYNC;
import static io.rawio.uring.IoUringConstants.IORING_OP_FSYNC;
import static io.rawio.uring.IoUringConstants.IORING_OP_READ;
import static io.rawio.uring.IoUringConstants.IORING_OP_READV;
import static io.rawio.uring.IoUringConstants.IORING_OP_READ_FIXED;
import static io.rawio.uring.IoUringConstants.IORING_OP_WRITE;
import static io.rawio.uring.IoUringConstants.IORING_OP_WRITEV;
import static io.rawio.uring.IoUringConstants.IORING_OP_WRITE_FIXED;
import static io.rawio.uring.IoUringConstants.IOSQE_FIXED_FILE;

import io.rawio.nativeio.Iovec;
import io.rawio.uring.IoUring;
import io.rawio.uring.SqeDescriptor;
import java.lang.foreign.MemorySegment;

/**
 * Where the uring engines' SQE is filled: one batch operation (READ/WRITE, their _FIXED forms for a
 * buffer in a registered region, READV/WRITEV, FSYNC) from where its transfer stands, with a registered
 * file's index when it has one. Stateless.
 */
final class UringSqeFill {
    private UringSqeFill() {
    }

    /**
     * Fills the SQE at {@code sqe} for operation {@code i} of {@code batch}, from where {@code progress}
     * says it stands; its user_data is {@code tag | i} (tag 0 for a batch run by {@link UringEngine#run}).
     * {@code fixed}: the uring-fixed engine (registered buffers and files). Returns whether the SQE names a
     * registered buffer (READ_FIXED or WRITE_FIXED).
     */
    static boolean fill(UringEngineRing r, boolean fixed, TransferProgress progress, IoBatch batch, int i,
            MemorySegment sqes, long sqe, long tag) {
        IoFile f = batch.file(i);
        int fileIndex = fixed ? UringRegistrations.fileIndex(r, f) : -1;
        int fd = fileIndex >= 0 ? fileIndex : f.fd();
        IoOp op = batch.op(i);
        long d = progress.done(i);
        boolean fixedBuffer = false;
        switch (op) {
            case READ, WRITE -> {
                MemorySegment buf = batch.buffer(i);
                long addr = buf.address() + d;
                long len = batch.length(i) - d;
                int bi = fixed ? IoUring.registeredIndex(r.registered, addr, len) : -1;
                byte code = op == IoOp.READ
                        ? (bi >= 0 ? IORING_OP_READ_FIXED : IORING_OP_READ)
                        : (bi >= 0 ? IORING_OP_WRITE_FIXED : IORING_OP_WRITE);
                SqeDescriptor.prep(sqes, sqe, code, fd, addr, (int) Math.min(len, Integer.MAX_VALUE & ~4095L),
                        batch.offset(i) + d, tag | i);
                SqeDescriptor.opFlags(sqes, sqe, batch.rwFlags(i));
                if (bi >= 0) {
                    SqeDescriptor.bufIndex(sqes, sqe, (short) bi);
                    fixedBuffer = true;
                }
            }
            case READV, WRITEV -> {
                MemorySegment[] v = batch.vector(i);
                // The iovec array belongs to the SQE's own slot: it is not reused before the kernel has
                // taken that SQE (and with it the iovecs).
                long slot = sqe / r.uring.sqeSize();
                MemorySegment iov = r.iovs.asSlice(slot * UringEngine.MAX_IOV_PER_OP * Iovec.SIZE,
                        (long) UringEngine.MAX_IOV_PER_OP * Iovec.SIZE);
                for (int k = 0; k < v.length; k++) {
                    Iovec.set(iov, k, v[k], v[k].byteSize());
                }
                SqeDescriptor.prep(sqes, sqe, op == IoOp.READV ? IORING_OP_READV : IORING_OP_WRITEV, fd,
                        iov.address(), v.length, batch.offset(i), tag | i);
                SqeDescriptor.opFlags(sqes, sqe, batch.rwFlags(i));
            }
            case FSYNC, FDATASYNC -> {
                SqeDescriptor.prep(sqes, sqe, IORING_OP_FSYNC, fd, 0, 0, 0, tag | i);
                SqeDescriptor.opFlags(sqes, sqe, op == IoOp.FDATASYNC ? IORING_FSYNC_DATASYNC : 0);
            }
        }
        SqeDescriptor.flags(sqes, sqe, fileIndex >= 0 ? IOSQE_FIXED_FILE : (byte) 0);
        return fixedBuffer;
    }
}
