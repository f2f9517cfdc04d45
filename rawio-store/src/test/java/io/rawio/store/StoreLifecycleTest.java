package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.engine.IoOp;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** close() and calls in progress: close waits for them, and new calls fail with a clear error. */
class StoreLifecycleTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void closeWaitsForAGetInProgressAndRefusesNewCalls() throws Exception {
        Path p = dir.resolve("life.store");
        StoreOptions o = StoreTesting.psyncOptions();
        SlotStore.format(p, 8L << 20, 8192, false, o);
        // A get's batch: reads placed by its preparer as they are issued (a checkpoint's or the
        // superblock's reads are placed when added, below the slots).
        ParkingEngine engine = new ParkingEngine(
                b -> b.size() > 0 && b.op(0) == IoOp.READ && b.preparer() != null);
        engine.armed = false;
        SlotStore s = SlotStore.open(p, o, engine);
        byte[] value = StoreTesting.valueFor("k", 5000);
        s.put(key("k"), value);
        engine.armed = true;
        byte[][] got = new byte[1][];
        Throwable[] getFailed = new Throwable[1];
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                got[0] = s.get(key("k"));
            } catch (Throwable e) {
                getFailed[0] = e;
            }
        });
        assertTrue(engine.parked.await(30, TimeUnit.SECONDS));
        Throwable[] closeFailed = new Throwable[1];
        Thread closer = Thread.ofPlatform().start(() -> {
            try {
                s.close();
            } catch (Throwable e) {
                closeFailed[0] = e;
            }
        });
        closer.join(300);
        assertTrue(closer.isAlive(), "close returned while a get was reading into store memory");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.get(key("k")));
        assertTrue(e.getMessage().contains("store is closed"), e.getMessage());
        engine.release.countDown();
        reader.join();
        closer.join();
        assertNull(getFailed[0]);
        assertNull(closeFailed[0]);
        assertArrayEquals(value, got[0], "the get in progress finished with its value");
        try (SlotStore again = SlotStore.open(p, o)) {
            assertArrayEquals(value, again.get(key("k")));
        }
    }
}
