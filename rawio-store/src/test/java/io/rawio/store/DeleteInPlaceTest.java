package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delete in place (eviction off, ring full) whose checkpoint does not fit, followed by a restart
 * that loads an older checkpoint still listing the key: the deleted value never comes back, whatever
 * it was, and a packed one reads as a plain miss.
 */
class DeleteInPlaceTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"packed", "aligned-zeros", "aligned"})
    void aDeletedValueNeverComesBackFromAnOlderCheckpoint(String kind) throws Exception {
        Path p = dir.resolve(kind + ".store");
        StoreOptions o = StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.REJECT);
        SlotStore.format(p, 12L << 20, 8192, false, o);
        byte[] victim = key("victim");
        byte[] value = switch (kind) {
            case "packed" -> StoreTesting.valueFor("victim", 1000);
            case "aligned-zeros" -> new byte[4096];
            default -> {
                byte[] v = new byte[4096];
                Arrays.fill(v, (byte) 7);
                yield v;
            }
        };
        try (SlotStore s = SlotStore.open(p, o)) {
            s.put(victim, value);
            assertTrue(s.checkpoint());
            StoreTesting.fillWithLongKeys(s, k -> new byte[100]);
            assertFalse(s.checkpoint(), "test setup: the index no longer fits a checkpoint");
            assertTrue(s.delete(victim), "deleted in place");
            assertNull(s.get(victim));
        }
        try (SlotStore s = SlotStore.open(p, o)) {
            byte[] got;
            try {
                got = s.get(victim);
                if (kind.equals("packed")) {
                    assertNull(got, "the key's own tombstone is a miss");
                }
            } catch (StoreException.Corrupt e) {
                assertFalse(kind.equals("packed"), "a packed value reads its tombstone: a miss, not corrupt");
                got = null;
            }
            assertNull(got, "the deleted value came back");
            assertFalse(s.contains(victim), "the key is dropped either way");
            assertEquals(0, kind.equals("packed") ? s.stats().corruptions() : 0);
        }
    }

    /**
     * A store of one class, eviction off: a put of a key is in flight in the ring's last free slot when
     * the key is deleted, so the delete goes in place (over the key's older slot). The delete comes after
     * the put: after a crash the key must stay deleted, not come back with the put's value from the
     * later position (a one-class recovery goes by positions, not versions).
     */
    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.Timeout(60)
    void aDeleteInPlaceAfterAPutOfItsKeyStillInFlightStaysAfterACrash() throws Exception {
        Path p = dir.resolve("overtake.store");
        StoreOptions o = StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.REJECT);
        SlotStore.format(p, 12L << 20, 8192, false, o);
        Thread[] victim = new Thread[1];
        ParkingEngine engine = new ParkingEngine(b -> Thread.currentThread() == victim[0] && CrashDefectsTest.hasWrite(b));
        SlotStore s = SlotStore.open(p, o, engine);
        byte[] k = key("k");
        s.put(k, StoreTesting.valueFor("first", 100));
        long slots = s.superblock().slotCount();
        java.util.List<byte[]> ks = new java.util.ArrayList<>();
        java.util.List<java.lang.foreign.MemorySegment> vs = new java.util.ArrayList<>();
        for (long i = 0; i < slots - 2; i++) {
            ks.add(key("fill-" + i));
            vs.add(java.lang.foreign.MemorySegment.ofArray(new byte[10]));
        }
        for (SlotStore.Result r : s.putMany(ks, vs)) {
            assertTrue(r.ok(), r.toString());
        }
        Throwable[] failed = new Throwable[1];
        Thread put = Thread.ofPlatform().unstarted(() -> {
            try {
                s.put(k, StoreTesting.valueFor("second", 100)); // the ring's last free slot, parked
            } catch (Throwable e) {
                failed[0] = e;
            }
        });
        victim[0] = put;
        put.start();
        assertTrue(engine.parked.await(30, java.util.concurrent.TimeUnit.SECONDS));
        Thread delete = Thread.ofPlatform().start(() -> {
            try {
                assertTrue(s.delete(k), "deleted");
            } catch (Throwable e) {
                failed[0] = e;
            }
        });
        delete.join(500); // it may wait for the put of its key to land
        engine.release.countDown();
        put.join();
        delete.join();
        assertNull(failed[0]);
        assertNull(s.get(k), "the delete came after the put");
        s.abandon();
        try (SlotStore r = SlotStore.open(p, o)) {
            assertNull(r.get(k), "the put the delete came after was back after a crash");
        }
    }
}
