package io.rawio.store;

import io.rawio.engine.ForwardingIoEngine;
import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngines;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;

/**
 * psync that parks the first batch matching a test (while armed) until {@link #release} is counted
 * down, so a test can act while that batch's I/O is "in flight": copy the file as a crash, close the
 * store, start other writers.
 */
final class ParkingEngine extends ForwardingIoEngine {
    private final Predicate<IoBatch> parks;
    final CountDownLatch parked = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean armed = true;

    ParkingEngine(Predicate<IoBatch> parks) {
        super(IoEngines.create("psync"));
        this.parks = parks;
    }

    @Override
    public void execute(IoBatch batch) {
        if (armed && parked.getCount() > 0 && parks.test(batch)) {
            parked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        super.execute(batch);
    }
}
