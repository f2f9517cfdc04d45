package io.rawio.uring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UringOpsTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void available() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    private static Map<Long, Integer> run(IoUring ring, int n) {
        Map<Long, Integer> out = new HashMap<>();
        while (out.size() < n) {
            ring.submitAndWait(n - out.size());
            ring.reap((u, res, f) -> out.put(u, res));
        }
        return out;
    }

    @Test
    void openatFallocateStatxCloseThroughTheRing() throws Exception {
        try (IoUring ring = IoUring.create(IoUring.Setup.of(8).plain()); Arena a = Arena.ofConfined()) {
            MemorySegment path = a.allocateFrom(dir.resolve("made-by-uring").toString());
            UringOps.openat(ring.sqeArray(), ring.nextSqeOffset(), Libc.AT_FDCWD, path,
                    OpenFlag.bits(java.util.Set.of(OpenFlag.RDWR, OpenFlag.CREAT)), 0644, 1);
            int fd = run(ring, 1).get(1L);
            assertTrue(fd >= 0, "openat: " + Errno.name(-fd));
            // the fallocate's own SQE gets the link flag (asking for another SQE here would submit a
            // stray one between the two, and the statx would not be linked to the fallocate)
            long fallocateSqe = ring.nextSqeOffset();
            UringOps.fallocate(ring.sqeArray(), fallocateSqe, fd, 0, 0, 1 << 20, 2);
            UringOps.link(ring.sqeArray(), fallocateSqe);
            MemorySegment stx = a.allocate(256, 8);
            UringOps.statx(ring.sqeArray(), ring.nextSqeOffset(), Libc.AT_FDCWD, path, 0,
                    LinuxConstants.STATX_BASIC_STATS, stx, 3);
            Map<Long, Integer> r = run(ring, 2);
            assertEquals(0, r.get(2L), "fallocate");
            assertEquals(0, r.get(3L), "statx");
            assertEquals(1 << 20, stx.get(ValueLayout.JAVA_LONG, 40), "stx_size after the linked fallocate");
            UringOps.close(ring.sqeArray(), ring.nextSqeOffset(), fd, 4);
            assertEquals(0, run(ring, 1).get(4L));
            assertEquals(-Errno.EBADF, Libc.close(fd), "the ring closed it");
        }
    }

    @Test
    void spliceFromAFileIntoAPipe() throws Exception {
        byte[] data = new byte[8192];
        new java.util.Random(3).nextBytes(data);
        Path src = Files.write(dir.resolve("src"), data);
        int[] pipe = NativeFile.pipe();
        try (IoUring ring = IoUring.create(IoUring.Setup.of(4).plain());
             NativeFile in = NativeFile.open(src, OpenFlag.RDONLY);
             NativeFile out = NativeFile.open(dir.resolve("dst"), OpenFlag.RDWR, OpenFlag.CREAT)) {
            UringOps.splice(ring.sqeArray(), ring.nextSqeOffset(), in.fd(), 0, pipe[1], -1, 4096, 0, 1);
            assertEquals(4096, run(ring, 1).get(1L));
            UringOps.splice(ring.sqeArray(), ring.nextSqeOffset(), pipe[0], -1, out.fd(), 0, 4096, 0, 2);
            assertEquals(4096, run(ring, 1).get(2L));
        } finally {
            Libc.close(pipe[0]);
            Libc.close(pipe[1]);
        }
        assertArrayEquals(java.util.Arrays.copyOf(data, 4096), Files.readAllBytes(dir.resolve("dst")));
    }

    @Test
    void anOpenatThatFailsReportsErrno() throws Exception {
        try (IoUring ring = IoUring.create(IoUring.Setup.of(2).plain()); Arena a = Arena.ofConfined()) {
            UringOps.openat(ring.sqeArray(), ring.nextSqeOffset(), Libc.AT_FDCWD,
                    a.allocateFrom(dir.resolve("missing/x").toString()), 0, 0, 9);
            assertEquals(-Errno.ENOENT, run(ring, 1).get(9L));
        }
    }
}
