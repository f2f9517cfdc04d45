package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Libc;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Preallocation}: WRITE_ZEROS leaves no unwritten extent in the file (read through
 * FS_IOC_FIEMAP), FALLOCATE does; both give a working store.
 */
class PreallocationTest {
    private static final long FS_IOC_FIEMAP = 0xC020660BL;
    private static final int FIEMAP_HEADER = 32;
    private static final int FIEMAP_EXTENT = 56;
    private static final int FIEMAP_EXTENT_LAST = 0x1;
    private static final int FIEMAP_EXTENT_UNWRITTEN = 0x800;
    private static final long SIZE = 72L << 20; // more than one batch of zero writes

    @Test
    void writeZerosLeavesNoUnwrittenExtent(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("z.store");
        List<long[]> calls = new ArrayList<>();
        SlotStore.format(p, SIZE, 65536, false, StoreTesting.psyncOptions(), Preallocation.WRITE_ZEROS,
                (done, total) -> calls.add(new long[] {done, total}));
        long unwritten = unwrittenBytes(p);
        assumeTrue(unwritten >= 0, "FS_IOC_FIEMAP is not supported on this file system");
        assertEquals(0, unwritten, "bytes in unwritten extents after WRITE_ZEROS");
        assertTrue(calls.size() >= 2, "progress told more than once: " + calls.size());
        assertEquals(SIZE, calls.getLast()[0], "progress ends at the file's size");
        for (int i = 1; i < calls.size(); i++) {
            assertTrue(calls.get(i)[0] > calls.get(i - 1)[0], "progress grows");
        }
        roundTrip(p);
    }

    @Test
    void fallocateLeavesTheSlotsUnwritten(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("f.store");
        SlotStore.format(p, SIZE, 65536, false, StoreTesting.psyncOptions(), Preallocation.FALLOCATE,
                (done, total) -> {
                    throw new AssertionError("no zeros are written with FALLOCATE");
                });
        long unwritten = unwrittenBytes(p);
        assumeTrue(unwritten > 0, "this file system reports no unwritten extents (FIEMAP unsupported, or no "
                + "unwritten extents after fallocate)");
        assertTrue(unwritten > SIZE / 2, "most of the file is unwritten: " + unwritten);
        roundTrip(p);
    }

    private static void roundTrip(Path p) throws IOException {
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions())) {
            byte[] v = "value".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            s.put("k".getBytes(StandardCharsets.US_ASCII), v);
            assertEquals(new String(v, StandardCharsets.US_ASCII),
                    new String(s.get("k".getBytes(StandardCharsets.US_ASCII)), StandardCharsets.US_ASCII));
        }
    }

    /** Bytes of the file in extents flagged unwritten, or -1 when FIEMAP is refused. */
    private static long unwrittenBytes(Path p) throws IOException {
        long size = Files.size(p);
        int maxExtents = 256;
        long unwritten = 0;
        long start = 0;
        try (NativeFile f = NativeFile.open(p, OpenFlag.RDONLY); Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(FIEMAP_HEADER + (long) maxExtents * FIEMAP_EXTENT, 8);
            while (start < size) {
                m.fill((byte) 0);
                m.set(ValueLayout.JAVA_LONG, 0, start);
                m.set(ValueLayout.JAVA_LONG, 8, size - start);
                m.set(ValueLayout.JAVA_INT, 16, 1); // FIEMAP_FLAG_SYNC
                m.set(ValueLayout.JAVA_INT, 24, maxExtents);
                if (Libc.ioctl(f.fd(), FS_IOC_FIEMAP, m) < 0) {
                    return -1;
                }
                int mapped = m.get(ValueLayout.JAVA_INT, 20);
                if (mapped == 0) {
                    break;
                }
                long next = start;
                boolean last = false;
                for (int i = 0; i < mapped; i++) {
                    long e = FIEMAP_HEADER + (long) i * FIEMAP_EXTENT;
                    long logical = m.get(ValueLayout.JAVA_LONG, e);
                    long length = m.get(ValueLayout.JAVA_LONG, e + 16);
                    int flags = m.get(ValueLayout.JAVA_INT, e + 40);
                    if ((flags & FIEMAP_EXTENT_UNWRITTEN) != 0) {
                        unwritten += length;
                    }
                    next = logical + length;
                    last |= (flags & FIEMAP_EXTENT_LAST) != 0;
                }
                if (last) {
                    break;
                }
                start = next;
            }
        }
        return unwritten;
    }
}
