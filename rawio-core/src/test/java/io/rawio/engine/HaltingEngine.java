package io.rawio.engine;

import io.rawio.nativeio.Errno;

/**
 * A test engine that ends a batch with a preparer partway, as an engine whose ring fails mid-batch
 * does ({@code UringEngine}'s failure of what it has not reaped): the first {@code issued} operations
 * are prepared and read on the wrapped engine; every later one is failed with -EIO without
 * its preparer ever running for it. Other batches (no preparer, no more ops than that, not reads) pass through.
 */
public final class HaltingEngine extends ForwardingIoEngine {
    private final int issued;

    public HaltingEngine(IoEngine inner, int issued) {
        super(inner);
        this.issued = issued;
    }

    @Override
    public void execute(IoBatch batch) {
        if (batch.preparer() == null || batch.size() <= issued || batch.op(0) != IoOp.READ) {
            super.execute(batch);
            return;
        }
        batch.prepareThrough(issued - 1);
        for (int i = 0; i < batch.size(); i++) {
            long now = System.nanoTime();
            if (i < issued && !batch.isCanceled(i)) {
                IoBatch one = new IoBatch(1);
                one.read(batch.file(i), batch.offset(i), batch.buffer(i));
                inner.execute(one);
                batch.complete(i, one.result(0), now);
            } else if (i < issued) {
                batch.complete(i, -Errno.ECANCELED, now);
            } else {
                batch.complete(i, -Errno.EIO, now);
            }
        }
        batch.notifyAllCompleted();
    }
}
