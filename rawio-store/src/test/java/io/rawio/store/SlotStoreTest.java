package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.testing.Root;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SlotStoreTest {
    static final long SIZE = 8L << 20;
    static final int SLOT = 16384;

    @TempDir
    Path dir;

    private Path store() throws IOException {
        Path p = dir.resolve("s.store");
        SlotStore.format(p, SIZE, SLOT, false, StoreTesting.psyncOptions());
        return p;
    }

    private static SlotStore open(Path p) throws IOException {
        return SlotStore.open(p, StoreTesting.psyncOptions());
    }

    @Test
    void putGetContainsDeleteAndReopen() throws IOException {
        Path p = store();
        try (SlotStore s = open(p)) {
            s.put(key("a"), "alpha".getBytes());
            s.put(key("b"), new byte[0]);
            assertArrayEquals("alpha".getBytes(), s.get(key("a")));
            assertArrayEquals(new byte[0], s.get(key("b")), "an empty value is a value");
            assertNull(s.get(key("c")));
            assertTrue(s.contains(key("a")));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(100);
                assertEquals(5, s.get(key("a"), buf));
                assertEquals('l', buf.get(ValueLayout.JAVA_BYTE, 1));
                assertEquals(-1, s.get(key("zz"), buf));
            }
            assertTrue(s.delete(key("b")));
            assertFalse(s.delete(key("b")));
            StoreStats st = s.stats();
            assertEquals(1, st.keys());
            assertEquals(3, st.hits());
            assertTrue(st.misses() >= 2);
        }
        try (SlotStore s = open(p)) {
            assertArrayEquals("alpha".getBytes(), s.get(key("a")));
            assertFalse(s.contains(key("b")), "the delete survived the restart");
        }
    }

    @Test
    void badInputIsRefusedAndChangesNothing() throws IOException {
        Path p = store();
        byte[] before;
        try (SlotStore s = open(p)) {
            s.put(key("keep"), "v".getBytes());
        }
        before = Files.readAllBytes(p);
        try (SlotStore s = open(p)) {
            StoreException e = assertThrows(StoreException.Invalid.class, () -> s.put(new byte[0], new byte[1]));
            assertTrue(e.getMessage().contains("empty key"));
            e = assertThrows(StoreException.Invalid.class, () -> s.put(new byte[2000], new byte[1]));
            assertTrue(e.getMessage().contains("key too long"));
            e = assertThrows(StoreException.Invalid.class, () -> s.put(key("big"), new byte[SLOT]));
            assertTrue(e.getMessage().contains("value larger than a slot"), e.getMessage());
            List<SlotStore.Result> r = s.putMany(List.of(key("ok"), new byte[0]),
                    List.of(MemorySegment.ofArray(new byte[3]), MemorySegment.ofArray(new byte[3])));
            assertTrue(r.get(0).ok());
            assertEquals(SlotStore.Status.OK, r.get(0).status());
            assertFalse(r.get(1).ok());
            assertEquals(SlotStore.Status.INVALID, r.get(1).status());
        }
        assertThrows(IllegalArgumentException.class, () -> SlotStore.format(dir.resolve("x"), SIZE, 1000, false,
                StoreTesting.psyncOptions()), "misaligned slot size");
        assertThrows(IllegalArgumentException.class, () -> SlotStore.format(dir.resolve("y"), 64 * 1024, SLOT, false,
                StoreTesting.psyncOptions()), "size too small");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> SlotStore.format(p, SIZE, SLOT, false, StoreTesting.psyncOptions()));
        assertTrue(ex.getMessage().contains("--force"));
        assertFalse(Files.exists(dir.resolve("x")));
        assertFalse(Files.exists(dir.resolve("y")));
        // The refused format left the store as it was, and the bad puts wrote nothing but "ok".
        try (SlotStore s = open(p)) {
            assertArrayEquals("v".getBytes(), s.get(key("keep")));
        }
        assertEquals(before.length, Files.size(p));
    }

    @Test
    void notAStoreAndInUseAreSaid() throws IOException {
        Path junk = Files.write(dir.resolve("junk"), new byte[1 << 16]);
        assertThrows(StoreException.NotAStore.class, () -> open(junk));
        Path p = store();
        try (SlotStore s = open(p)) {
            StoreException.InUse e = assertThrows(StoreException.InUse.class, () -> open(p));
            assertTrue(e.getMessage().contains("in use by another process"));
            s.put(key("k"), new byte[1]);
        }
    }

    @Test
    void fifoEvictsTheOldestAndRejectRefuses() throws IOException {
        Path p = store();
        long slots;
        try (SlotStore s = open(p)) {
            slots = s.superblock().slotCount();
            for (int i = 0; i < slots + 3; i++) {
                s.put(key("k" + i), ("v" + i).getBytes());
            }
            assertNull(s.get(key("k0")));
            assertNull(s.get(key("k2")));
            assertArrayEquals("v3".getBytes(), s.get(key("k3")));
            assertEquals(3, s.stats().evictions());
            assertEquals(slots, s.stats().keys());
        }
        Path q = dir.resolve("r.store");
        SlotStore.format(q, SIZE, SLOT, false, StoreTesting.psyncOptions());
        try (SlotStore s = SlotStore.open(q, StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.REJECT))) {
            for (int i = 0; i < s.superblock().slotCount(); i++) {
                s.put(key("k" + i), new byte[10]);
            }
            assertThrows(StoreException.Full.class, () -> s.put(key("one-more"), new byte[1]));
            assertTrue(s.get(key("k0")) != null, "nothing was evicted");
            assertTrue(s.delete(key("k5")), "a full store can still delete");
            assertNull(s.get(key("k5")));
        }
        try (SlotStore s = SlotStore.open(q, StoreTesting.psyncOptions())) {
            assertNull(s.get(key("k5")), "the in-place delete survives restart");
            assertTrue(s.get(key("k6")) != null);
        }
    }

    @Test
    void reinsertionKeepsKeysThatWereRead() throws IOException {
        Path p = store();
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.FIFO_REINSERT))) {
            long slots = s.superblock().slotCount();
            s.put(key("hot"), "H".getBytes());
            s.put(key("cold"), "C".getBytes());
            assertArrayEquals("H".getBytes(), s.get(key("hot")));
            for (int i = 0; i < slots; i++) {
                s.put(key("fill" + i), new byte[5]);
            }
            assertArrayEquals("H".getBytes(), s.get(key("hot")), "the read key was reinserted");
            assertNull(s.get(key("cold")), "the unread key was evicted");
            assertTrue(s.stats().reinsertions() >= 1);
        }
        try (SlotStore s = open(p)) {
            assertArrayEquals("H".getBytes(), s.get(key("hot")), "reinsertion survives restart");
        }
    }

    @Test
    void deleteManyRemovesThePresentKeysCountsEachOnceAndSurvivesACrash() throws IOException {
        Path p = store();
        SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions().withDurability(StoreOptions.Durability.DURABLE));
        for (int i = 0; i < 50; i++) {
            s.put(key("k" + i), StoreTesting.valueFor("k" + i, 3000));
        }
        List<byte[]> gone = new ArrayList<>();
        for (int i = 0; i < 50; i += 2) {
            gone.add(key("k" + i));
        }
        gone.add(key("k0")); // twice: counted once
        gone.add(key("absent"));
        assertEquals(25, s.deleteMany(gone));
        assertEquals(0, s.deleteMany(List.of(key("k0"), key("absent"))), "nothing left to delete");
        assertEquals(0, s.deleteMany(List.of()));
        assertEquals(25, s.stats().keys());
        s.abandon(); // no checkpoint: the tombstones are found by the scan
        try (SlotStore t = open(p)) {
            for (int i = 0; i < 50; i++) {
                if (i % 2 == 0) {
                    assertNull(t.get(key("k" + i)), "k" + i + " stays deleted after a crash");
                } else {
                    assertArrayEquals(StoreTesting.valueFor("k" + i, 3000), t.get(key("k" + i)));
                }
            }
            assertEquals(25, t.stats().keys());
        }
    }

    @Test
    void deleteManyEvictsNoKeyItWasNotGiven() throws IOException {
        // A full FIFO ring: the first tombstone takes k0's slot (k0 is evicted, and still counts: it was
        // there when the call began); k0's own tombstone is then not written, so k1 stays.
        Path p = store();
        try (SlotStore s = open(p)) {
            long n = s.superblock().slotCount();
            for (long i = 0; i < n; i++) {
                s.put(key("f" + i), new byte[16]);
            }
            assertEquals(n, s.stats().keys(), "test setup: every slot holds a key");
            assertEquals(2, s.deleteMany(List.of(key("f5"), key("f0"))));
            assertNull(s.get(key("f5")));
            assertNull(s.get(key("f0")));
            assertArrayEquals(new byte[16], s.get(key("f1")), "a key not given is not evicted");
            assertEquals(n - 2, s.stats().keys());
        }
    }

    @Test
    void deleteManyOfAFullRingWithoutEvictionDeletesEveryKeyAndSurvivesACrash() throws IOException {
        Path p = dir.resolve("full.store");
        StoreOptions o = StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.REJECT).withBatchSize(16);
        SlotStore.format(p, SIZE, SLOT, false, o);
        SlotStore s = SlotStore.open(p, o);
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; ; i++) {
            byte[] k = key("r" + i);
            if (!s.putMany(List.of(k), List.of(MemorySegment.ofArray(StoreTesting.valueFor("r" + i, 100)))).get(0).ok()) {
                break; // full
            }
            keys.add(k);
        }
        java.util.Collections.reverse(keys); // not the order they were written in
        assertEquals(keys.size(), s.deleteMany(keys));
        assertEquals(0, s.stats().keys());
        s.abandon();
        try (SlotStore t = SlotStore.open(p, o)) {
            for (byte[] k : keys) {
                assertFalse(t.contains(k), "a deleted key came back after a crash");
            }
            assertTrue(t.putMany(List.of(key("after")), List.of(MemorySegment.ofArray(new byte[10]))).get(0).ok(),
                    "room again");
        }
    }

    @Test
    void durablePutManyIsOneBatchAndSurvivesACrash() throws IOException {
        Path p = store();
        SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions().withDurability(StoreOptions.Durability.DURABLE));
        List<byte[]> keys = new ArrayList<>();
        List<MemorySegment> values = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            keys.add(key("d" + i));
            values.add(MemorySegment.ofArray(StoreTesting.valueFor("d" + i, 9000)));
        }
        List<SlotStore.Result> r = s.putMany(keys, values);
        assertTrue(r.stream().allMatch(SlotStore.Result::ok));
        s.abandon(); // no checkpoint: the keys are found by the scan after the format's checkpoint
        try (SlotStore t = open(p)) {
            for (int i = 0; i < 100; i++) {
                assertArrayEquals(StoreTesting.valueFor("d" + i, 9000), t.get(key("d" + i)));
            }
            assertEquals(100, t.stats().recoveredKeys());
        }
    }

    @Test
    void checkpointsAlternateAndRecoveryReadsOnlyNewSlots() throws IOException {
        Path p = dir.resolve("big.store");
        SlotStore.format(p, 96L << 20, 4096, false, StoreTesting.psyncOptions());
        SlotStore s = open(p);
        for (int i = 0; i < 20; i++) {
            s.put(key("c" + i), new byte[100]);
        }
        assertTrue(s.checkpoint());
        assertTrue(s.checkpoint());
        s.put(key("after"), "x".getBytes());
        s.abandon();
        try (SlotStore t = open(p)) {
            assertEquals(21, t.stats().keys());
            assertEquals(1, t.stats().recoveredKeys(), "only the slot written after the checkpoint");
            assertTrue(t.stats().recoveryScanned() < t.superblock().slotCount(), "did not read the whole ring");
        }
    }

    @Test
    void aBitFlipIsReportedAsCorruptAndNeverReturned() throws IOException {
        Path p = store();
        long valueOffset;
        try (SlotStore s = open(p)) {
            s.put(key("victim"), StoreTesting.valueFor("victim", 5000));
            s.put(key("bystander"), "fine".getBytes());
            long pos = s.keys().stream().filter(k -> new String(k.key()).equals("victim")).findFirst().orElseThrow().position();
            valueOffset = s.superblock().slotOffset(pos % s.superblock().slotCount()) + SlotDescriptor.HEADER_SIZE + 10;
        }
        StoreTesting.flipByte(p, valueOffset);
        try (SlotStore s = open(p)) {
            StoreException.Corrupt e = assertThrows(StoreException.Corrupt.class, () -> s.get(key("victim")));
            assertTrue(e.getMessage().contains("victim") && e.getMessage().contains("CRC32C"), e.getMessage());
            assertNull(s.get(key("victim")), "the corrupt key was dropped");
            assertArrayEquals("fine".getBytes(), s.get(key("bystander")));
            assertEquals(1, s.stats().corruptions());
        }
    }

    @Test
    void aStaleBlockReadsAsMissingNotAsOldData() throws IOException {
        Path p = store();
        long slotOffset;
        byte[] old;
        try (SlotStore s = open(p)) {
            long slots = s.superblock().slotCount();
            s.put(key("k"), "old".getBytes());
            slotOffset = s.superblock().slotOffset(0);
            old = java.util.Arrays.copyOfRange(Files.readAllBytes(p), (int) slotOffset, (int) slotOffset + 4096);
            for (int i = 0; i < slots; i++) {
                s.put(key("n" + i), "new".getBytes()); // comes round to slot 0 again
            }
        }
        // Put the old lap's block back over slot 0: an overwrite with stale data.
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.seek(slotOffset);
            f.write(old);
        }
        try (SlotStore s = open(p)) {
            byte[] v = s.get(key("n" + (s.superblock().slotCount() - 1)));
            assertTrue(v == null || java.util.Arrays.equals("new".getBytes(), v));
            assertNull(s.get(key("k")), "the stale slot's key is not resurrected");
        }
    }

    @Test
    void oneBadSuperblockIsRepairedAndTruncationIsRefused() throws IOException {
        Path p = store();
        try (SlotStore s = open(p)) {
            s.put(key("a"), "1".getBytes());
        }
        StoreTesting.flipByte(p, 40);
        try (SlotStore s = open(p)) {
            assertArrayEquals("1".getBytes(), s.get(key("a")));
        }
        byte[] all = Files.readAllBytes(p);
        assertEquals(SuperblockDescriptor.MAGIC, java.nio.ByteBuffer.wrap(all, 0, 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(), "copy A rewritten");
        StoreTesting.flipByte(p, 40);
        StoreTesting.flipByte(p, 4096 + 40);
        StoreException.Corrupt c = assertThrows(StoreException.Corrupt.class, () -> open(p));
        assertTrue(c.getMessage().contains("superblocks"));
        Path q = dir.resolve("t.store");
        SlotStore.format(q, SIZE, SLOT, false, StoreTesting.psyncOptions());
        try (RandomAccessFile f = new RandomAccessFile(q.toFile(), "rw")) {
            f.setLength(SIZE / 2);
        }
        StoreException.Corrupt t = assertThrows(StoreException.Corrupt.class, () -> open(q));
        assertTrue(t.getMessage().contains("truncated"));
    }

    @Test
    void aCorruptCheckpointFallsBackToTheOtherOrAFullScan() throws IOException {
        Path p = store();
        long ckpt0;
        long ckpt1;
        try (SlotStore s = open(p)) {
            for (int i = 0; i < 10; i++) {
                s.put(key("x" + i), ("v" + i).getBytes());
            }
            s.checkpoint();
            ckpt0 = s.superblock().checkpoint0();
            ckpt1 = s.superblock().checkpoint1();
        }
        StoreTesting.flipByte(p, ckpt0 + 20);
        StoreTesting.flipByte(p, ckpt1 + 20);
        try (SlotStore s = open(p)) {
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(("v" + i).getBytes(), s.get(key("x" + i)));
            }
        }
    }

    @Test
    void manyThreadsPutAndGetAtOnce() throws Exception {
        Path p = dir.resolve("mt.store");
        SlotStore.format(p, 64L << 20, 8192, false, StoreTesting.psyncOptions());
        try (SlotStore s = open(p)) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 200; i++) {
                            String k = "t" + id + "-" + i;
                            s.put(key(k), StoreTesting.valueFor(k, 4000));
                            assertArrayEquals(StoreTesting.valueFor(k, 4000), s.get(key(k)));
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(errors.isEmpty(), errors.toString());
            assertEquals(800, s.stats().keys());
        }
    }

    @Test
    void indexMemoryPerKeyIsWithinTarget() throws IOException {
        Path p = dir.resolve("m.store");
        SlotStore.format(p, 160L << 20, 4096, false, StoreTesting.psyncOptions());
        try (SlotStore s = open(p)) {
            int n = 30_000;
            List<byte[]> keys = new ArrayList<>();
            List<MemorySegment> values = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                keys.add(key(String.format("key-%08d", i)));
                values.add(MemorySegment.ofArray(new byte[8]));
            }
            s.putMany(keys, values);
            StoreStats st = s.stats();
            double overhead = st.indexBytesPerKey() - 12; // the key bytes themselves
            assertTrue(overhead <= 64, "index bytes per key beyond the key: " + overhead);
        }
    }

    @Test
    void aRealBlockDevice() throws IOException {
        assumeTrue(Root.isRoot(), "needs root to attach a loop device");
        Path img = dir.resolve("dev.img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(16L << 20);
        }
        String dev = Root.output("losetup", "-f", "--show", "--direct-io=on", img.toString());
        assumeTrue(dev != null && dev.startsWith("/dev/loop"), "losetup could not attach a loop device");
        try {
            Path d = Path.of(dev);
            SlotStore.format(d, 0, 65536, false, StoreTesting.psyncOptions());
            assertThrows(IllegalArgumentException.class,
                    () -> SlotStore.format(d, 0, 65536, false, StoreTesting.psyncOptions()), "holds data now");
            try (SlotStore s = open(d)) {
                assertTrue(s.superblock().slotCount() > 100);
                s.put(key("dev"), StoreTesting.valueFor("dev", 60000));
            }
            try (SlotStore s = open(d)) {
                assertArrayEquals(StoreTesting.valueFor("dev", 60000), s.get(key("dev")));
            }
        } finally {
            Root.run("losetup", "-d", dev);
        }
    }
}
