package io.rawio.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MmanTest {
    @TempDir
    Path dir;

    @Test
    void sharedMappingWritesReachTheFile() throws IOException {
        Path p = dir.resolve("m");
        try (NativeFile f = NativeFile.open(p, OpenFlag.RDWR, OpenFlag.CREAT)) {
            f.allocate(0, 3 * 4096);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment m = Mman.map(arena, f, 0, 3 * 4096,
                        LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE, LinuxConstants.MAP_SHARED);
                Mman.madvise(m, LinuxConstants.MADV_SEQUENTIAL);
                // madvise widens an unaligned slice to whole pages instead of failing with EINVAL.
                Mman.madvise(m.asSlice(100, 200), LinuxConstants.MADV_WILLNEED);
                m.set(ValueLayout.JAVA_BYTE, 5000, (byte) 42);
                Mman.msync(m, LinuxConstants.MS_SYNC);
                assertTrue(Mman.residentPages(m) >= 1);
            }
        }
        assertEquals(42, Files.readAllBytes(p)[5000]);
    }

    @Test
    void residencySaysWhichPagesAreInMemory() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment anon = Mman.map(arena, null, 0, 8 * 4096,
                    LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE, LinuxConstants.MAP_PRIVATE);
            Mman.madvise(anon, LinuxConstants.MADV_NOHUGEPAGE); // one fault, one page
            anon.set(ValueLayout.JAVA_BYTE, 1 * 4096 + 7, (byte) 1);
            anon.set(ValueLayout.JAVA_BYTE, 6 * 4096, (byte) 1);
            java.util.BitSet r = Mman.residency(anon);
            assertEquals(java.util.BitSet.valueOf(new long[] {(1L << 1) | (1L << 6)}), r);
            assertEquals(2, Mman.residentPages(anon));
            // A slice counts from the page its first byte is in.
            assertEquals(java.util.BitSet.valueOf(new long[] {1L}), Mman.residency(anon.asSlice(4096 + 100, 10)));
        }
    }

    @Test
    void closingTheArenaUnmaps() throws IOException {
        Path p = Files.write(dir.resolve("u"), new byte[4096]);
        MemorySegment m;
        try (NativeFile f = NativeFile.open(p, OpenFlag.RDONLY); Arena arena = Arena.ofConfined()) {
            m = Mman.map(arena, f, 0, 4096, LinuxConstants.PROT_READ, LinuxConstants.MAP_SHARED);
            assertEquals(0, m.get(ValueLayout.JAVA_BYTE, 0));
        }
        MemorySegment gone = m;
        assertThrows(IllegalStateException.class, () -> gone.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void badMadviceFailsWithEinval() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment anon = Mman.map(arena, null, 0, 4096,
                    LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE, LinuxConstants.MAP_PRIVATE);
            NativeIoException e = assertThrows(NativeIoException.class, () -> Mman.madvise(anon, 12345));
            assertEquals(Errno.EINVAL, e.errno());
        } catch (NativeIoException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void mappingTooMuchReportsEnomem() {
        try (Arena arena = Arena.ofConfined()) {
            NativeIoException e = assertThrows(NativeIoException.class, () -> Mman.map(arena, null, 0,
                    1L << 62, LinuxConstants.PROT_READ, LinuxConstants.MAP_PRIVATE));
            assertEquals(Errno.ENOMEM, e.errno());
        }
    }
}
