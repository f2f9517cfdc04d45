package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.testing.Root;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sector class: slots of 4 KiB and one 512-byte sector, written and read in sectors, so that a 4 KiB
 * value goes to the device as 4.5 KiB instead of 8 KiB. Its stores are format version 4; a target that
 * takes direct I/O only in 4 KiB units gets none at format and refuses one at open.
 */
class SectorClassTest {
    static final SlotClasses WITH_SECTOR_CLASS = SlotClasses.ofEqualSpace(List.of(4096L, 4608L, 16384L));

    @TempDir
    Path dir;

    @Test
    void fourKibValuesGoToTheSectorClassAsFourAndAHalfKibAndReadBackAfterReopenAndACrash() throws Exception {
        Path p = dir.resolve("sector.store");
        StoreOptions o = StoreTesting.psyncOptions();
        SlotStore.format(p, 32L << 20, WITH_SECTOR_CLASS, false, o, Preallocation.WRITE_ZEROS,
                FormatProgress.NONE);
        int n = 600;
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // Keys of up to 448 bytes fit the sector with the header; values of 4 KiB, and some just
            // below, packed after the key.
            String k = "k" + i + "-".repeat(i % 7 == 0 ? 440 - Integer.toString(i).length() : 0);
            keys.add(key(k));
            values.add(bytes(k, i % 5 == 0 ? 4096 - 512 - i % 300 : 4096));
        }
        long before;
        try (SlotStore s = SlotStore.open(p, o)) {
            assertEquals(4, s.superblock().formatVersion());
            before = s.stats().bytesWritten();
            for (int from = 0; from < n; from += 100) {
                List<MemorySegment> vs = new ArrayList<>();
                for (int i = from; i < from + 100; i++) {
                    vs.add(MemorySegment.ofArray(values.get(i)));
                }
                for (SlotStore.Result r : s.putMany(keys.subList(from, from + 100), vs)) {
                    assertTrue(r.ok(), r.toString());
                }
            }
            ClassStats sector = s.classStats().get(1);
            assertEquals(4608, sector.slotSize());
            assertTrue(sector.keys() >= n * 3 / 4, "the 4 KiB values went to the sector class: " + s.classStats());
            long written = s.stats().bytesWritten() - before;
            assertTrue(written <= n * 4608L, "at most 4.5 KiB a value written: " + written + " for " + n);
            assertValues(s, keys, values, "before closing");
        }
        try (SlotStore s = SlotStore.open(p, o)) {
            assertValues(s, keys, values, "after a clean reopen");
            // More writes after the checkpoint, then a crash with neither checkpoint loadable: every slot
            // is scanned in sectors and found.
            for (int i = 0; i < n; i += 3) {
                values.set(i, bytes("again" + i, 4096));
                s.put(keys.get(i), values.get(i));
            }
            long cp0 = s.superblock().checkpoint0();
            long cp1 = s.superblock().checkpoint1();
            s.abandon();
            StoreTesting.flipByte(p, cp0 + 20);
            StoreTesting.flipByte(p, cp1 + 20);
        }
        try (SlotStore s = SlotStore.open(p, o)) {
            assertValues(s, keys, values, "after a crash and a full scan");
            CheckReport report = s.check();
            assertEquals(n, report.keys(), report.toString());
            assertEquals(n, report.keysVerified(), report.toString());
            assertEquals(0, report.keysCorrupt() + report.slotsDamaged(), report.toString());
        }
    }

    /** {@code length} bytes that follow from {@code seed}. */
    static byte[] bytes(String seed, int length) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed.hashCode());
        byte[] v = new byte[length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) r.nextInt();
        }
        return v;
    }

    private static void assertValues(SlotStore s, List<byte[]> keys, List<byte[]> values, String when)
            throws Exception {
        List<GetResult> got = s.getMany(keys);
        for (int i = 0; i < keys.size(); i++) {
            assertArrayEquals(values.get(i), got.get(i).value(), when + ": key " + i);
        }
        for (int i = 0; i < keys.size(); i += 97) {
            assertArrayEquals(values.get(i), s.get(keys.get(i)), when + ": get of key " + i);
            try (ValueLease lease = s.getManyLeases(List.of(keys.get(i))).getFirst().lease()) {
                assertArrayEquals(values.get(i), lease.toArray(), when + ": lease of key " + i);
            }
        }
    }

    @Test
    void onlyAStoreWithASectorClassIsFormatVersionFour() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path blocks = dir.resolve("blocks.store");
        SlotStore.format(blocks, 16L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 16384L)), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        try (SlotStore s = SlotStore.open(blocks, o)) {
            assertEquals(3, s.superblock().formatVersion(), "a rawio that reads version 3 still opens it");
        }
        assertEquals(4, SuperblockDescriptor.versionFor(StoreFormatter.layout(16L << 20, WITH_SECTOR_CLASS).classes()));
        // The next class after a sector class starts on a 4 KiB block.
        for (SuperblockDescriptor.SlotClass c : StoreFormatter.layout(16L << 20, WITH_SECTOR_CLASS).classes()) {
            assertEquals(0, c.slotsOffset() % 4096, c.toString());
        }
    }

    @Test
    void derivedClassesHaveOneSectorClassThatATargetOfBlocksLeavesOut() {
        SlotClasses c = SlotClasses.forMaxValue(1L << 20);
        assertEquals(SlotClasses.SECTOR_CLASS, c.slotSizes().get(1));
        assertTrue(c.hasSectorClass());
        SlotClasses blocks = c.fitting(4096);
        assertFalse(blocks.hasSectorClass());
        assertEquals(c.slotSizes().size() - 1, blocks.slotSizes().size());
        assertEquals(c.slotSizes().getLast(), blocks.slotSizes().getLast());
        assertEquals(c.share(0) / c.share(2), blocks.share(0) / blocks.share(1), 1e-9, "the other shares keep their ratios");
        assertTrue(c == c.fitting(512), "every class fits sectors");
        assertThrows(IllegalArgumentException.class, () -> SlotClasses.ofEqualSpace(List.of(4096L, 4608L)).fitting(4096),
                "the largest class would be left out");
        assertThrows(IllegalArgumentException.class, () -> SlotClasses.of(List.of(4096L, 4700L)), "not whole sectors");
        assertFalse(SlotClasses.forMaxValue(3000).hasSectorClass(), "no class above it to leave");
    }

    @Test
    void aDeviceOfFourKibSectorsGetsNoSectorClassAndRefusesToOpenOne() throws Exception {
        assumeTrue(Root.isRoot(), "needs root to attach a loop device");
        Path img = dir.resolve("4k.img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        StoreOptions o = StoreTesting.psyncOptions();
        // The same image as a device of 512-byte sectors: a store with a sector class, as made there.
        String dev512 = Root.output("losetup", "-f", "--show", "--direct-io=on", img.toString());
        assumeTrue(dev512 != null && dev512.startsWith("/dev/loop"), "losetup could not attach a loop device");
        try {
            SlotStore.format(Path.of(dev512), 0, WITH_SECTOR_CLASS, true, o, Preallocation.FALLOCATE,
                    FormatProgress.NONE);
            try (SlotStore s = SlotStore.open(Path.of(dev512), o)) {
                assertEquals(3, s.superblock().classes().size());
                s.put(key("k"), bytes("k", 4096));
            }
        } finally {
            Root.run("losetup", "-d", dev512);
        }
        String dev4k = Root.output("losetup", "-f", "--show", "--direct-io=on", "--sector-size", "4096", img.toString());
        assumeTrue(dev4k != null && dev4k.startsWith("/dev/loop"), "losetup could not attach a 4 KiB-sector loop device");
        try {
            Path d = Path.of(dev4k);
            StoreException e = assertThrows(StoreException.class, () -> SlotStore.open(d, o));
            assertTrue(e.getMessage().contains("4608-byte slots") && e.getMessage().contains("4096-byte units"),
                    e.getMessage());
            try (SlotStore s = SlotStore.open(d, o.withDirect(false))) {
                assertArrayEquals(bytes("k", 4096), s.get(key("k")), "without O_DIRECT it opens");
            }
            SlotStore.format(d, 0, WITH_SECTOR_CLASS, true, o, Preallocation.FALLOCATE,
                    FormatProgress.NONE);
            try (SlotStore s = SlotStore.open(d, o)) {
                assertEquals(List.of(4096L, 16384L), s.superblock().classes().stream()
                        .map(SuperblockDescriptor.SlotClass::slotSize).toList(), "the sector class is left out");
                assertEquals(3, s.superblock().formatVersion());
                s.put(key("k"), bytes("k", 4096));
                assertArrayEquals(bytes("k", 4096), s.get(key("k")));
            }
        } finally {
            Root.run("losetup", "-d", dev4k);
        }
    }
}
