package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.engine.ForwardingIoEngine;
import io.rawio.engine.IoBatch;
import io.rawio.engine.PsyncEngine;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Block-aligned values (format version 2): where the value goes, that a get reads the value's blocks
 * alone, and that such a read is still checked: a flipped bit or a stale block is reported corrupt,
 * whether the data CRC came from the put, the checkpoint or the recovery scan.
 */
class AlignedValueTest {
    static final int SLOT = 8192;

    @TempDir
    Path dir;

    @Test
    void layoutAlignsOnlyWhenItCostsNoBlock() {
        assertEquals(4096, SlotDescriptor.valueOffset(16, 4096, 8192), "a 4 KiB value in an 8 KiB slot");
        assertEquals(4096, SlotDescriptor.valueOffset(16, 256 * 1024, 264 * 1024), "256 KiB in 264 KiB");
        assertEquals(80, SlotDescriptor.valueOffset(16, 4000, 8192), "fits one block packed");
        assertEquals(80, SlotDescriptor.valueOffset(16, 100, 256 * 1024), "a small value in a large slot");
        assertEquals(80, SlotDescriptor.valueOffset(16, 0, 8192), "an empty value");
        assertEquals(80, SlotDescriptor.valueOffset(16, 4097, 8192), "does not fit the slot aligned");
    }

    @Property(tries = 2000)
    void layoutNeverCostsABlockAndAlwaysFits(@ForAll @IntRange(min = 1, max = 1024) int keyLength,
            @ForAll @IntRange(min = 0, max = 70_000) int valueLength, @ForAll @IntRange(min = 1, max = 17) int blocks) {
        long slot = blocks * 4096L;
        long packedEnd = SlotDescriptor.HEADER_SIZE + keyLength + (long) valueLength;
        if (packedEnd > slot) {
            return;
        }
        long at = SlotDescriptor.valueOffset(keyLength, valueLength, slot);
        long used = SlotDescriptor.usedBytes(keyLength, valueLength, slot);
        assertTrue(used <= slot, "fits");
        assertTrue(Blocks.roundUp(used, 4096) <= Blocks.roundUp(packedEnd, 4096), "no extra block");
        assertTrue(at == SlotDescriptor.HEADER_SIZE + keyLength || at % 4096 == 0, "packed or aligned");
        assertEquals(at != SlotDescriptor.HEADER_SIZE + keyLength, SlotDescriptor.valueAligned(keyLength, valueLength, slot));
    }

