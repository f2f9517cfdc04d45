package io.rawio.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.BlockDevices;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.Mman;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PageCacheTest {
    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    /** Pages of the file in the page cache: mincore(2) of a mapping that was never touched. */
    private static long resident(Path file) throws IOException {
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY); Arena a = Arena.ofConfined()) {
            MemorySegment m = Mman.map(a, f, 0, SIZE, LinuxConstants.PROT_READ, LinuxConstants.MAP_SHARED);
            return Mman.residentPages(m);
        }
    }

    @Test
    void aWrittenFileLeavesTheCacheWhenDropped() throws IOException {
        assumeTrue(BlockDevices.diskOf(dir).isPresent(),
                "the temp directory is not on a block device (tmpfs pages cannot be dropped)");
        Path file = Files.write(dir.resolve("f"), new byte[SIZE]);
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDWR)) {
            f.fsync(); // only clean pages are dropped
        }
        assumeTrue(resident(file) > 0, "the written pages were not cached");
        PageCache.drop(file);
        assertEquals(0, resident(file), "pages still cached after the drop");
    }

    @Test
    void aMissingFileFails() {
        assertThrows(IOException.class, () -> PageCache.drop(dir.resolve("missing")));
    }
}
