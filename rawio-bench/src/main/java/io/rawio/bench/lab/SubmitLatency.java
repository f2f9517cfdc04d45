package io.rawio.bench.lab;

import io.rawio.bench.metrics.LatencyStats;
import io.rawio.bench.run.PageCache;
import io.rawio.bench.run.Permutation;
import io.rawio.libaio.AioContext;
import io.rawio.libaio.IocbDescriptor;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import io.rawio.uring.IoUring;
import io.rawio.uring.IoUringConstants;
import io.rawio.uring.SqeDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * How long the submitting system call itself takes for one 4 KiB read of a block not in the page
 * cache: io_submit (native AIO) and io_uring_enter, on a file opened buffered and opened O_DIRECT.
 * One read at a time, each of a block no earlier read touched (the file's cache dropped first), the
 * call timed alone; the read's completion is then waited for outside the timing. This is the subject
 * of the measurement, so it calls the two interfaces directly rather than through an engine.
 */
final class SubmitLatency {
    /** The submit call's latency, and the whole read's (submit to completion), one read at a time. */
    record Result(LatencyStats submit, LatencyStats total) {
    }

    private SubmitLatency() {
    }

    /** The block numbers {@code reads} cold reads use, a disjoint slice per {@code round} of a shuffle. */
    private static int[] blocks(long fileBytes, int reads, int round) {
        int all = (int) Math.min(Integer.MAX_VALUE - 8, fileBytes / 4096);
        int[] perm = Permutation.of(all, 0x5eed);
        int[] out = new int[reads];
        for (int i = 0; i < reads; i++) {
            out[i] = perm[(round * reads + i) % all];
        }
        return out;
    }

    /** Native AIO: io_submit of one IOCB_CMD_PREAD at a time. */
    static Result libaio(Path file, long fileBytes, boolean direct, int reads, int round) throws IOException {
        int[] blocks = blocks(fileBytes, reads, round);
        LatencyStats submit = new LatencyStats();
        LatencyStats total = new LatencyStats();
        try (NativeFile f = open(file, direct); AioContext aio = AioContext.create(1); Arena arena = Arena.ofConfined()) {
            PageCache.drop(f);
            MemorySegment buf = AlignedMemory.allocate(arena, 4096, 4096);
            MemorySegment iocb = arena.allocate(IocbDescriptor.SIZE, 64);
            MemorySegment iocbpp = arena.allocate(ValueLayout.ADDRESS);
            MemorySegment event = arena.allocate(32, 8);
            iocbpp.set(ValueLayout.ADDRESS, 0, iocb);
            for (int b : blocks) {
                IocbDescriptor.prep(iocb, 0, IocbDescriptor.IOCB_CMD_PREAD, f.fd(), buf.address(), 4096, b * 4096L, 0, 1);
                long t0 = System.nanoTime();
                long r = aio.submit(1, iocbpp);
                long t1 = System.nanoTime();
                if (r != 1) {
                    throw new NativeIoException("io_submit", (int) -r, file.toString());
                }
                long got;
                do {
                    got = aio.getevents(1, 1, event);
                } while (got == -io.rawio.nativeio.Errno.EINTR);
                long t2 = System.nanoTime();
                if (got != 1) {
                    throw new NativeIoException("io_getevents", (int) -got, file.toString());
                }
                submit.record(t1 - t0);
                total.record(t2 - t0);
            }
        }
        return new Result(submit, total);
    }

    /** io_uring: io_uring_enter submitting one IORING_OP_READ at a time, not waiting in it. */
    static Result uring(Path file, long fileBytes, boolean direct, int reads, int round) throws IOException {
        int[] blocks = blocks(fileBytes, reads, round);
        LatencyStats submit = new LatencyStats();
        LatencyStats total = new LatencyStats();
        try (NativeFile f = open(file, direct); IoUring ring = IoUring.create(IoUring.Setup.of(4));
             Arena arena = Arena.ofConfined()) {
            PageCache.drop(f);
            MemorySegment buf = AlignedMemory.allocate(arena, 4096, 4096);
            int[] res = new int[1];
            for (int b : blocks) {
                long sqe = ring.nextSqeOffset();
                SqeDescriptor.prep(ring.sqeArray(), sqe, IoUringConstants.IORING_OP_READ, f.fd(), buf.address(), 4096,
                        b * 4096L, 1);
                long t0 = System.nanoTime();
                int s = ring.submitAndWait(0);
                long t1 = System.nanoTime();
                if (s < 0) {
                    throw new NativeIoException("io_uring_enter", -s, file.toString());
                }
                int n = 0;
                while (n == 0) {
                    n = ring.reap((ud, r, fl) -> res[0] = r);
                    if (n == 0) {
                        ring.submitAndWait(1);
                    }
                }
                long t2 = System.nanoTime();
                if (res[0] < 0) {
                    throw new NativeIoException("read", -res[0], file.toString());
                }
                submit.record(t1 - t0);
                total.record(t2 - t0);
            }
        }
        return new Result(submit, total);
    }

    private static NativeFile open(Path file, boolean direct) throws NativeIoException {
        return direct ? NativeFile.open(file, OpenFlag.RDONLY, OpenFlag.DIRECT) : NativeFile.open(file, OpenFlag.RDONLY);
    }
}
