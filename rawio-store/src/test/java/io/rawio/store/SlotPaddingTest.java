package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slot filled into a scratch region zeroes only the padding an earlier use left dirty, and its
 * padding is zero all the same: after fills of other layouts, after reads into the region, on disk.
 */
class SlotPaddingTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    @Test
    void prefixesOfEachLayout() {
        // Per 512-byte sector. Aligned: header and key in sector 0, padding, the value from sector 8 (4096).
        assertEquals(80, SlotPadding.prefix(0, 80, 4096, 8192));
        assertEquals(0, SlotPadding.prefix(1, 80, 4096, 8192));
        assertEquals(0, SlotPadding.prefix(7, 80, 4096, 8192));
        assertEquals(512, SlotPadding.prefix(8, 80, 4096, 8192));
        assertEquals(512, SlotPadding.prefix(15, 80, 4096, 8192));
        // packed over ten sectors
        assertEquals(512, SlotPadding.prefix(0, 5080, 0, 0));
        assertEquals(472, SlotPadding.prefix(9, 5080, 0, 0));
        assertEquals(0, SlotPadding.prefix(10, 5080, 0, 0));
        // an aligned value ending inside its last block
        assertEquals(100, SlotPadding.prefix(16, 80, 4096, 8292));
        // a sector class: the value from sector 1
        assertEquals(80, SlotPadding.prefix(0, 80, 512, 4608));
        assertEquals(512, SlotPadding.prefix(1, 80, 512, 4608));
        assertEquals(512, SlotPadding.prefix(8, 80, 512, 4608));
    }

    @Test
    void aSlotOutsideTheRegionOrOffABlockIsRefused() {
        SlotPadding p = new SlotPadding(2 * BLOCK);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(2 * BLOCK, BLOCK);
            assertThrows(IllegalArgumentException.class, () -> p.clearOutside(s, BLOCK, 80, 4096, 8192));
            assertThrows(IllegalArgumentException.class, () -> p.clearOutside(s, 100, 80, 4096, 8192));
            assertThrows(IllegalArgumentException.class, () -> p.clearOutside(s, 0, 80, 4000, 8192));
        }
    }

    /**
     * Random fills of random layouts and sizes at random block offsets of one region, with garbage
     * written by "reads" in between: after every fill, each byte of the slot outside what it wrote is
     * zero, though the tracker zeroed only what it knew to be dirty.
     */
    @Test
    void everyFillLeavesItsPaddingZero() {
        int blocks = 64;
        SplittableRandom rnd = new SplittableRandom(7);
        SlotPadding padding = new SlotPadding((long) blocks * BLOCK);
        long zeroed = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment region = a.allocate((long) blocks * BLOCK, BLOCK);
            for (int round = 0; round < 3000; round++) {
                if (rnd.nextInt(10) == 0) {
                    // a read's buffer: anything lands in it
                    int at = rnd.nextInt(blocks);
                    int n = 1 + rnd.nextInt(Math.min(8, blocks - at));
                    padding.dirty((long) at * BLOCK, (long) n * BLOCK);
                    MemorySegment r = region.asSlice((long) at * BLOCK, (long) n * BLOCK);
                    for (long i = 0; i < r.byteSize(); i += 61) {
                        r.set(ValueLayout.JAVA_BYTE, i, (byte) 0x5a);
                    }
                    continue;
                }
                // Slots of whole blocks, or of a sector class (whole 512-byte sectors), at any sector.
                int slotBlocks = 1 + rnd.nextInt(6);
                long slotSize = (long) slotBlocks * BLOCK + (rnd.nextBoolean() ? 512L * rnd.nextInt(1, 8) : 0);
                long slotSectors = Blocks.roundUp(slotSize, 512) / 512;
                long atByte = 512L * rnd.nextLong(blocks * 8L - slotSectors + 1);
                int keyLength = 1 + rnd.nextInt(1024);
                long room = slotSize - SlotDescriptor.HEADER_SIZE - keyLength;
                if (room < 0) {
                    continue;
                }
                int valueLength = rnd.nextInt((int) room + 1);
                MemorySegment slot = region.asSlice(atByte, SlotDescriptor.usedBlocks(keyLength, valueLength, slotSize));
                byte[] k = new byte[keyLength];
                Arrays.fill(k, (byte) 0x11);
                byte[] v = new byte[valueLength];
                Arrays.fill(v, (byte) 0x22);
                long valueAt0 = SlotDescriptor.valueOffset(keyLength, valueLength, slotSize);
                long before = nonZeroPadding(slot, SlotDescriptor.HEADER_SIZE + keyLength, valueAt0, valueLength);
                SlotDescriptor.fill(slot, k, MemorySegment.ofArray(v), SlotDescriptor.FLAG_LIVE, 1, 2, slotSize, 3, 0, -1,
                        padding, atByte);
                zeroed += before;
                long valueAt = SlotDescriptor.valueOffset(keyLength, valueLength, slotSize);
                long keyEnd = SlotDescriptor.HEADER_SIZE + keyLength;
                for (long i = 0; i < slot.byteSize(); i++) {
                    boolean written = i < keyEnd || (i >= valueAt && i < valueAt + valueLength);
                    if (!written) {
                        assertEquals(0, slot.get(ValueLayout.JAVA_BYTE, i), "round " + round + ": byte " + i
                                + " of a slot of " + slotSize + ", key " + keyLength + ", value " + valueLength);
                    }
                }
                assertEquals(valueLength == 0 ? 0 : 0x22, valueLength == 0 ? 0 : slot.get(ValueLayout.JAVA_BYTE,
                        valueAt + valueLength - 1));
                assertTrue(SlotDescriptor.dataValid(slot, slotSize), "round " + round);
            }
        }
        assertTrue(zeroed > 0, "the rounds met dirty padding");
    }

    /** Non-zero bytes of a slot outside its header, key and value. */
    private static long nonZeroPadding(MemorySegment s, long keyEnd, long valueAt, long valueLength) {
        long n = 0;
        for (long i = keyEnd; i < s.byteSize(); i++) {
            if (!(i >= valueAt && i < valueAt + valueLength) && s.get(ValueLayout.JAVA_BYTE, i) != 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * The tracked fill gives the bytes the zeroing fill gives, over random dirtying of the region; and it
     * skips zeroing what it knows to be zero (bytes changed behind its back, unmarked, stay as they are).
     */
    @Test
    void theTrackedFillWritesWhatTheZeroingFillWrites() {
        int blocks = 16;
        SplittableRandom rnd = new SplittableRandom(5);
        SlotPadding padding = new SlotPadding((long) blocks * BLOCK);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment region = a.allocate((long) blocks * BLOCK, BLOCK);
            MemorySegment expected = a.allocate(8L * BLOCK, BLOCK);
            for (int round = 0; round < 2000; round++) {
                if (rnd.nextInt(8) == 0) {
                    int at = rnd.nextInt(blocks);
                    padding.dirty((long) at * BLOCK, BLOCK);
                    region.asSlice((long) at * BLOCK, BLOCK).fill((byte) (1 + rnd.nextInt(255)));
                }
                int slotBlocks = 1 + rnd.nextInt(4);
                long slotSize = (long) slotBlocks * BLOCK;
                int keyLength = 1 + rnd.nextInt(300);
                int valueLength = rnd.nextInt((int) (slotSize - SlotDescriptor.HEADER_SIZE - keyLength) + 1);
                long bytes = Blocks.roundUp(SlotDescriptor.usedBytes(keyLength, valueLength, slotSize), BLOCK);
                int at = rnd.nextInt((int) (blocks - bytes / BLOCK) + 1);
                byte[] k = new byte[keyLength];
                rnd.nextBytes(k);
                byte[] v = new byte[valueLength];
                rnd.nextBytes(v);
                MemorySegment want = expected.asSlice(0, bytes);
                want.fill((byte) 0x77);
                int crc1 = SlotDescriptor.fill(want, k, MemorySegment.ofArray(v), SlotDescriptor.FLAG_LIVE, 9, 8, slotSize,
                        7, 0, -1);
                MemorySegment got = region.asSlice((long) at * BLOCK, bytes);
                int crc2 = SlotDescriptor.fill(got, k, MemorySegment.ofArray(v), SlotDescriptor.FLAG_LIVE, 9, 8, slotSize,
                        7, 0, -1, padding, (long) at * BLOCK);
                assertEquals(crc1, crc2);
                assertEquals(-1, want.mismatch(got), "round " + round + ": slot " + slotSize + ", key " + keyLength
                        + ", value " + valueLength);
            }
            // What it knows to be zero it does not zero again: a byte changed behind its back stays.
            MemorySegment slot = region.asSlice(0, 2 * BLOCK);
            byte[] k = key("k");
            MemorySegment v = MemorySegment.ofArray(new byte[BLOCK]);
            SlotDescriptor.fill(slot, k, v, SlotDescriptor.FLAG_LIVE, 1, 2, 2 * BLOCK, 3, 0, -1, padding, 0);
            slot.set(ValueLayout.JAVA_BYTE, 2000, (byte) 9);
            SlotDescriptor.fill(slot, k, v, SlotDescriptor.FLAG_LIVE, 1, 2, 2 * BLOCK, 3, 0, -1, padding, 0);
            assertEquals(9, slot.get(ValueLayout.JAVA_BYTE, 2000), "padding known to be zero is not written again");
            padding.dirty(0, BLOCK);
            SlotDescriptor.fill(slot, k, v, SlotDescriptor.FLAG_LIVE, 1, 2, 2 * BLOCK, 3, 0, -1, padding, 0);
            assertEquals(0, slot.get(ValueLayout.JAVA_BYTE, 2000), "dirty padding is zeroed");
        }
    }

    /**
     * Through the store: windows of long keys, reads of them (into the same scratch regions), then
     * windows of 4 KiB values with short keys in the same slots' memory. Every live slot on disk has
     * zeros between its key and its value and after the value.
     */
    @ParameterizedTest
    @ValueSource(strings = {"psync", "uring"})
    void slotsOnDiskHaveZeroPaddingAfterTheRegionWasDirtied(String engine) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(!engine.equals("uring") || io.rawio.uring.IoUring.available(),
                "io_uring unavailable");
        StoreOptions o = StoreOptions.defaults().withEngine(engine).withBatchSize(16);
        Path p = dir.resolve("pad-" + engine + ".store");
        SlotStore.format(p, 64L << 20, SlotClasses.of(List.of(4096L, 8192L)), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        SplittableRandom rnd = new SplittableRandom(11);
        try (SlotStore s = SlotStore.open(p, o)) {
            for (int round = 0; round < 6; round++) {
                List<byte[]> keys = new ArrayList<>();
                List<MemorySegment> values = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    int kl = round % 2 == 0 ? 900 + rnd.nextInt(100) : 8 + rnd.nextInt(8);
                    byte[] k = new byte[kl];
                    Arrays.fill(k, (byte) ('a' + round));
                    System.arraycopy(key(round + "-" + i), 0, k, 0, Math.min(kl, key(round + "-" + i).length));
                    byte[] v = new byte[round % 3 == 1 ? 3000 : 4096];
                    Arrays.fill(v, (byte) (0x30 + round));
                    keys.add(k);
                    values.add(MemorySegment.ofArray(v));
                }
                s.putMany(keys, values);
                s.getMany(keys.subList(0, 50)); // reads through the scratch regions
            }
        }
        long checked = 0;
        try (SlotStore s = SlotStore.open(p, o); FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
                Arena a = Arena.ofConfined()) {
            for (SuperblockDescriptor.SlotClass c : s.superblock().classes()) {
                for (long i = 0; i < c.slotCount(); i++) {
                    ByteBuffer bb = ByteBuffer.allocate((int) c.slotSize());
                    ch.read(bb, c.slotOffset(i));
                    MemorySegment slot = MemorySegment.ofArray(bb.array());
                    if (!SlotDescriptor.headerValid(slot, s.superblock().storeId(), c.slotSize())
                            || SlotDescriptor.flags(slot) != SlotDescriptor.FLAG_LIVE) {
                        continue;
                    }
                    int kl = SlotDescriptor.keyLength(slot);
                    int vl = SlotDescriptor.valueLength(slot);
                    long valueAt = SlotDescriptor.valueOffset(kl, vl, c.slotSize());
                    long end = Blocks.roundUp(SlotDescriptor.usedBytes(kl, vl, c.slotSize()), BLOCK);
                    for (long b = 0; b < end; b++) {
                        boolean padding = (b >= SlotDescriptor.HEADER_SIZE + kl && b < valueAt) || b >= valueAt + vl;
                        if (padding) {
                            assertEquals(0, slot.get(ValueLayout.JAVA_BYTE, b), engine + ": class " + c.id()
                                    + " slot " + i + " byte " + b + " (key " + kl + ", value " + vl + ")");
                        }
                    }
                    checked++;
                }
            }
        }
        assertTrue(checked >= 200, "live slots checked: " + checked);
    }
}
