package io.rawio.uring;

import static io.rawio.uring.IoUringConstants.IORING_OP_READ_FIXED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sparse table of registered buffers filled one slot at a time: a READ_FIXED into a slot lands in the
 * memory added there; a slot emptied again is refused by READ_FIXED and taken by the next add; a full
 * table says so. Skipped, saying why, before Linux 5.19.
 */
class SparseBufferTableTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void available() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    private static SparseBufferTable table(IoUring ring, int slots) throws NativeIoException {
        try {
            return new SparseBufferTable(ring, slots);
        } catch (NativeIoException e) {
            assumeTrue(e.errno() != Errno.EINVAL, "no sparse buffer table (Linux 5.19): " + e.getMessage());
            throw e;
        }
    }

    /** A READ_FIXED of 4 KiB at {@code offset} into {@code buf} (slot {@code slot}); its result. */
    private static int readFixed(IoUring ring, int fd, MemorySegment buf, long offset, int slot) {
        long at = ring.nextSqeOffset();
        SqeDescriptor.prep(ring.sqeArray(), at, IORING_OP_READ_FIXED, fd, buf.address(), 4096, offset, 1);
        SqeDescriptor.bufIndex(ring.sqeArray(), at, (short) slot);
        int[] res = new int[1];
        int got = 0;
        while (got == 0) {
            ring.submitAndWait(1);
            got = ring.reap((u, r, f) -> res[0] = r);
        }
        return res[0];
    }

    @Test
    void slotsAreFilledReadIntoAndEmptiedOneAtATime() throws Exception {
        Path p = dir.resolve("f");
        byte[] data = new byte[8192];
        new Random(7).nextBytes(data);
        Files.write(p, data);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(8)); Arena a = Arena.ofConfined();
                NativeFile f = NativeFile.open(p, OpenFlag.RDONLY);
                SparseBufferTable t = table(ring, 2)) {
            MemorySegment first = a.allocate(4096, 4096);
            MemorySegment second = a.allocate(4096, 4096);
            assertEquals(0, t.add(first));
            assertEquals(1, t.add(second));
            assertEquals(-1, t.add(a.allocate(4096, 4096)), "every slot taken");
            assertEquals(4096, readFixed(ring, f.fd(), second, 4096, 1));
            assertEquals(-1, MemorySegment.mismatch(second, 0, 4096, MemorySegment.ofArray(data), 4096, 8192),
                    "the file's second block, in slot 1's memory");
            t.remove(1);
            assertEquals(-Errno.EFAULT, readFixed(ring, f.fd(), second, 0, 1), "an empty slot");
            assertEquals(4096, readFixed(ring, f.fd(), first, 0, 0), "the other slot is still there");
            assertEquals(1, t.freeSlots());
            assertEquals(1, t.add(second), "the emptied slot is taken again");
        }
    }

    @Test
    void aSecondTableOnTheSameRingIsRefused() throws Exception {
        try (IoUring ring = IoUring.create(IoUring.Setup.of(8)); SparseBufferTable t = table(ring, 4)) {
            NativeIoException e = assertThrows(NativeIoException.class, () -> new SparseBufferTable(ring, 4));
            assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
            assertEquals(4, t.freeSlots());
        }
    }
}