    @Test
    void aGetOfAnAlignedValueReadsOnlyItsBlock() throws IOException {
        Path p = format();
        ReadRecorder rec = new ReadRecorder();
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions(), rec)) {
            byte[] v4k = value(1, 4096);
            byte[] small = value(2, 300);
            s.put(key("four-k"), v4k);
            s.put(key("small"), small);
            rec.lengths.clear();
            assertArrayEquals(v4k, s.get(key("four-k")));
            assertEquals(List.of(4096L), rec.lengths, "one 4 KiB read for a 4 KiB value");
            rec.lengths.clear();
            assertArrayEquals(small, s.get(key("small")));
            assertEquals(List.of(4096L), rec.lengths, "header, key and a small value: one block");
        }
    }

    @Test
    void aFlippedBitInAnAlignedValueIsCorruptAfterPutCheckpointAndScan() throws IOException {
        for (String how : List.of("put", "checkpoint", "scan")) {
            Path p = dir.resolve(how + ".store");
            SlotStore.format(p, 8L << 20, SLOT, false, StoreTesting.psyncOptions());
            byte[] v = value(3, 4096);
            long valueOffset;
            SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions());
            try {
                s.put(key("victim"), v);
                s.put(key("bystander"), value(4, 4096));
                long pos = position(s, "victim");
                valueOffset = s.superblock().slotOffset(pos % s.superblock().slotCount()) + 4096;
                if (how.equals("put")) {
                    StoreTesting.flipByte(p, valueOffset + 100);
                    assertCorrupt(s);
                    continue;
                }
            } finally {
                if (how.equals("scan")) {
                    s.closeWithoutCheckpoint(); // the reopen scans the slots and takes the CRC from the header
                } else {
                    s.close();
                }
            }
            StoreTesting.flipByte(p, valueOffset + 100);
            try (SlotStore r = SlotStore.open(p, StoreTesting.psyncOptions())) {
                if (how.equals("scan")) {
                    // the scan checks the data CRC itself and does not take the key back
                    assertNull(r.get(key("victim")), how);
                    assertArrayEquals(value(4, 4096), r.get(key("bystander")), how);
                } else {
                    assertCorrupt(r);
                }
            }
        }
    }

    @Test
    void aStaleValueBlockUnderANewerHeaderIsCorruptNotOldData() throws IOException {
        Path p = format();
        long valueOffset;
        byte[] stale;
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions())) {
            long slots = s.superblock().slotCount();
            s.put(key("first"), value(5, 4096));
            valueOffset = s.superblock().slotOffset(0) + 4096;
            stale = Arrays.copyOfRange(Files.readAllBytes(p), (int) valueOffset, (int) valueOffset + 4096);
            for (int i = 1; i <= slots; i++) {
                s.put(key("n" + i), value(100 + i, 4096)); // the last one lands in slot 0 again
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.seek(valueOffset);
            f.write(stale); // a lost write: the old lap's value block under the new header
        }
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions())) {
            String last = "n" + s.superblock().slotCount();
            StoreException.Corrupt e = assertThrows(StoreException.Corrupt.class, () -> s.get(key(last)));
            assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
            assertFalse(s.contains(key(last)), "dropped");
        }
    }

    @Test
    void checkReadsTheStoredKeyThatAGetOfAnAlignedValueSkips() throws IOException {
        Path p = format();
        long keyOffset;
        byte[] v = value(6, 4096);
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions())) {
            s.put(key("victim"), v);
            s.put(key("bystander"), value(4, 4096));
            keyOffset = s.superblock().slotOffset(position(s, "victim") % s.superblock().slotCount())
                    + SlotDescriptor.HEADER_SIZE + 2;
            CheckReport clean = s.check();
            assertEquals(2, clean.keysVerified());
            assertEquals(0, clean.keysCorrupt());
        }
        StoreTesting.flipByte(p, keyOffset);
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions())) {
            // the value blocks are intact and match the CRC the checkpoint kept: a get returns them
            assertArrayEquals(v, s.get(key("victim")));
            CheckReport r = s.check();
            assertEquals(1, r.keysVerified(), r.toString());
            assertEquals(1, r.keysCorrupt(), "the damaged key bytes in the slot: " + r);
            assertFalse(r.healthy());
        }
    }

    /**
     * Writers go round a small ring many times (evicting as they go) while readers get the same keys:
     * a get that races with the overwrite of its slot is a miss, never a corruption and never another
     * key's bytes. Each key's value follows from the key, so any value read must be that one.
     */
    @Test
    void getsRacingEvictionsAreMissesNeverCorruptOrWrong() throws Exception {
        for (String engine : List.of("psync", "uring")) {
            Path p = dir.resolve(engine + "-race.store");
            StoreOptions o = StoreOptions.defaults().withEngine(engine).withBatchSize(8);
            SlotStore.format(p, 3L << 20, SLOT, false, o); // about 128 slots
            try (SlotStore s = SlotStore.open(p, o)) {
                java.util.concurrent.atomic.AtomicLong hits = new java.util.concurrent.atomic.AtomicLong();
                List<Throwable> errors = StoreTesting.hammer(4, 1500, t -> {
                    boolean writer = t < 2;
                    SplittableRandom r = new SplittableRandom(t);
                    return () -> {
                        List<byte[]> keys = new ArrayList<>();
                        for (int i = 0; i < 8; i++) {
                            keys.add(key("k" + r.nextInt(400)));
                        }
                        if (writer) {
                            List<java.lang.foreign.MemorySegment> vs = new ArrayList<>();
                            for (byte[] k : keys) {
                                vs.add(java.lang.foreign.MemorySegment.ofArray(valueOf(k)));
                            }
                            for (SlotStore.Result res : s.putMany(keys, vs)) {
                                assertTrue(res.ok(), res.toString());
                            }
                        } else {
                            List<GetResult> got = s.getMany(keys);
                            for (int i = 0; i < keys.size(); i++) {
                                GetResult g = got.get(i);
                                assertNull(g.corrupt(), "no corruption from a race");
                                if (g.found()) {
                                    assertArrayEquals(valueOf(keys.get(i)), g.value(), "the key's own value");
                                    hits.incrementAndGet();
                                }
                            }
                        }
                    };
                });
                assertTrue(errors.isEmpty(), engine + ": " + errors);
                assertEquals(0, s.stats().corruptions(), engine);
                assertTrue(s.stats().evictions() > 1000, engine + ": the ring went round: " + s.stats().evictions());
                assertTrue(hits.get() > 100, engine + ": reads found keys: " + hits.get());
            }
        }
    }

    /** 4 KiB, block-aligned in an 8 KiB slot, its bytes a function of the key. */
    private static byte[] valueOf(byte[] key) {
        return value(java.util.Arrays.hashCode(key), 4096);
    }

    private static void assertCorrupt(SlotStore s) throws IOException {
        StoreException.Corrupt e = assertThrows(StoreException.Corrupt.class, () -> s.get(key("victim")));
        assertTrue(e.getMessage().contains("victim") && e.getMessage().contains("CRC32C"), e.getMessage());
        assertNull(s.get(key("victim")), "the corrupt key was dropped");
        assertArrayEquals(value(4, 4096), s.get(key("bystander")));
        assertEquals(1, s.stats().corruptions());
    }

    private Path format() throws IOException {
        Path p = dir.resolve("a.store");
        SlotStore.format(p, 8L << 20, SLOT, false, StoreTesting.psyncOptions());
        return p;
    }

    private static long position(SlotStore s, String k) {
        return s.keys().stream().filter(i -> new String(i.key()).equals(k)).findFirst().orElseThrow().position();
    }

    private static byte[] value(long seed, int n) {
        byte[] v = new byte[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            v[i] = (byte) r.nextInt();
        }
        return v;
    }

    /** psync, remembering the length of every read. */
    static final class ReadRecorder extends ForwardingIoEngine {
        final List<Long> lengths = new ArrayList<>();

        ReadRecorder() {
            super(new PsyncEngine());
        }

        @Override
        public void execute(IoBatch batch) {
            inner.execute(batch);
            for (int i = 0; i < batch.size(); i++) {
                if (batch.op(i).isRead()) {
                    lengths.add(batch.length(i));
                }
            }
        }
    }
}
