package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a store file without the store: the superblock checks and repair, the lock, the slot walk; and the layout. */
class StoreFileTest {
    static final long SLOTS = 100;

    @TempDir
    Path dir;
    final StoreOptions options = StoreTesting.psyncOptions();

    Path formatted(String name) throws IOException {
        Path p = dir.resolve(name);
        SlotStore.format(p, RecoveryTest.META + SLOTS * 8192, 8192, false, options);
        return p;
    }

    StoreFile open(Path p) throws IOException {
        return StoreFile.open(p, options, StoreFile.createEngine(options, s -> { }), "");
    }

    byte[] bytes(Path p, long offset, int length) throws IOException {
        byte[] b = new byte[length];
        try (RandomAccessFile r = new RandomAccessFile(p.toFile(), "r")) {
            r.seek(offset);
            r.readFully(b);
        }
        return b;
    }

    static Superblock decode(byte[] b) {
        return SuperblockDescriptor.decode(MemorySegment.ofArray(b));
    }

    @Test
    void aFormattedStoreOpensWithItsGeometry() throws IOException {
        Path p = formatted("ok.store");
        try (StoreFile f = open(p)) {
            Superblock sb = f.superblock();
            assertEquals(SLOTS, sb.slotCount());
            assertEquals(8192, sb.slotSize());
            assertEquals(p, f.path());
            assertEquals(decode(bytes(p, 0, SuperblockDescriptor.SIZE)), sb);
        }
    }

