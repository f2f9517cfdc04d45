package io.rawio.nvme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NvmeTransferLimitTest {

    @Test
    void segmentsLimitBelowTheHardwareLimit() {
        // QEMU's default mdts=7: the queue says 512 KiB, but 127 segments of scattered 4 KiB pages hold less.
        NvmeTransferLimit l = NvmeTransferLimit.of(512, 127, 4096, 512);
        assertEquals(127 * 4096, l.bytes());
        assertTrue(l.source().contains("max_segments=127"), l.source());
    }

    @Test
    void mdtsFiveGives128KiB() {
        assertEquals(128 * 1024, NvmeTransferLimit.of(128, 33, 4096, 4096).bytes());
        assertEquals(128 * 1024, NvmeTransferLimit.ofMdts(5, 4096, 512).bytes());
    }

    @Test
    void theSixteenBitBlockCountCapsALimitlessController() {
        assertEquals(65536 * 512, NvmeTransferLimit.ofMdts(0, 4096, 512).bytes());
        assertEquals(65536 * 4096, NvmeTransferLimit.ofMdts(0, 4096, 4096).bytes());
    }

    @Test
    void aLimitIsWholeBlocksAndAtLeastOne() {
        assertEquals(8192, NvmeTransferLimit.of(10, 1000, 4096, 4096).bytes());
        assertThrows(IllegalArgumentException.class, () -> NvmeTransferLimit.of(2, 1000, 4096, 4096));
    }

    @Test
    void aFourMebibyteWriteAgainst128KiBIsThirtyTwoCommands() {
        NvmeTransferLimit l = NvmeTransferLimit.of(128, 33, 4096, 512);
        long len = 4L << 20;
        assertEquals(32, l.chunks(len));
        assertEquals(128 * 1024, l.chunkLength(len, 31));
        assertEquals(31L * 128 * 1024, l.chunkOffset(31));
        assertEquals(1, l.chunks(512));
        assertEquals(3, l.chunks(2 * 128 * 1024 + 512));
        assertEquals(512, l.chunkLength(2 * 128 * 1024 + 512, 2));
    }

    @Property(tries = 300)
    void chunksCoverTheOperationExactlyAndEachFits(@ForAll @IntRange(min = 1, max = 64) int limitBlocks,
            @ForAll @LongRange(min = 1, max = 1 << 16) long blocks) {
        int lba = 512;
        NvmeTransferLimit l = new NvmeTransferLimit(limitBlocks * lba, "test");
        long len = blocks * lba;
        long covered = 0;
        for (int k = 0; k < l.chunks(len); k++) {
            assertEquals(covered, l.chunkOffset(k));
            int c = l.chunkLength(len, k);
            assertTrue(c > 0 && c <= l.bytes() && c % lba == 0, "chunk " + k + " length " + c);
            covered += c;
        }
        assertEquals(len, covered);
    }

    @Test
    void sysfsQueueLimitsAreRead(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("max_hw_sectors_kb"), "128\n");
        Files.writeString(dir.resolve("max_segments"), "33\n");
        NvmeTransferLimit l = NvmeTransferLimit.fromSysfs(dir, 4096, 512).orElseThrow();
        assertEquals(128 * 1024, l.bytes());
        assertEquals("max_hw_sectors_kb=128", l.source());
        Files.writeString(dir.resolve("max_segments"), "garbage\n");
        assertTrue(NvmeTransferLimit.fromSysfs(dir, 4096, 512).isEmpty());
        assertTrue(NvmeTransferLimit.fromSysfs(dir.resolve("missing"), 4096, 512).isEmpty());
    }
}
