package io.rawio.engine;

import io.rawio.nativeio.Iovec;

/**
 * preadv/pwritev: consecutive operations of a batch that continue each other in the same file (same
 * direction, same RWF flags, each starting where the previous one ends) go out as ONE vectored call
 * of up to IOV_MAX buffers. Other operations run as in {@link PsyncEngine}.
 *
 * <p>When a coalesced call fails, its operations are re-run one by one, so each gets its own result
 * and one bad operation does not fail its neighbours.
 */
public final class PvsyncEngine extends AbstractIoEngine {
    public PvsyncEngine() {
        super("pvsync");
    }

    @Override
    protected void run(IoBatch batch) {
        int n = batch.size();
        int i = 0;
        while (i < n) {
            int end = groupEnd(batch, i);
            long issued = System.nanoTime();
            for (int j = i; j < end; j++) {
                batch.issued(j, issued);
            }
            if (end - i == 1) {
                batch.result(i, PsyncEngine.runOne(batch, i, syscalls));
            } else {
                runGroup(batch, i, end);
            }
            long done = System.nanoTime();
            for (int j = i; j < end; j++) {
                batch.complete(j, batch.result(j), done);
            }
            i = end;
        }
    }

    /** The end (exclusive) of the run of operations starting at {@code start} that one call can carry. */
    private static int groupEnd(IoBatch batch, int start) {
        IoOp op = batch.op(start);
        if (op != IoOp.READ && op != IoOp.WRITE || batch.precheck(start) < 0) {
            return start + 1;
        }
        IoFile file = batch.file(start);
        int flags = batch.rwFlags(start);
        long next = batch.offset(start) + batch.length(start);
        int end = start + 1;
        while (end < batch.size() && end - start < Iovec.IOV_MAX
                && batch.op(end) == op && batch.file(end) == file && batch.rwFlags(end) == flags
                && batch.offset(end) == next && batch.precheck(end) == 0) {
            next += batch.length(end);
            end++;
        }
        return end;
    }

    private void runGroup(IoBatch batch, int start, int end) {
        PosixTransfers.Scratch s = PosixTransfers.scratch();
        int count = end - start;
        for (int j = 0; j < count; j++) {
            s.segments[j] = batch.buffer(start + j);
        }
        boolean write = batch.op(start) == IoOp.WRITE;
        long r = PosixTransfers.transferv(write, batch.file(start).fd(), s.segments, 0, count,
                batch.offset(start), batch.rwFlags(start), s.iov, syscalls);
        for (int j = 0; j < count; j++) {
            s.segments[j] = null;
        }
        if (r < 0) {
            for (int j = start; j < end; j++) {
                batch.result(j, PsyncEngine.runOne(batch, j, syscalls));
            }
            return;
        }
        // A short total only happens for reads at end of file: hand the bytes out in order.
        long remaining = r;
        for (int j = start; j < end; j++) {
            long got = Math.min(batch.length(j), remaining);
            batch.result(j, got);
            remaining -= got;
        }
    }

    /** For tests: whether the group logic would merge operations {@code start..end-1}. */
    static int groupEndForTest(IoBatch batch, int start) {
        return groupEnd(batch, start);
    }
}