    @Test
    void aMissingPathIsNoSuchFile() {
        Path p = dir.resolve("missing.store");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> open(p));
        assertEquals(p.toString(), e.getFile());
        assertTrue(Files.notExists(p), "open creates nothing");
    }

    @Test
    void aFileOfZerosIsNotAStore() throws IOException {
        Path p = dir.resolve("zeros");
        Files.write(p, new byte[1 << 20]);
        StoreException.NotAStore e = assertThrows(StoreException.NotAStore.class, () -> open(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void aFileShorterThanTheSuperblocksIsNotAStore() throws IOException {
        Path p = dir.resolve("short");
        Files.write(p, new byte[4096]);
        assertThrows(StoreException.NotAStore.class, () -> open(p));
    }

    @Test
    void aCorruptFirstSuperblockIsRepairedFromTheSecond() throws IOException {
        Path p = formatted("first.store");
        byte[] good = bytes(p, 0, SuperblockDescriptor.SIZE);
        StoreTesting.flipByte(p, 100);
        assertEquals(null, decode(bytes(p, 0, SuperblockDescriptor.SIZE)), "test setup: copy 0 is broken");
        try (StoreFile f = open(p)) {
            assertEquals(decode(good), f.superblock());
        }
        assertNotNull(decode(bytes(p, 0, SuperblockDescriptor.SIZE)), "copy 0 was rewritten");
        assertArrayEquals(good, bytes(p, 0, SuperblockDescriptor.SIZE));
        assertArrayEquals(good, bytes(p, SuperblockDescriptor.SIZE, SuperblockDescriptor.SIZE));
    }

    @Test
    void aCorruptSecondSuperblockIsRepairedFromTheFirst() throws IOException {
        Path p = formatted("second.store");
        byte[] good = bytes(p, 0, SuperblockDescriptor.SIZE);
        StoreTesting.flipByte(p, SuperblockDescriptor.SIZE + SuperblockDescriptor.SLOT_COUNT_OFFSET);
        try (StoreFile f = open(p)) {
            assertEquals(SLOTS, f.superblock().slotCount());
        }
        assertArrayEquals(good, bytes(p, SuperblockDescriptor.SIZE, SuperblockDescriptor.SIZE));
    }

    @Test
    void bothSuperblocksCorruptIsCorrupt() throws IOException {
        Path p = formatted("both.store");
        StoreTesting.flipByte(p, 100);
        StoreTesting.flipByte(p, SuperblockDescriptor.SIZE + 100);
        StoreException.Corrupt e = assertThrows(StoreException.Corrupt.class, () -> open(p));
        assertTrue(e.getMessage().contains("both superblocks"), e.getMessage());
    }

    @Test
    void aNewerFormatVersionIsRefusedByName() throws IOException {
        Path p = formatted("newer.store");
        byte[] sb = bytes(p, 0, SuperblockDescriptor.SIZE);
        MemorySegment s = MemorySegment.ofArray(sb);
        s.set(Le.U32, SuperblockDescriptor.VERSION_OFFSET, SuperblockDescriptor.FORMAT_VERSION + 1);
        Le.seal(s, SuperblockDescriptor.CRC_OFFSET);
        try (RandomAccessFile r = new RandomAccessFile(p.toFile(), "rw")) {
            r.write(sb);
            r.write(sb);
        }
        StoreException e = assertThrows(StoreException.class, () -> open(p));
        assertEquals(StoreException.class, e.getClass(), "neither corrupt nor not-a-store: " + e);
        assertTrue(e.getMessage().contains("format version " + (SuperblockDescriptor.FORMAT_VERSION + 1)),
                e.getMessage());
    }

    @Test
    void aSecondOpenWhileTheFirstHoldsItIsInUse() throws IOException {
        Path p = formatted("busy.store");
        try (StoreFile f = open(p)) {
            StoreException.InUse e = assertThrows(StoreException.InUse.class, () -> open(p));
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            assertEquals(SLOTS, f.superblock().slotCount(), "the first stays open");
        }
        try (StoreFile again = open(p)) {
            assertEquals(SLOTS, again.superblock().slotCount(), "closing released the lock");
        }
    }

    @Test
    void aTruncatedStoreIsCorrupt() throws IOException {
        Path p = formatted("cut.store");
        Superblock sb;
        try (StoreFile f = open(p)) {
            sb = f.superblock();
        }
        try (RandomAccessFile r = new RandomAccessFile(p.toFile(), "rw")) {
            r.setLength(sb.slotOffset(sb.slotCount() - 1));
        }
        StoreException.Corrupt e = assertThrows(StoreException.Corrupt.class, () -> open(p));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aStoreExactlyAsLongAsItsSlotsOpens() throws IOException {
        Path p = formatted("exact.store");
        Superblock sb;
        try (StoreFile f = open(p)) {
            sb = f.superblock();
        }
        try (RandomAccessFile r = new RandomAccessFile(p.toFile(), "rw")) {
            r.setLength(sb.slotOffset(sb.slotCount()));
        }
        try (StoreFile f = open(p)) {
            assertEquals(SLOTS, f.superblock().slotCount());
        }
    }

    @Test
    void forEachSlotHeaderVisitsEverySlotOnceInOrder() throws IOException {
        Path p = formatted("walk.store");
        try (StoreFile f = open(p); Arena arena = Arena.ofConfined()) {
            Superblock sb = f.superblock();
            RecoveryTest.writeSlot(f, 5, "five", RecoveryTest.valueOf("five", 10));
            RecoveryTest.writeSlot(f, SLOTS + 70, "lap", RecoveryTest.valueOf("lap", 10)); // slot 70
            List<Long> visited = new ArrayList<>();
            List<Long> valid = new ArrayList<>();
            List<Long> sequences = new ArrayList<>();
            f.forEachSlotHeader(arena, (slot, head, read) -> {
                visited.add(slot);
                assertTrue(read, "slot " + slot + " read whole");
                assertEquals(4096, head.byteSize());
                if (SlotDescriptor.headerValid(head, sb.storeId(), sb.slotSize())) {
                    valid.add(slot);
                    sequences.add(SlotDescriptor.sequence(head));
                }
            });
            List<Long> all = new ArrayList<>();
            for (long s = 0; s < SLOTS; s++) {
                all.add(s);
            }
            assertEquals(all, visited);
            assertEquals(List.of(5L, 70L), valid);
            assertEquals(List.of(5L, SLOTS + 70), sequences);
        }
    }

    @Test
    void aSizeTooSmallForTwoSlotsIsRefused() {
        long meta = 2L * SuperblockDescriptor.SIZE + 2 * ((1L << 20) + CheckpointDescriptor.HEADER_SIZE);
        assertThrows(IllegalArgumentException.class, () -> StoreFormatter.layout(meta + 2 * 8192 - 1, 8192));
        assertThrows(IllegalArgumentException.class, () -> StoreFormatter.layout(4096, 4096));
        assertEquals(2, StoreFormatter.layout(meta + 2 * 8192, 8192).slotCount());
    }

    /**
     * Every layout puts two superblocks, then two checkpoint regions, then the slots, each on a block
     * boundary, the slots within the size and as many as fit; only a size without room for two slots
     * after the smallest metadata is refused.
     */
    @Property(tries = 500)
    void theLayoutFitsTheSizeAndAlignsEveryPart(@ForAll @LongRange(min = 0, max = 1L << 40) long size,
            @ForAll @IntRange(min = 1, max = 256) int slotBlocks) {
        long slotSize = slotBlocks * 4096L;
        long minMeta = 2L * SuperblockDescriptor.SIZE + 2 * ((1L << 20) + CheckpointDescriptor.HEADER_SIZE);
        if (size < minMeta + 2 * slotSize) {
            assertThrows(IllegalArgumentException.class, () -> StoreFormatter.layout(size, slotSize));
            return;
        }
        Superblock sb = StoreFormatter.layout(size, slotSize);
        assertEquals(slotSize, sb.slotSize());
        assertEquals(4096, sb.blockSize());
        assertEquals(2L * SuperblockDescriptor.SIZE, sb.checkpoint0());
        assertEquals(sb.checkpoint0() + sb.checkpointSize(), sb.checkpoint1());
        assertEquals(sb.checkpoint1() + sb.checkpointSize(), sb.slotsOffset());
        assertEquals(0, sb.checkpointSize() % 4096);
        assertTrue(sb.checkpointSize() >= (1L << 20) + CheckpointDescriptor.HEADER_SIZE);
        assertEquals(0, sb.slotsOffset() % 4096, "slots block-aligned");
        assertTrue(sb.slotCount() >= 2);
        assertTrue(sb.slotCount() * slotSize + sb.slotsOffset() <= size, "slots within the size");
        assertTrue((sb.slotCount() + 1) * slotSize + sb.slotsOffset() > size, "as many slots as fit");
    }
}
