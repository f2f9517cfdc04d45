package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery of a key whose slots lie in two classes: the older slot must never win over what came
 * after it (a tombstone, an expiry, or the eviction of the newer slot).
 */
class ClassMoveRecoveryTest {
    @TempDir
    Path dir;

    Path format(String name, StoreOptions o) throws Exception {
        Path p = dir.resolve(name);
        SlotStore.format(p, 48L << 20, SlotClassesStoreTest.CLASSES, false, o, Preallocation.FALLOCATE,
                FormatProgress.NONE);
        return p;
    }

    /**
     * A key put in class 2 and then deleted (its tombstone goes to class 0), both after the last
     * checkpoint: recovery reads class 0 first, where the tombstone removes the key, then class 2,
     * where the older value must lose to the tombstone's version (it once came back).
     */
    @Test
    void aDeleteAfterTheLastCheckpointKeepsAValueOfALargerClassDeleted() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions().withDurability(StoreOptions.Durability.DURABLE);
        Path p = format("tombstone.store", o);
        SlotStore s = SlotStore.open(p, o);
        s.put(key("k"), SlotClassesStoreTest.value("v", 50_000)); // class 2
        assertTrue(s.delete(key("k")));                            // its tombstone: class 0
        assertNull(s.get(key("k")));
        s.abandon();
        try (SlotStore r = SlotStore.open(p, o)) {
            assertAbsent(r, "a deleted key came back after a crash");
        }
    }

    /**
     * A key moves from class 2 to class 0 with an expiry; it expires, and class 0 comes round over its
     * slot. With no checkpoint to load, recovery reads every slot: the key's class-2 slot, older than
     * the expired one, must not bring the key back.
     */
    @Test
    void anExpiredKeyStaysAbsentWhenAFullScanFindsItsOlderSlotInAnotherClass() throws Exception {
        SlotClassesStoreTest.TestClock clock = new SlotClassesStoreTest.TestClock();
        StoreOptions o = StoreTesting.psyncOptions().withClock(clock);
        Path p = format("expired.store", o);
        SlotStore s = SlotStore.open(p, o);
        s.put(key("k"), SlotClassesStoreTest.value("old", 50_000));                          // class 2
        s.put(key("k"), MemorySegment.ofArray(SlotClassesStoreTest.value("new", 100)), clock.ms.get() + 100); // class 0
        clock.ms.addAndGet(100);
        assertNull(s.get(key("k")));
        long class0Slots = s.classStats().get(0).slots();
        fillClass0(s, class0Slots + 1); // one lap: the expired key's slot is written over
        crashWithNoCheckpoint(s, p);
        try (SlotStore r = SlotStore.open(p, o)) {
            assertAbsent(r, "an expired key came back with the value it had before");
        }
    }

    /**
     * As above with FIFO eviction instead of an expiry: the key's newest value is evicted; a full scan
     * must not give it back its older value from another class.
     */
    @Test
    void anEvictedKeyDoesNotComeBackWithAnOlderValueFromAnotherClass() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = format("evicted.store", o);
        SlotStore s = SlotStore.open(p, o);
        s.put(key("k"), SlotClassesStoreTest.value("old", 50_000)); // class 2
        s.put(key("k"), SlotClassesStoreTest.value("new", 100));    // class 0
        fillClass0(s, s.classStats().get(0).slots() + 1);
        assertNull(s.get(key("k")), "test setup: evicted");
        crashWithNoCheckpoint(s, p);
        try (SlotStore r = SlotStore.open(p, o)) {
            byte[] got = r.get(key("k"));
            assertTrue(got == null || Arrays.equals(SlotClassesStoreTest.value("new", 100), got),
                    () -> "an overwritten value came back: " + got.length + " bytes");
        }
    }

    /**
     * A store on an engine that parks the writes of one thread, and a put on that thread, parked before
     * its write: {@link Overtaken#finish} lets it write and waits for it.
     */
    private record Overtaken(SlotStore store, ParkingEngine engine, Thread[] victim, Throwable[] failed) {
        static Overtaken open(Path p, StoreOptions o) throws Exception {
            Thread[] victim = new Thread[1];
            ParkingEngine engine = new ParkingEngine(b -> Thread.currentThread() == victim[0]
                    && CrashDefectsTest.hasWrite(b));
            return new Overtaken(SlotStore.open(p, o, engine), engine, victim, new Throwable[1]);
        }

        /** Puts {@code value} on a thread of its own; returns once its write is parked. */
        Thread park(byte[] k, byte[] value) throws Exception {
            Thread put = Thread.ofPlatform().unstarted(() -> {
                try {
                    store.put(k, value);
                } catch (Throwable e) {
                    failed[0] = e;
                }
            });
            victim[0] = put;
            put.start();
            assertTrue(engine.parked.await(30, java.util.concurrent.TimeUnit.SECONDS));
            return put;
        }

        void finish(Thread put) throws Exception {
            engine.release.countDown();
            put.join();
            assertNull(failed[0]);
        }
    }

    /**
     * A put in class 2 is overtaken by a later put of the same key in class 0, or by its delete (the
     * tombstone in class 0), planned after it and written before it: the class-2 value never enters the
     * index, but its slot lands on the device. Once class 0 comes round over the newer slot and no
     * checkpoint loads, a full scan must not bring the overtaken, older value back.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"put", "delete"})
    @org.junit.jupiter.api.Timeout(60)
    void anOvertakenPutInAnotherClassDoesNotComeBackAfterAFullScan(String overtakenBy) throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = format("overtaken-" + overtakenBy + ".store", o);
        Overtaken ov = Overtaken.open(p, o);
        SlotStore s = ov.store();
        byte[] k = key("k");
        if (overtakenBy.equals("delete")) {
            s.put(k, SlotClassesStoreTest.value("first", 100)); // class 0: there is something to delete
        }
        Thread put = ov.park(k, SlotClassesStoreTest.value("old", 50_000)); // class 2
        if (overtakenBy.equals("put")) {
            s.put(k, SlotClassesStoreTest.value("new", 100)); // class 0: planned after it, committed first
        } else {
            assertTrue(s.delete(k)); // its tombstone in class 0: planned after the put, committed first
        }
        ov.finish(put);
        if (overtakenBy.equals("put")) {
            assertArrayEquals(SlotClassesStoreTest.value("new", 100), s.get(k), "the later put stands");
        } else {
            assertNull(s.get(k), "the later delete stands");
        }
        fillClass0(s, s.classStats().get(0).slots() + 1);
        assertNull(s.get(k), "test setup: evicted");
        crashWithNoCheckpoint(s, p);
        try (SlotStore r = SlotStore.open(p, o)) {
            byte[] got = r.get(k);
            assertTrue(got == null || Arrays.equals(SlotClassesStoreTest.value("new", 100), got),
                    () -> "the overtaken put's older value came back: " + got.length + " bytes");
        }
    }

    /**
     * An overtaken put whose key's newer slot lies later in the same class is not retired: that ring
     * writes over the older slot first, so a full scan never finds it alone (and a retirement would cost
     * a write and a flush on the writer's path).
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void anOvertakenPutInTheSameClassIsLeftAsItIs() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = format("overtaken-same.store", o);
        Overtaken ov = Overtaken.open(p, o);
        try (SlotStore s = ov.store()) {
            byte[] k = key("k");
            Thread put = ov.park(k, SlotClassesStoreTest.value("old", 100)); // class 0
            s.put(k, SlotClassesStoreTest.value("new", 100)); // class 0, the next position, committed first
            ov.finish(put);
            long newer = s.keys().getFirst().position();
            MemorySegment older = header(p, s, newer - 1);
            assertEquals(newer - 1, SlotDescriptor.sequence(older), "test setup: the overtaken put's slot");
            assertEquals(SlotDescriptor.FLAG_LIVE, SlotDescriptor.flags(older), "not retired");
            assertArrayEquals(SlotClassesStoreTest.value("new", 100), s.get(k));
        }
    }

    /**
     * A move retires the key's old slot: it is rewritten in place as a tombstone of the key, at its own
     * position and with its own version, so the ring still reads it as written there.
     */
    @Test
    void aKeyThatMovesClassLeavesItsOldSlotRetired() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = format("retired.store", o);
        try (SlotStore s = SlotStore.open(p, o)) {
            s.put(key("k"), SlotClassesStoreTest.value("old", 50_000)); // class 2
            long old = s.keys().getFirst().position();
            MemorySegment before = header(p, s, old);
            s.put(key("k"), SlotClassesStoreTest.value("new", 100));    // class 0
            MemorySegment after = header(p, s, old);
            assertEquals(SlotDescriptor.FLAG_LIVE, SlotDescriptor.flags(before));
            assertEquals(SlotDescriptor.FLAG_TOMBSTONE, SlotDescriptor.flags(after));
            assertEquals(old, SlotDescriptor.sequence(after));
            assertEquals(SlotDescriptor.version(before), SlotDescriptor.version(after));
            assertTrue(SlotDescriptor.headerValid(after, s.superblock().storeId(), 65536));
            long now = s.keys().getFirst().position();
            assertEquals(s.superblock().slotOf(old), SlotDescriptor.previousSlot(header(p, s, now)),
                    "the new slot names the one it superseded");
            assertArrayEquals(SlotClassesStoreTest.value("new", 100), s.get(key("k")));
        }
    }

    /**
     * The process dies after a move's new slot is written and before its old slot is retired (the old
     * slot's first block is put back as it was): the next open retires it, so a later full scan, after
     * the new slot was overwritten, does not bring the old value back.
     */
    @Test
    void anOpenRetiresAnOldSlotTheProcessDidNotRetireBeforeItDied() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = format("unretired.store", o);
        SlotStore s = SlotStore.open(p, o);
        s.put(key("k"), SlotClassesStoreTest.value("old", 50_000)); // class 2
        long old = s.keys().getFirst().position();
        long offset = s.superblock().positionOffset(old);
        byte[] firstBlock = read(p, offset, 4096);
        s.put(key("k"), SlotClassesStoreTest.value("new", 100));    // class 0: the old slot is retired
        s.abandon();
        write(p, offset, firstBlock);                                // ... as if that never landed
        try (SlotStore r = SlotStore.open(p, o)) {
            assertArrayEquals(SlotClassesStoreTest.value("new", 100), r.get(key("k")));
            assertEquals(SlotDescriptor.FLAG_TOMBSTONE, SlotDescriptor.flags(header(p, r, old)),
                    "the open retired the old slot");
            fillClass0(r, r.classStats().get(0).slots() + 1);
            assertNull(r.get(key("k")), "test setup: evicted");
            crashWithNoCheckpoint(r, p);
        }
        try (SlotStore r = SlotStore.open(p, o)) {
            assertTrue(r.stats().recoveredKeys() > 0, "a full scan");
            assertAbsent(r, "the old value came back after a full scan");
        }
    }

    /**
     * A hot key is being reinserted (its old value rewritten at the next lap's position of its slot) by
     * the same putMany that moves it to another class: its slot is retired at the reinsertion's
     * position, after the reinsertion, so the ring has no hole there and the old value is not live.
     */
    @Test
    void aKeyMovedWhileItIsReinsertedIsRetiredAtItsNewPosition() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.FIFO_REINSERT);
        Path p = format("reinserted.store", o);
        try (SlotStore s = SlotStore.open(p, o)) {
            s.put(key("k"), SlotClassesStoreTest.value("old", 50_000)); // class 2, its ring's first position
            long old = s.keys().getFirst().position();
            assertArrayEquals(SlotClassesStoreTest.value("old", 50_000), s.get(key("k"))); // hot
            long slots2 = s.classStats().get(2).slots();
            for (int i = 1; i < slots2; i++) {
                s.put(key("fill-" + i), SlotClassesStoreTest.value("f", 40_000));
            }
            // The ring is full and k's slot is next: "j" reinserts k there, and "k" moves to class 0.
            List<SlotStore.Result> r = s.putMany(List.of(key("j"), key("k")),
                    List.of(MemorySegment.ofArray(SlotClassesStoreTest.value("j", 40_000)),
                            MemorySegment.ofArray(SlotClassesStoreTest.value("new", 100))));
            assertTrue(r.stream().allMatch(SlotStore.Result::ok), r.toString());
            assertTrue(s.stats().reinsertions() >= 1, "test setup: k was reinserted");
            MemorySegment h = header(p, s, old);
            assertEquals(SlotDescriptor.FLAG_TOMBSTONE, SlotDescriptor.flags(h), "k's old value is not live");
            assertEquals(old + slots2, SlotDescriptor.sequence(h), "retired at the reinsertion's position");
            assertArrayEquals(SlotClassesStoreTest.value("new", 100), s.get(key("k")));
            s.abandon();
        }
        try (SlotStore r = SlotStore.open(p, o)) {
            assertArrayEquals(SlotClassesStoreTest.value("new", 100), r.get(key("k")));
            assertArrayEquals(SlotClassesStoreTest.value("j", 40_000), r.get(key("j")));
        }
    }

    /**
     * An open also retires an old slot that no scanned header names: one recovery finds superseded by
     * a newer version of its key in another class (here the new slot's name of it is erased, as when
     * the write that moved the key lies before its class's scan start).
     */
    @Test
    void anOpenRetiresAnOldSlotItFindsSupersededEvenWhenNoHeaderNamesIt() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = format("unnamed.store", o);
        SlotStore s = SlotStore.open(p, o);
        s.put(key("k"), SlotClassesStoreTest.value("old", 50_000)); // class 2
        long old = s.keys().getFirst().position();
        long oldOffset = s.superblock().positionOffset(old);
        byte[] oldBlock = read(p, oldOffset, 4096);
        s.put(key("k"), SlotClassesStoreTest.value("new", 100));    // class 0
        long now = s.keys().getFirst().position();
        long newOffset = s.superblock().positionOffset(now);
        s.abandon();
        write(p, oldOffset, oldBlock);                               // not retired
        byte[] newBlock = read(p, newOffset, 4096);
        MemorySegment h = MemorySegment.ofArray(newBlock);
        h.set(Le.U32, SlotDescriptor.PREVIOUS_SLOT_OFFSET, 0);       // and not named
        SlotDescriptor.sealHeader(h);
        write(p, newOffset, newBlock);
        try (SlotStore r = SlotStore.open(p, o)) {
            assertArrayEquals(SlotClassesStoreTest.value("new", 100), r.get(key("k")));
            assertEquals(SlotDescriptor.FLAG_TOMBSTONE, SlotDescriptor.flags(header(p, r, old)),
                    "the open retired the old slot");
        }
    }

    private static MemorySegment header(Path p, SlotStore s, long position) throws Exception {
        return MemorySegment.ofArray(read(p, s.superblock().positionOffset(position), 4096));
    }

    private static byte[] read(Path p, long offset, int n) throws Exception {
        byte[] b = new byte[n];
        try (var ch = java.nio.channels.FileChannel.open(p)) {
            ch.read(java.nio.ByteBuffer.wrap(b), offset);
        }
        return b;
    }

    private static void write(Path p, long offset, byte[] b) throws Exception {
        try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(b), offset);
        }
    }

    private static void assertAbsent(SlotStore r, String why) throws Exception {
        byte[] got = r.get(key("k"));
        assertTrue(got == null, () -> why + ": " + got.length + " bytes");
    }

    /** The process dies ({@code s} abandoned) and neither checkpoint loads: the next open reads every slot. */
    private static void crashWithNoCheckpoint(SlotStore s, Path p) throws Exception {
        long cp0 = s.superblock().checkpoint0();
        long cp1 = s.superblock().checkpoint1();
        s.abandon();
        StoreTesting.flipByte(p, cp0 + 20);
        StoreTesting.flipByte(p, cp1 + 20);
    }

    private static void fillClass0(SlotStore s, long n) throws Exception {
        for (long from = 0; from < n; from += 512) {
            List<byte[]> ks = new ArrayList<>();
            List<MemorySegment> vs = new ArrayList<>();
            for (long i = from; i < Math.min(n, from + 512); i++) {
                ks.add(key("fill-" + i));
                vs.add(MemorySegment.ofArray(new byte[10]));
            }
            for (SlotStore.Result r : s.putMany(ks, vs)) {
                assertTrue(r.ok(), r.toString());
            }
        }
    }
}
