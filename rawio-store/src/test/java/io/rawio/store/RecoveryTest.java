package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.engine.IoBatch;
import io.rawio.memory.AlignedMemory;
import io.rawio.store.CheckpointDescriptor.Header;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery without the store: slots written straight to the file at chosen positions, checkpoints
 * written by {@link CheckpointIo}, and the index {@link Recovery#run} rebuilds from them.
 */
class RecoveryTest {
    static final long SLOT = 8192;
    /** Two superblocks and two checkpoint regions of 1 MiB + 4 KiB: the metadata of a small store. */
    static final long META = 2L * SuperblockDescriptor.SIZE + 2 * ((1L << 20) + CheckpointDescriptor.HEADER_SIZE);

    @TempDir
    Path dir;

    /** A new psync store of {@code slots} slots of 8 KiB, opened without the facade. */
    StoreFile formatAndOpen(String name, long slots) throws IOException {
        Path p = dir.resolve(name);
        StoreOptions o = StoreTesting.psyncOptions();
        SlotStore.format(p, META + slots * SLOT, SLOT, false, o);
        StoreFile f = StoreFile.open(p, o, StoreFile.createEngine(o, s -> { }), "");
        assertEquals(slots, f.superblock().slotCount(), "test geometry");
        return f;
    }

    static byte[] valueOf(String k, int n) {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
            v[i] = (byte) (k.hashCode() + i * 31);
        }
        return v;
    }

    /** Writes a slot holding {@code key} and {@code value} (null for a tombstone) with {@code sequence} at its position's slot. */
    static int writeSlot(StoreFile f, long position, long sequence, String key, byte[] value, boolean breakData)
            throws IOException {
        Superblock sb = f.superblock();
        byte[] k = key(key);
        byte[] v = value == null ? new byte[0] : value;
        try (Arena arena = Arena.ofConfined()) {
            long used = SlotDescriptor.usedBlocks(k.length, v.length, sb.slotSize());
            MemorySegment buf = AlignedMemory.allocate(arena, used, 4096);
            int crc = SlotDescriptor.fill(buf, k, MemorySegment.ofArray(v),
                    value == null ? SlotDescriptor.FLAG_TOMBSTONE : SlotDescriptor.FLAG_LIVE, sequence, sb.storeId(),
                    sb.slotSize());
            if (breakData) {
                long at = SlotDescriptor.valueOffset(k.length, v.length, sb.slotSize());
                buf.set(ValueLayout.JAVA_BYTE, at, (byte) (buf.get(ValueLayout.JAVA_BYTE, at) ^ 0x10));
            }
            IoBatch b = new IoBatch(2);
            b.write(f.file(), sb.positionOffset(position), buf);
            b.fdatasync(f.file());
            f.execute(b);
            b.throwIfFailed();
            return crc;
        }
    }

    static int writeSlot(StoreFile f, long position, String key, byte[] value) throws IOException {
        return writeSlot(f, position, position, key, value, false);
    }

    static Recovery.Result recover(StoreFile f, KeyIndex index) throws IOException {
        long n = f.superblock().slotCount();
        return Recovery.run(f, new CheckpointIo(f), index);
    }

    static long positionOf(KeyIndex index, String key) {
        int e = index.find(key(key));
        return e < 0 ? -1 : index.positionAt(e);
    }

    static List<String> keysOf(KeyIndex index) {
        List<String> out = new ArrayList<>();
        index.forEach((k, p, l, c) -> out.add(new String(k, java.nio.charset.StandardCharsets.UTF_8)));
        out.sort(null);
        return out;
    }

    @Test
    void aFreshStoreRecoversNothingAndStartsAtPositionZero() throws IOException {
        try (StoreFile f = formatAndOpen("fresh.store", 256)) {
            KeyIndex index = new KeyIndex(256);
            Recovery.Result r = recover(f, index);
            assertEquals(0, r.cursor());
            assertEquals(0, r.recoveredKeys());
            assertEquals(0, index.size());
            assertEquals(1, r.generation(), "format writes checkpoint generation 1");
            assertFalse(r.fullScan(), "the empty checkpoint of the format is loaded");
        }
    }

    @Test
    void slotsWrittenFromPositionZeroAreRecoveredAndTheCursorFollowsThem() throws IOException {
        try (StoreFile f = formatAndOpen("run.store", 256)) {
            int k = 20;
            int[] crcs = new int[k];
            for (int p = 0; p < k; p++) {
                crcs[p] = writeSlot(f, p, "key-" + p, valueOf("key-" + p, 100 + p * 300));
            }
            KeyIndex index = new KeyIndex(256);
            Recovery.Result r = recover(f, index);
            assertEquals(k, r.cursor());
            assertEquals(k, r.recoveredKeys());
            assertFalse(r.fullScan());
            assertEquals(k, index.size());
            for (int p = 0; p < k; p++) {
                int e = index.find(key("key-" + p));
                assertTrue(e >= 0, "key-" + p);
                assertEquals(p, index.positionAt(e));
                assertEquals(100 + p * 300, index.valueLengthAt(e));
                assertEquals(crcs[p], index.dataCrcAt(e));
            }
        }
    }

    @Test
    void aTombstoneRemovesTheKeyAndALaterValueBringsItBack() throws IOException {
        try (StoreFile f = formatAndOpen("tomb.store", 256)) {
            writeSlot(f, 0, "gone", valueOf("gone", 10));
            writeSlot(f, 1, "back", valueOf("back", 10));
            writeSlot(f, 2, "gone", null);
            writeSlot(f, 3, "back", null);
            writeSlot(f, 4, "back", valueOf("back", 20));
            writeSlot(f, 5, "kept", valueOf("kept", 30));
            KeyIndex index = new KeyIndex(256);
            Recovery.Result r = recover(f, index);
            assertEquals(6, r.cursor(), "a tombstone is a written position");
            assertEquals(List.of("back", "kept"), keysOf(index));
            assertEquals(4, positionOf(index, "back"));
            assertEquals(20, index.valueLengthAt(index.find(key("back"))));
            assertEquals(5, positionOf(index, "kept"));
        }
    }

    /**
     * A ring of 2048 slots: a budget of 1024 positions in flight, a recovery gap of 1025. The valid slot
     * after the hole is the first of a read batch of the scan ({@link #SCAN_BATCH} slots): where the
     * scan checks the gap today (see {@link #aHoleAsLongAsTheRecoveryGapEndsTheScanInASmallRing}).
     */
    static final long GAP_RING = 2048;
    /** Slots of 8 KiB the scan reads per batch: 4 reads of {@link Recovery#SCAN_READ_BYTES}. */
    static final long SCAN_BATCH = 4 * Recovery.SCAN_READ_BYTES / SLOT;

    @Test
    void aHoleOneShorterThanTheRecoveryGapIsCrossed() throws IOException {
        try (StoreFile f = formatAndOpen("gap-short.store", GAP_RING)) {
            long gap = new RingBounds(GAP_RING).recoveryGap();
            assertEquals(1025, gap, "test geometry");
            long after = 3 * SCAN_BATCH;
            long before = after - gap; // positions before+1 .. after-1: gap-1 of them, unwritten
            writeSlot(f, 0, "first", valueOf("first", 10));
            writeSlot(f, before, "before", valueOf("before", 10));
            writeSlot(f, after, "after", valueOf("after", 10));
            KeyIndex index = new KeyIndex(GAP_RING);
            Recovery.Result r = recover(f, index);
            assertEquals(List.of("after", "before", "first"), keysOf(index));
            assertEquals(after, positionOf(index, "after"));
            assertEquals(after + 1, r.cursor());
            assertFalse(r.fullScan());
        }
    }

    @Test
    void aHoleAsLongAsTheRecoveryGapEndsTheScan() throws IOException {
        try (StoreFile f = formatAndOpen("gap-long.store", GAP_RING)) {
            long gap = new RingBounds(GAP_RING).recoveryGap();
            long after = 3 * SCAN_BATCH;
            long before = after - gap - 1; // positions before+1 .. after-1: gap of them, unwritten
            writeSlot(f, 0, "first", valueOf("first", 10));
            writeSlot(f, before, "before", valueOf("before", 10));
            writeSlot(f, after, "after", valueOf("after", 10));
            KeyIndex index = new KeyIndex(GAP_RING);
            Recovery.Result r = recover(f, index);
            assertEquals(List.of("before", "first"), keysOf(index), "no acknowledged write lies past a gap");
            assertEquals(before + 1, r.cursor());
            assertFalse(r.fullScan());
        }
    }

    /**
     * The same in a ring of 64 slots (gap 33), where the scan reads the whole ring in one batch: the gap
     * is checked slot by slot, not only between batches, so the hole ends the scan there too.
     */
    @Test
    void aHoleAsLongAsTheRecoveryGapEndsTheScanInASmallRing() throws IOException {
        try (StoreFile f = formatAndOpen("gap-small.store", 64)) {
            long gap = new RingBounds(64).recoveryGap();
            assertEquals(33, gap, "test geometry");
            writeSlot(f, 0, "first", valueOf("first", 10));
            long after = 1 + gap; // positions 1 .. gap unwritten
            writeSlot(f, after, "after", valueOf("after", 10));
            KeyIndex index = new KeyIndex(64);
            Recovery.Result r = recover(f, index);
            assertEquals(List.of("first"), keysOf(index), "no acknowledged write lies past a gap: the scan stops");
            assertEquals(1, r.cursor());
            assertFalse(r.fullScan());
        }
    }

    @Test
    void aSlotWithABrokenDataCrcIsSkippedAndTheScanGoesOn() throws IOException {
        try (StoreFile f = formatAndOpen("crc.store", 256)) {
            writeSlot(f, 0, "a", valueOf("a", 5000));
            writeSlot(f, 1, 1, "broken", valueOf("broken", 5000), true);
            writeSlot(f, 2, "c", valueOf("c", 100));
            KeyIndex index = new KeyIndex(256);
            Recovery.Result r = recover(f, index);
            assertEquals(List.of("a", "c"), keysOf(index));
            assertEquals(2, positionOf(index, "c"));
            assertEquals(3, r.cursor());
            assertEquals(2, r.recoveredKeys());
        }
    }

    @Test
    void aBrokenLastSlotIsNotAWrittenPosition() throws IOException {
        try (StoreFile f = formatAndOpen("crc-last.store", 256)) {
            writeSlot(f, 0, "a", valueOf("a", 100));
            writeSlot(f, 1, 1, "torn", valueOf("torn", 100), true);
            KeyIndex index = new KeyIndex(256);
            Recovery.Result r = recover(f, index);
            assertEquals(List.of("a"), keysOf(index));
            assertEquals(1, r.cursor(), "the next write goes over the torn slot");
        }
    }

    /**
     * Slot 0 holds position 64 (the ring came round): recovery reads every slot and applies them in
     * sequence order, so the newer lap's tombstone and value win over the older slots, wherever they lie.
     */
    @Test
    void aSlotOfALaterLapMeansAFullScanInSequenceOrder() throws IOException {
        long n = 64;
        try (StoreFile f = formatAndOpen("lap.store", n)) {
            for (int p = 1; p < 10; p++) {
                writeSlot(f, p, "key-" + p, valueOf("key-" + p, 50));
            }
            // Position 64 lands in slot 0 (position 0 was overwritten): a tombstone of key-5.
            writeSlot(f, n, "key-5", null);
            // Position 65 lands in slot 1 (key-1's slot): a new value of key-7.
            writeSlot(f, n + 1, "key-7", valueOf("key-7 new", 60));
            KeyIndex index = new KeyIndex(n);
            Recovery.Result r = recover(f, index);
            assertTrue(r.fullScan());
            assertEquals(n + 2, r.cursor());
            assertEquals(List.of("key-2", "key-3", "key-4", "key-6", "key-7", "key-8", "key-9"), keysOf(index),
                    "key-1 was overwritten, key-5 deleted by the later lap");
            assertEquals(n + 1, positionOf(index, "key-7"));
            assertEquals(60, index.valueLengthAt(index.find(key("key-7"))));
            assertEquals(0, r.checkpointScanStart());
        }
    }

    /** Writes checkpoint {@code generation} listing {@code keys} at {@code positions}, with {@code scanStart}. */
    static void writeCheckpoint(StoreFile f, long generation, long scanStart, List<String> keys, List<Long> positions,
            List<Integer> lengths, List<Integer> crcs) throws IOException {
        CheckpointIo io = new CheckpointIo(f);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment payload = AlignedMemory.allocate(arena, 1 << 16, 4096);
            long at = 0;
            for (int i = 0; i < keys.size(); i++) {
                at = CheckpointDescriptor.encodeEntry(payload, at, key(keys.get(i)), positions.get(i), lengths.get(i),
                        crcs.get(i));
            }
            io.write(arena, generation, scanStart, keys.size(), payload, at);
        }
    }

    @Test
    void theNewestCheckpointIsLoadedAndTheScanStartsAtItsScanStart() throws IOException {
        try (StoreFile f = formatAndOpen("ckpt.store", 256)) {
            int[] crcs = new int[10];
            for (int p = 0; p < 10; p++) {
                crcs[p] = writeSlot(f, p, "key-" + p, valueOf("key-" + p, 40));
            }
            // The checkpoint knows key-0 .. key-3 (positions 0..3) and a key whose slot 4 now holds key-4:
            // a scan from 0 would evict it and find key-4 there; a scan from 5 keeps it.
            writeCheckpoint(f, 2, 5, List.of("key-0", "key-1", "key-2", "key-3", "only-in-checkpoint"),
                    List.of(0L, 1L, 2L, 3L, 4L), List.of(40, 40, 40, 40, 7), List.of(crcs[0], crcs[1], crcs[2], crcs[3], 99));
            KeyIndex index = new KeyIndex(256);
            Recovery.Result r = recover(f, index);
            assertFalse(r.fullScan());
            assertEquals(2, r.generation());
            assertEquals(5, r.checkpointScanStart());
            assertEquals(10, r.cursor());
            assertEquals(5, r.recoveredKeys(), "the scan applied positions 5..9 only");
            assertEquals(List.of("key-0", "key-1", "key-2", "key-3", "key-5", "key-6", "key-7", "key-8", "key-9",
                    "only-in-checkpoint"), keysOf(index));
            assertEquals(4, positionOf(index, "only-in-checkpoint"));
            assertEquals(7, index.valueLengthAt(index.find(key("only-in-checkpoint"))));
            assertEquals(crcs[2], index.dataCrcAt(index.find(key("key-2"))));
        }
    }

    @Test
    void aCorruptCheckpointPayloadFallsBackToTheOtherRegion() throws IOException {
        Path p;
        try (StoreFile f = formatAndOpen("ckpt-bad.store", 256)) {
            p = f.path();
            int[] crcs = new int[10];
            for (int q = 0; q < 10; q++) {
                crcs[q] = writeSlot(f, q, "key-" + q, valueOf("key-" + q, 40));
            }
            writeCheckpoint(f, 2, 5, List.of("key-0", "only-in-checkpoint"), List.of(0L, 4L), List.of(40, 7),
                    List.of(crcs[0], 99));
            assertEquals(f.superblock().checkpoint0(), new CheckpointIo(f).regionOf(2));
        }
        StoreOptions o = StoreTesting.psyncOptions();
        long region0;
        try (StoreFile f = StoreFile.open(p, o, StoreFile.createEngine(o, s -> { }), "")) {
            region0 = f.superblock().checkpoint0();
        }
        StoreTesting.flipByte(p, region0 + CheckpointDescriptor.HEADER_SIZE);
        try (StoreFile f = StoreFile.open(p, o, StoreFile.createEngine(o, s -> { }), "")) {
            KeyIndex index = new KeyIndex(256);
            Recovery.Result r = recover(f, index);
            // Generation 1 (the format's empty checkpoint, scan from 0) is loaded instead.
            assertFalse(r.fullScan());
            assertEquals(3, r.generation(), "past the highest generation on the device (2), so that the next "
                    + "checkpoint goes to the corrupt region, not over the one that loaded");
            assertEquals(f.superblock().checkpoint0(), new CheckpointIo(f).regionOf(r.generation() + 1));
            assertEquals(0, r.checkpointScanStart());
            assertEquals(10, r.cursor());
            List<String> expected = new ArrayList<>();
            for (int q = 0; q < 10; q++) {
                expected.add("key-" + q);
            }
            assertEquals(expected, keysOf(index), "nothing of the corrupt checkpoint");
            for (int q = 0; q < 10; q++) {
                assertEquals(q, positionOf(index, "key-" + q));
            }
        }
    }

    /**
     * A checkpoint's payload and header go out together, then one flush: a crash can leave the header
     * of the new checkpoint over the region's older payload (of the same length here). That payload
     * fails the CRC the header names, and the checkpoint flushed before, in the other region, loads.
     */
    @Test
    void aHeaderThatLandedWithoutItsPayloadFallsBackToTheOtherRegion() throws IOException {
        try (StoreFile f = formatAndOpen("torn-ckpt.store", 256)) {
            int[] crcs = new int[10];
            for (int q = 0; q < 10; q++) {
                crcs[q] = writeSlot(f, q, "key-" + q, valueOf("key-" + q, 40));
            }
            List<String> keys2 = List.of("key-0", "key-1", "key-2", "key-3", "only-in-2");
            writeCheckpoint(f, 2, 5, keys2, List.of(0L, 1L, 2L, 3L, 4L), List.of(40, 40, 40, 40, 7),
                    List.of(crcs[0], crcs[1], crcs[2], crcs[3], 99));
            List<String> keys3 = new ArrayList<>();
            List<Long> positions3 = new ArrayList<>();
            List<Integer> lengths3 = new ArrayList<>();
            List<Integer> crcs3 = new ArrayList<>();
            for (int q = 0; q < 7; q++) {
                keys3.add("key-" + q);
                positions3.add((long) q);
                lengths3.add(40);
                crcs3.add(crcs[q]);
            }
            writeCheckpoint(f, 3, 7, keys3, positions3, lengths3, crcs3);
            // Generation 4 goes to region 0, over generation 2: only its header landed. Its entries are
            // generation 2's keys at other positions, the same length: only the CRC tells the payloads apart.
            long length;
            int crc;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment meant = AlignedMemory.allocate(arena, 1 << 16, 4096);
                MemorySegment old = AlignedMemory.allocate(arena, 1 << 16, 4096);
                long at = 0;
                long oldAt = 0;
                for (int i = 0; i < keys2.size(); i++) {
                    at = CheckpointDescriptor.encodeEntry(meant, at, key(keys2.get(i)), 100 + i, 40, 7);
                    oldAt = CheckpointDescriptor.encodeEntry(old, oldAt, key(keys2.get(i)), i, 40, 7);
                }
                assertEquals(oldAt, at, "generation 2's payload has generation 4's length");
                length = at;
                crc = Le.crc32c(meant, 0, length);
            }
            CheckpointIo io = new CheckpointIo(f);
            assertEquals(io.regionOf(2), io.regionOf(4));
            CheckpointIoTest.writeHeader(f, io.regionOf(4), new Header(4, 9, keys2.size(), length, crc));
            KeyIndex index = new KeyIndex(256);
            Recovery.Result r = recover(f, index);
            assertFalse(r.fullScan());
            assertEquals(7, r.checkpointScanStart(), "generation 3 loaded");
            // The next checkpoint goes to region 0, over the torn one, not over generation 3 (region 1): a
            // crash during it leaves generation 3 to load.
            assertEquals(5, r.generation(), "past the highest generation on the device (4)");
            assertEquals(io.regionOf(4), io.regionOf(r.generation() + 1));
            List<String> expected = new ArrayList<>();
            for (int q = 0; q < 10; q++) {
                expected.add("key-" + q);
            }
            assertEquals(expected, keysOf(index), "nothing of generation 4's header or generation 2's payload");
        }
    }

    @Test
    void noValidCheckpointMeansAFullScanWithTheRightKeys() throws IOException {
        Path p;
        long region0;
        long region1;
        try (StoreFile f = formatAndOpen("ckpt-none.store", 256)) {
            p = f.path();
            region0 = f.superblock().checkpoint0();
            region1 = f.superblock().checkpoint1();
            int[] crcs = new int[10];
            for (int q = 0; q < 10; q++) {
                crcs[q] = writeSlot(f, q, "key-" + q, valueOf("key-" + q, 40));
            }
            writeSlot(f, 3, "key-0", null); // position 3: a tombstone of key-0 over key-3
            writeCheckpoint(f, 2, 5, List.of("only-in-checkpoint"), List.of(4L), List.of(7), List.of(99));
        }
        StoreTesting.flipByte(p, region0 + CheckpointDescriptor.HEADER_SIZE); // generation 2's payload
        StoreTesting.flipByte(p, region1 + CheckpointDescriptor.GENERATION_OFFSET); // generation 1's header
        StoreOptions o = StoreTesting.psyncOptions();
        try (StoreFile f = StoreFile.open(p, o, StoreFile.createEngine(o, s -> { }), "");
                Arena arena = Arena.ofConfined()) {
            Header[] h = new CheckpointIo(f).readHeaders(arena);
            assertEquals(null, h[1], "test setup: region 1's header is broken");
            KeyIndex index = new KeyIndex(256);
            Recovery.Result r = recover(f, index);
            assertTrue(r.fullScan());
            assertEquals(10, r.cursor());
            assertEquals(2, r.generation(), "region 0's header still holds generation 2 (its payload is bad): the"
                    + " next checkpoint must be 3, in region 1, not 1 or 2 over the region a later open would load");
            assertEquals(List.of("key-1", "key-2", "key-4", "key-5", "key-6", "key-7", "key-8", "key-9"),
                    keysOf(index));
            assertEquals(9, positionOf(index, "key-9"));
        }
    }
}
