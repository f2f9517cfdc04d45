package io.rawio.engine;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Iovec;
import io.rawio.nativeio.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;

/**
 * The pread/pwrite/preadv/pwritev loops that complete short transfers, shared by the psync and pvsync
 * engines (and the io_uring engine's synchronous fallback). Each returns the bytes transferred or
 * -errno, and counts its syscalls. Internal to the engines.
 */
final class PosixTransfers {
    /** Per-thread iovec array and segment list, so a transfer allocates nothing. */
    static final class Scratch {
        final MemorySegment iov = Arena.ofAuto().allocate(Iovec.SIZE * Iovec.IOV_MAX, 8);
        final MemorySegment[] segments = new MemorySegment[Iovec.IOV_MAX];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private PosixTransfers() {
    }

    static Scratch scratch() {
        return SCRATCH.get();
    }

    /**
     * preadv/pwritev (or preadv2/pwritev2 when {@code rwFlags != 0}) of {@code count} segments starting
     * at {@code segments[from]}, to consecutive file positions from {@code offset}, resubmitting the
     * remainder after a short transfer. At most IOV_MAX segments go in one call.
     */
    static long transferv(boolean write, int fd, MemorySegment[] segments, int from, int count, long offset,
            int rwFlags, MemorySegment iov, LongAdder syscalls) {
        long total = 0;
        for (int j = from; j < from + count; j++) {
            total += segments[j].byteSize();
        }
        long done = 0;
        int end = from + count;
        while (done < total) {
            // Find the segment holding byte 'done' and how far into it the transfer has come.
            int k = from;
            long skip = done;
            while (k < end && skip >= segments[k].byteSize()) {
                skip -= segments[k].byteSize();
                k++;
            }
            int n = 0;
            for (int j = k; j < end && n < Iovec.IOV_MAX; j++) {
                long into = j == k ? skip : 0;
                long len = segments[j].byteSize() - into;
                if (len > 0) {
                    Iovec.set(iov, n++, segments[j].address() + into, len);
                }
            }
            long r;
            if (rwFlags == 0) {
                r = write ? Libc.pwritev(fd, iov, n, offset + done) : Libc.preadv(fd, iov, n, offset + done);
            } else {
                r = write ? Libc.pwritev2(fd, iov, n, offset + done, rwFlags)
                        : Libc.preadv2(fd, iov, n, offset + done, rwFlags);
            }
            syscalls.increment();
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r < 0) {
                return r;
            }
            if (r == 0) {
                if (write) {
                    return -Errno.EIO;
                }
                break;
            }
            done += r;
        }
        return done;
    }

    /**
     * A whole vectored operation, {@code v} to consecutive positions from {@code offset}, with this
     * thread's scratch iovec array: bytes or -errno.
     */
    public static long transferv(boolean write, int fd, MemorySegment[] v, long offset, int rwFlags,
            LongAdder syscalls) {
        return transferv(write, fd, v, 0, v.length, offset, rwFlags, scratch().iov, syscalls);
    }

    /** fsync or fdatasync, retried on EINTR. */
    static long sync(int fd, boolean dataOnly, LongAdder syscalls) {
        int r;
        do {
            r = dataOnly ? Libc.fdatasync(fd) : Libc.fsync(fd);
            syscalls.increment();
        } while (r == -Errno.EINTR);
        return r;
    }
}
