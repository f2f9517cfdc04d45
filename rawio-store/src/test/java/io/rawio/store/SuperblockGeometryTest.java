package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A superblock whose block size or key limit this version does not use is refused, and nothing is written. */
class SuperblockGeometryTest {

    @Test
    void aStoreWithAnotherBlockSizeOrKeyLimitIsRefusedUntouched(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.store");
        SlotStore.format(file, 16L << 20, 8192, false, StoreTesting.psyncOptions());
        byte[] original = Files.readAllBytes(file);
        MemorySegment first = MemorySegment.ofArray(original).asSlice(0, SuperblockDescriptor.SIZE);
        SuperblockDescriptor.Superblock sb = SuperblockDescriptor.decode(first);
        for (SuperblockDescriptor.Superblock other : new SuperblockDescriptor.Superblock[] {
            new SuperblockDescriptor.Superblock(sb.uuid(), 8192, sb.slotSize(), sb.slotCount(), sb.checkpoint0(),
                    sb.checkpoint1(), sb.checkpointSize(), sb.slotsOffset(), sb.maxKeyLength(), sb.createdMs()),
            new SuperblockDescriptor.Superblock(sb.uuid(), sb.blockSize(), sb.slotSize(), sb.slotCount(),
                    sb.checkpoint0(), sb.checkpoint1(), sb.checkpointSize(), sb.slotsOffset(),
                    SlotStore.MAX_KEY_LENGTH * 2, sb.createdMs())}) {
            byte[] bytes = original.clone();
            MemorySegment all = MemorySegment.ofArray(bytes);
            SuperblockDescriptor.encode(other, all.asSlice(0, SuperblockDescriptor.SIZE));
            SuperblockDescriptor.encode(other, all.asSlice(SuperblockDescriptor.SIZE, SuperblockDescriptor.SIZE));
            Files.write(file, bytes);
            StoreException e = assertThrows(StoreException.class,
                    () -> SlotStore.open(file, StoreTesting.psyncOptions()).close());
            assertTrue(e.getMessage().contains("this version reads block size"), e.getMessage());
            assertArrayEquals(bytes, Files.readAllBytes(file), "a refused open writes nothing");
        }
    }

    @Test
    void aStoreOfAnotherFormatVersionIsRefusedByNameUntouched(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("v1.store");
        SlotStore.format(file, 16L << 20, 8192, false, StoreTesting.psyncOptions());
        byte[] bytes = Files.readAllBytes(file);
        MemorySegment all = MemorySegment.ofArray(bytes);
        for (long at : new long[] {0, SuperblockDescriptor.SIZE}) {
            MemorySegment copy = all.asSlice(at, SuperblockDescriptor.SIZE);
            copy.set(Le.U32, SuperblockDescriptor.VERSION_OFFSET, 1);
            Le.seal(copy, SuperblockDescriptor.CRC_OFFSET);
        }
        Files.write(file, bytes);
        StoreException e = assertThrows(StoreException.class,
                () -> SlotStore.open(file, StoreTesting.psyncOptions()).close());
        assertTrue(e.getMessage().contains("format version 1") && e.getMessage().contains("reads format version 2"),
                e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(file), "a refused open writes nothing");
    }

    @Test
    void moreSlotsThanTheIndexHoldsAreRefusedAtFormatAndAtOpen(@TempDir Path dir) throws IOException {
        long fits = StoreFormatter.layout(3L << 40, 4096).slotCount();
        assertTrue(fits <= KeyIndex.MAX_SLOTS, "3 TiB of 4 KiB slots fits: " + fits);
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> StoreFormatter.layout(4L << 40, 4096));
        assertTrue(tooMany.getMessage().contains("too many slots") && tooMany.getMessage().contains("at most "
                + KeyIndex.MAX_SLOTS), tooMany.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new KeyIndex(KeyIndex.MAX_SLOTS + 1));

        Path file = dir.resolve("s.store");
        SlotStore.format(file, 16L << 20, 8192, false, StoreTesting.psyncOptions());
        byte[] bytes = Files.readAllBytes(file);
        MemorySegment all = MemorySegment.ofArray(bytes);
        SuperblockDescriptor.Superblock sb = SuperblockDescriptor.decode(all.asSlice(0, SuperblockDescriptor.SIZE));
        SuperblockDescriptor.Superblock huge = new SuperblockDescriptor.Superblock(sb.uuid(), sb.blockSize(),
                sb.slotSize(), KeyIndex.MAX_SLOTS + 1, sb.checkpoint0(), sb.checkpoint1(), sb.checkpointSize(),
                sb.slotsOffset(), sb.maxKeyLength(), sb.createdMs());
        SuperblockDescriptor.encode(huge, all.asSlice(0, SuperblockDescriptor.SIZE));
        SuperblockDescriptor.encode(huge, all.asSlice(SuperblockDescriptor.SIZE, SuperblockDescriptor.SIZE));
        Files.write(file, bytes);
        StoreException e = assertThrows(StoreException.class,
                () -> SlotStore.open(file, StoreTesting.psyncOptions()).close());
        assertTrue(e.getMessage().contains("indexes at most " + KeyIndex.MAX_SLOTS), e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(file), "a refused open writes nothing");
    }
}
