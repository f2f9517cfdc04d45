package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A store of several slot classes: values by size, keys that move class, expiry and scan. */
class SlotClassesStoreTest {
    static final SlotClasses CLASSES = SlotClasses.ofEqualSpace(List.of(4096L, 16384L, 65536L));

    @TempDir
    Path dir;

    Path format(String name, StoreOptions o) throws Exception {
        Path p = dir.resolve(name);
        SlotStore.format(p, 48L << 20, CLASSES, false, o, Preallocation.FALLOCATE,
                FormatProgress.NONE);
        return p;
    }

    @Test
    void eachValueGoesToTheSmallestClassThatHoldsIt() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = format("classes.store", o);
        try (SlotStore s = SlotStore.open(p, o)) {
            assertEquals(3, s.superblock().classes().size());
            int[] sizes = {0, 100, 4000, 5000, 16000, 17000, 60000};
            int[] expectClass = {0, 0, 0, 1, 1, 2, 2};
            for (int i = 0; i < sizes.length; i++) {
                s.put(key("k" + i), StoreTesting.valueFor("k" + i, sizes[i]).length == sizes[i]
                        ? StoreTesting.valueFor("k" + i, sizes[i]) : new byte[sizes[i]]);
            }
            for (KeyInfo k : s.keys()) {
                int i = Integer.parseInt(new String(k.key()).substring(1));
                assertEquals(expectClass[i], s.superblock().classOf(k.position()).id(), "value of " + sizes[i] + " bytes");
            }
            List<ClassStats> cs = s.classStats();
            assertEquals(3, cs.get(0).keys());
            assertEquals(2, cs.get(1).keys());
            assertEquals(2, cs.get(2).keys());
            SlotStore.Result tooBig = s.putMany(List.of(key("big")), List.of(MemorySegment.ofArray(new byte[70_000])))
                    .getFirst();
            assertEquals(SlotStore.Status.INVALID, tooBig.status());
            assertTrue(s.check().healthy(), s.check().toString());
        }
    }

    static byte[] value(String tag, int n) {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
            v[i] = (byte) (tag.hashCode() + i * 13);
        }
        return v;
    }

    /** How the key ends: reopened cleanly, after a crash, or after a crash with both checkpoints lost. */
    @ParameterizedTest
    @ValueSource(strings = {"close", "crash", "crash-no-checkpoint"})
    void aKeyThatMovesClassKeepsItsLatestValueAcrossARestart(String how) throws Exception {
        StoreOptions o = StoreTesting.psyncOptions().withDurability(StoreOptions.Durability.DURABLE);
        Path p = format(how + ".store", o);
        byte[] k = key("mover");
        byte[] small = value("small", 300);
        byte[] large = value("large", 50_000);
        byte[] medium = value("medium", 9_000);
        SlotStore s = SlotStore.open(p, o);
        s.put(k, small);
        assertTrue(s.checkpoint()); // the checkpoint says class 0
        s.put(k, large);            // class 2, after the checkpoint
        s.put(k, medium);           // class 1
        s.put(key("other"), value("other", 300)); // class 0 again, after the small one
        assertArrayEquals(medium, s.get(k));
        if (how.equals("close")) {
            s.close();
        } else {
            s.abandon();
        }
        if (how.equals("crash-no-checkpoint")) {
            try (SlotStore r = SlotStore.open(p, o)) {
                StoreTesting.flipByte(p, r.superblock().checkpoint0() + 20);
                StoreTesting.flipByte(p, r.superblock().checkpoint1() + 20);
                r.closeWithoutCheckpoint();
            }
        }
        try (SlotStore r = SlotStore.open(p, o)) {
            assertArrayEquals(medium, r.get(k), "the latest value, not the one of another class");
            assertArrayEquals(value("other", 300), r.get(key("other")));
            assertEquals(2, r.keys().size());
            assertTrue(r.check().keysCorrupt() == 0);
            // And moving back to the smallest class after the restart wins over everything before it.
            r.put(k, small);
        }
        try (SlotStore r = SlotStore.open(p, o)) {
            assertArrayEquals(small, r.get(k));
        }
    }

    @Test
    void aDeleteInOneClassRemovesAValueOfAnother() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions().withDurability(StoreOptions.Durability.DURABLE);
        Path p = format("delete.store", o);
        SlotStore s = SlotStore.open(p, o);
        s.put(key("k"), value("v", 50_000)); // class 2
        assertTrue(s.checkpoint());
        assertTrue(s.delete(key("k")));      // its tombstone goes to class 0
        s.abandon();
        try (SlotStore r = SlotStore.open(p, o)) {
            assertNull(r.get(key("k")));
        }
    }

    static final class TestClock implements InstantSource {
        final AtomicLong ms = new AtomicLong(1_000_000);

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(ms.get());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"close", "crash"})
    void anExpiredKeyIsAbsentAndStaysAbsentAfterARestart(String how) throws Exception {
        TestClock clock = new TestClock();
        StoreOptions o = StoreTesting.psyncOptions().withClock(clock).withDurability(StoreOptions.Durability.DURABLE);
        Path p = format("expiry-" + how + ".store", o);
        SlotStore s = SlotStore.open(p, o);
        long now = clock.ms.get();
        s.put(key("short"), MemorySegment.ofArray(value("s", 100)), now + 1_000);
        s.put(key("long"), MemorySegment.ofArray(value("l", 20_000)), now + 100_000);
        s.put(key("forever"), value("f", 100));
        assertEquals(1_000, s.ttlMillis(key("short")));
        assertEquals(-1, s.ttlMillis(key("forever")));
        assertEquals(-2, s.ttlMillis(key("absent")));
        assertEquals(now + 1_000, s.expiresAtMillis(key("short")), "the time as set, not rebuilt from the clock");
        assertEquals(0, s.expiresAtMillis(key("forever")));
        assertEquals(-1, s.expiresAtMillis(key("absent")));
        assertTrue(s.checkpoint());
        clock.ms.addAndGet(1_000);
        assertNull(s.get(key("short")), "expired at its expiry time");
        assertFalse(s.contains(key("short")));
        assertEquals(Set.of("long", "forever"), names(s.keys().stream().map(KeyInfo::key).toList()));
        assertEquals(-2, s.ttlMillis(key("short")));
        assertEquals(-1, s.expiresAtMillis(key("short")), "an expired key is absent");
        assertTrue(s.stats().expired() >= 1);
        if (how.equals("close")) {
            s.close();
        } else {
            s.abandon();
        }
        try (SlotStore r = SlotStore.open(p, o)) {
            assertNull(r.get(key("short")), "an expired key never comes back");
            assertArrayEquals(value("l", 20_000), r.get(key("long")));
            assertEquals(99_000, r.ttlMillis(key("long")), "the expiry survived the restart");
            assertTrue(r.persist(key("long")));
            assertEquals(-1, r.ttlMillis(key("long")));
            assertTrue(r.expireAt(key("forever"), clock.ms.get() + 5));
        }
        clock.ms.addAndGet(10);
        try (SlotStore r = SlotStore.open(p, o)) {
            assertNull(r.get(key("forever")), "expired while the store was closed");
            assertArrayEquals(value("l", 20_000), r.get(key("long")), "persisted: no expiry after a restart");
            assertEquals(-1, r.ttlMillis(key("long")));
        }
    }

    /**
     * dropExpired finds the expired keys nobody looks up, a visit at a time (the cursor goes round the
     * expiry table), and keyCount comes down; the live ones stay, and nothing comes back after a restart.
     */
    @Test
    void dropExpiredTakesTheExpiredKeysNobodyLooksUp() throws Exception {
        TestClock clock = new TestClock();
        StoreOptions o = StoreTesting.psyncOptions().withClock(clock);
        Path p = format("drop-expired.store", o);
        try (SlotStore s = SlotStore.open(p, o)) {
            long now = clock.ms.get();
            for (int i = 0; i < 40; i++) {
                s.put(key("e" + i), MemorySegment.ofArray(value("e", 10)), now + 10);
            }
            for (int i = 0; i < 5; i++) {
                s.put(key("later" + i), MemorySegment.ofArray(value("l", 10)), now + 100_000);
                s.put(key("forever" + i), value("f", 10));
            }
            assertEquals(0, s.dropExpired(Integer.MAX_VALUE), "nothing expired yet");
            clock.ms.addAndGet(10);
            assertEquals(50, s.keyCount(), "expired, but nobody looked: still counted");
            int dropped = 0;
            for (int visits = 0; visits < 100 && s.keyCount() > 10; visits++) {
                dropped += s.dropExpired(8); // a few entries a call: the cursor must go round
            }
            assertEquals(40, dropped);
            assertEquals(10, s.keyCount());
            assertEquals(5, s.keysWithExpiry());
            assertEquals(40, s.stats().expired());
            assertTrue(s.contains(key("later3")) && s.contains(key("forever3")));
            assertThrows(IllegalArgumentException.class, () -> s.dropExpired(0));
        }
        try (SlotStore r = SlotStore.open(p, o)) {
            assertEquals(10, r.keyCount(), "the dropped keys stay gone");
        }
    }

    @Test
    void anExpiredKeysSlotIsFreeEvenWithEvictionOff() throws Exception {
        TestClock clock = new TestClock();
        StoreOptions o = StoreTesting.psyncOptions().withClock(clock).withEviction(StoreOptions.Eviction.REJECT);
        Path p = dir.resolve("reject.store");
        SlotStore.format(p, (2L << 20) + (16 << 10) + 8 * 4096, 4096, false, o);
        try (SlotStore s = SlotStore.open(p, o)) {
            long n = s.superblock().slotCount();
            for (int i = 0; i < n; i++) {
                s.put(key("k" + i), MemorySegment.ofArray(new byte[10]), clock.ms.get() + 100);
            }
            assertThrows(StoreException.Full.class, () -> s.put(key("more"), new byte[10]));
            clock.ms.addAndGet(100);
            s.put(key("more"), new byte[10]); // the expired key in the next slot no longer blocks the ring
            assertTrue(s.contains(key("more")));
        }
    }

    static Set<String> names(List<byte[]> keys) {
        Set<String> out = new HashSet<>();
        for (byte[] k : keys) {
            out.add(new String(k));
        }
        return out;
    }

    @Test
    void aScanReturnsEveryKeyPresentThroughoutWhileTheIndexGrows() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = format("scan.store", o);
        try (SlotStore s = SlotStore.open(p, o)) {
            List<byte[]> ks = new ArrayList<>();
            List<MemorySegment> vs = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                ks.add(key("a:" + i));
                vs.add(MemorySegment.ofArray(new byte[10]));
            }
            s.putMany(ks, vs);
            Set<String> seen = new HashSet<>();
            long cursor = 0;
            int pages = 0;
            int added = 0;
            do {
                ScanPage page = s.scan(cursor, 32, null);
                seen.addAll(names(page.keys()));
                cursor = page.cursor();
                pages++;
                // Keys arrive during the scan: the table doubles under it (twice: 300 keys to about 900,
                // well within the smallest class's ring, so nothing is evicted).
                List<byte[]> more = new ArrayList<>();
                List<MemorySegment> mv = new ArrayList<>();
                for (int j = 0; j < 20 && added < 600; j++) {
                    more.add(key("b:" + added++));
                    mv.add(MemorySegment.ofArray(new byte[10]));
                }
                s.putMany(more, mv);
            } while (cursor != 0 && pages < 10_000);
            assertEquals(0, s.stats().evictions(), "test setup: every key stayed");
            assertTrue(added >= 200, "test setup: the index grew during the scan (its table doubles at 385 keys): " + added);
            for (int i = 0; i < 300; i++) {
                assertTrue(seen.contains("a:" + i), "missed a:" + i + " after " + pages + " pages");
            }
            Set<String> prefixed = new HashSet<>();
            cursor = 0;
            do {
                ScanPage page = s.scan(cursor, 100, "a:".getBytes());
                prefixed.addAll(names(page.keys()));
                cursor = page.cursor();
            } while (cursor != 0);
            assertEquals(300, prefixed.size());
            assertEquals(300 + added, s.keyCount());
        }
    }

    @Test
    void defaultClassesWasteNoMoreThanFourTimesAValueOrOneBlock() {
        SlotClasses c = SlotClasses.forMaxValue(4L << 20);
        assertEquals(List.of(4096L, 4608L, 8192L, 20480L, 69632L, 266240L, 1052672L), c.slotSizes().subList(0, 7));
        // A value of a power of 4 KiB fills a slot of its size and one block, not one four times larger;
        // a 4 KiB value, its size and one sector (the sector class).
        assertEquals(4608, c.slotSizeFor(16, 4096));
        assertEquals(4608, SlotDescriptor.usedBytes(16, 4096, 4608), "a 4 KiB value fills a sector class slot");
        assertEquals(4608, c.slotSizeFor(512 - 64, 4096), "a key of up to 448 bytes");
        assertEquals(8192, c.slotSizeFor(512 - 63, 4096));
        for (long v = 16384; v <= 1L << 20; v *= 4) {
            assertEquals(v + 4096, c.slotSizeFor(16, v), "the slot of a value of " + v);
            assertEquals(v + 4096, SlotDescriptor.usedBytes(16, v, v + 4096), "a value of " + v + " fills its slot");
        }
        long largest = c.slotSizes().getLast();
        assertTrue(largest >= (4L << 20) + 64 + SlotClasses.KEY_ALLOWANCE && largest < (4L << 20) + 8192, "" + largest);
        for (long v = 0; v <= 4L << 20; v = v * 3 / 2 + 1) {
            long slot = -1;
            for (long s : c.slotSizes()) {
                if (SlotDescriptor.usedBytes(16, v, s) <= s) {
                    slot = s;
                    break;
                }
            }
            assertTrue(slot > 0, "a class for " + v);
            assertTrue(slot <= Math.max(4096, 4 * (v + 64 + 16)), "value " + v + " takes a slot of " + slot);
        }
    }

    /**
     * The worst case of each derived layout: the smallest value that does not fit a class goes to the
     * next one. That slot is at most 4 times the value and its header and key (5 times below a largest
     * value within a quarter above a power of 4, where a near twin class is left out), or one block.
     */
    @Test
    void derivedClassesWasteAtMostFiveTimesAValueJustPastAClass() {
        for (long max : new long[] {0, 1, 3776, 4096, 8192, 80 << 10, 100_000, 1L << 20, 3L << 20, 4L << 20, 5L << 20}) {
            SlotClasses c = SlotClasses.forMaxValue(max);
            List<Long> sizes = c.slotSizes();
            assertTrue(sizes.getLast() >= SlotDescriptor.usedBytes(SlotClasses.KEY_ALLOWANCE, max, sizes.getLast()),
                    "the last class holds the largest value: " + max + " " + sizes);
            long worst = 0;
            for (long s : sizes.subList(0, sizes.size() - 1)) {
                long v = s - SlotDescriptor.HEADER_SIZE - 16 + 1; // just too large for s, with a 16-byte key
                long slot = c.slotSizeFor(16, v);
                assertTrue(slot > s, "value " + v + " takes a slot of " + slot + " in " + sizes);
                worst = Math.max(worst, slot * 1000 / (v + SlotDescriptor.HEADER_SIZE + 16));
            }
            boolean nearTwin = max == (5L << 20) || max == (80 << 10);
            assertTrue(worst <= (nearTwin ? 5000 : 4000), "max " + max + ": " + sizes + " wastes " + worst / 1000.0 + "x");
        }
    }

    /**
     * LMCache's redis connector writes each KV chunk as two keys: the chunk and a few hundred bytes of
     * metadata. With classes for 2 MiB values, the default split gives both the same number of slots, and
     * the space the values take is within a few per cent of their sum (20 pairs written here; the slot
     * sizes give the same figure for 1,000).
     */
    @Test
    void anLmcacheLikeWorkloadTakesLittleMoreSpaceThanItsValues() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        SlotClasses classes = SlotClasses.forMaxValue(2L << 20);
        Path p = dir.resolve("lmcache.store");
        SlotStore.format(p, 160L << 20, classes, false, o, Preallocation.FALLOCATE,
                FormatProgress.NONE);
        long valueBytes = 0;
        try (SlotStore s = SlotStore.open(p, o)) {
            for (int i = 0; i < 20; i++) {
                byte[] chunk = value("chunk" + i, 2 << 20);
                byte[] meta = value("meta" + i, 300);
                s.putMany(List.of(key("req-" + i + "kv_bytes"), key("req-" + i + "metadata")),
                        List.of(MemorySegment.ofArray(chunk), MemorySegment.ofArray(meta)));
                valueBytes += chunk.length + meta.length;
            }
            long used = 0;
            for (ClassStats c : s.classStats()) {
                used += c.keys() * c.slotSize();
            }
            assertEquals(40, s.keyCount());
            double ratio = (double) used / valueBytes;
            assertTrue(ratio < 1.01, "space used / value bytes = " + ratio);
            long perPair = classes.slotSizeFor(16, 2 << 20) + classes.slotSizeFor(16, 300);
            assertEquals(used, 20 * perPair);
            ClassStats first = s.classStats().getFirst();
            ClassStats last = s.classStats().getLast();
            assertEquals(first.slots(), last.slots(), 2, "the default split: as many slots per class");
        }
    }

    /**
     * A class much smaller than class 0: one putMany of more of its values than its ring holds, eviction
     * off. Windows are cut per class, so what the ring takes is acknowledged and readable and the rest is
     * FULL (a window sized by class 0 once wrote two keys of one batch to one slot of class 2).
     */
    @Test
    void aBatchLargerThanASmallClassIsCutPerClass() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.REJECT);
        Path p = format("small-class.store", o);
        try (SlotStore s = SlotStore.open(p, o)) {
            long slots2 = s.superblock().classes().get(2).slotCount();
            int n = (int) slots2 + 50;
            List<byte[]> ks = new ArrayList<>();
            List<MemorySegment> vs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ks.add(key("big" + i));
                vs.add(MemorySegment.ofArray(value("big" + i, 60_000)));
            }
            List<SlotStore.Result> r = s.putMany(ks, vs);
            int ok = 0;
            for (int i = 0; i < n; i++) {
                if (r.get(i).ok()) {
                    ok++;
                    assertArrayEquals(value("big" + i, 60_000), s.get(ks.get(i)), "acknowledged big" + i);
                } else {
                    assertEquals(SlotStore.Status.FULL, r.get(i).status());
                }
            }
            assertEquals(slots2, ok, "the ring's slots, each once");
            assertEquals(ok, s.keyCount());
            assertEquals(0, s.check().keysCorrupt());
        }
    }

    /**
     * A delete (its tombstone in class 0) overtakes a put of the same key still in flight in class 2, and
     * a checkpoint is taken between them: after a crash the key must stay deleted.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aDeleteThatOvertakesAPutInAnotherClassStaysAfterACheckpointAndACrash() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions().withDurability(StoreOptions.Durability.DURABLE);
        Path p = format("overtake.store", o);
        Thread[] victim = new Thread[1];
        ParkingEngine engine = new ParkingEngine(b -> Thread.currentThread() == victim[0] && CrashDefectsTest.hasWrite(b));
        SlotStore s = SlotStore.open(p, o, engine);
        byte[] k = key("k");
        s.put(k, value("small", 100));                   // class 0, committed
        Throwable[] failed = new Throwable[1];
        Thread put = Thread.ofPlatform().unstarted(() -> {
            try {
                s.put(k, value("large", 60_000));          // class 2, parked in flight
            } catch (Throwable e) {
                failed[0] = e;
            }
        });
        victim[0] = put;
        put.start();
        assertTrue(engine.parked.await(30, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(s.delete(k));                         // tombstone in class 0, newer than the put
        assertTrue(s.checkpoint());
        engine.release.countDown();
        put.join();
        assertEquals(null, failed[0]);
        assertNull(s.get(k), "the delete was planned after the put: it stands");
        s.abandon();
        try (SlotStore r = SlotStore.open(p, o)) {
            assertNull(r.get(k), "the put the delete overtook came back after the crash");
        }
    }
}
