package io.rawio.engine;

import io.rawio.nativeio.NativeFile;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;

/**
 * One pread/pwrite (preadv/pwritev for vectored operations) per operation, in batch order, on the
 * calling thread: the queue-depth-1 baseline. Thread-safe: it keeps no state but per-thread scratch.
 */
public final class PsyncEngine extends AbstractIoEngine {
    public PsyncEngine() {
        super("psync");
    }

    @Override
    protected void run(IoBatch batch) {
        runInOrder(batch, (b, i) -> runChecked(b, i, syscalls));
    }

    /** One operation, counting its system calls in {@code syscalls}; bytes or -errno. */
    static long runOne(IoBatch batch, int i, LongAdder syscalls) {
        long pre = batch.precheck(i);
        return pre < 0 ? pre : runChecked(batch, i, syscalls);
    }

    /** One operation that passed its precheck. */
    static long runChecked(IoBatch batch, int i, LongAdder syscalls) {
        int fd = batch.file(i).fd();
        IoOp op = batch.op(i);
        int flags = batch.rwFlags(i);
        return switch (op) {
            case READ, WRITE -> {
                MemorySegment buf = batch.buffer(i);
                if (flags == 0) {
                    yield NativeFile.transferFully(op == IoOp.WRITE, fd, buf, batch.offset(i), syscalls);
                }
                PosixTransfers.Scratch s = PosixTransfers.scratch();
                s.segments[0] = buf;
                long r = PosixTransfers.transferv(op == IoOp.WRITE, fd, s.segments, 0, 1, batch.offset(i), flags,
                        s.iov, syscalls);
                s.segments[0] = null;
                yield r;
            }
            case READV, WRITEV -> {
                MemorySegment[] v = batch.vector(i);
                yield PosixTransfers.transferv(op == IoOp.WRITEV, fd, v, 0, v.length, batch.offset(i), flags,
                        PosixTransfers.scratch().iov, syscalls);
            }
            case FSYNC -> PosixTransfers.sync(fd, false, syscalls);
            case FDATASYNC -> PosixTransfers.sync(fd, true, syscalls);
        };
    }
}
