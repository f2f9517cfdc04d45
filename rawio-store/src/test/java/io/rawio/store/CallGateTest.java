package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The store's lifecycle gate: close waits for calls in progress and refuses new ones. */
class CallGateTest {
    @Test
    @Timeout(30)
    void closeWaitsForTheCallInProgressAndRefusesNewOnes() throws Exception {
        CallGate gate = new CallGate(Path.of("kv.store"));
        gate.enter();
        AtomicBoolean closed = new AtomicBoolean();
        CountDownLatch closing = new CountDownLatch(1);
        Thread closer = Thread.ofPlatform().start(() -> {
            closing.countDown();
            closed.set(gate.close());
        });
        closing.await();
        // The closer is inside close(); new calls are refused from the moment it closed the gate.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!gate.isClosed() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, gate::enter);
        assertTrue(e.getMessage().contains("store is closed: kv.store"), e.getMessage());
        closer.join(200);
        assertTrue(closer.isAlive(), "close returned while a call was still in progress");
        gate.exit();
        closer.join();
        assertTrue(closed.get());
        assertFalse(gate.close(), "a second close does nothing");
    }

    @Test
    void closeWithNoCallsReturnsAtOnce() {
        CallGate gate = new CallGate(Path.of("kv.store"));
        gate.enter();
        gate.exit();
        assertTrue(gate.close());
        assertThrows(IllegalStateException.class, gate::enter);
    }
}
