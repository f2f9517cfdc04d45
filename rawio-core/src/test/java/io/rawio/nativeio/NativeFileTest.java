package io.rawio.nativeio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.testing.Root;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeFileTest {
    @TempDir
    Path dir;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void openMissingFileNamesPathAndErrno() {
        Path missing = dir.resolve("nope");
        NativeIoException e = assertThrows(NativeIoException.class, () -> NativeFile.open(missing, OpenFlag.RDONLY));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("open", e.op());
        assertEquals("open failed: ENOENT (No such file or directory) path=" + missing, e.getMessage());
    }

    @Test
    void exclusiveCreateOfAnExistingFileSaysSo() throws IOException {
        Path p = Files.createFile(dir.resolve("x"));
        NativeIoException e = assertThrows(NativeIoException.class,
                () -> NativeFile.open(p, OpenFlag.RDWR, OpenFlag.CREAT, OpenFlag.EXCL));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("hint=the file exists"), e.getMessage());
    }

    @Test
    void writeReadRoundTripAndSize() throws IOException {
        byte[] data = random(10_000, 1);
        try (Arena arena = Arena.ofConfined();
             NativeFile f = NativeFile.open(dir.resolve("rw"), OpenFlag.RDWR, OpenFlag.CREAT)) {
            MemorySegment out = arena.allocateFrom(ValueLayout.JAVA_BYTE, data);
            f.writeFully(out, 100);
            f.fdatasync();
            f.fsync();
            assertEquals(10_100, f.size());
            MemorySegment in = arena.allocate(20_000);
            assertEquals(10_000, f.readFully(in, 100), "read stops at end of file");
            assertArrayEquals(data, in.asSlice(0, 10_000).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void openatResolvesRelativeToADirectory() throws IOException {
        Files.write(dir.resolve("rel"), new byte[] {1, 2, 3});
        try (NativeFile d = NativeFile.open(dir, OpenFlag.RDONLY, OpenFlag.DIRECTORY); Arena arena = Arena.ofConfined()) {
            int fd = Libc.openat(d.fd(), arena.allocateFrom("rel"), OpenFlag.RDONLY.bits(), 0);
            assertTrue(fd >= 0, Errno.name(-fd));
            MemorySegment buf = arena.allocate(3);
            assertEquals(3, Libc.pread(fd, buf, 3, 0));
            assertEquals(0, Libc.close(fd));
            assertEquals(-Errno.ENOENT, Libc.openat(d.fd(), arena.allocateFrom("nope"), OpenFlag.RDONLY.bits(), 0));
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseFails() throws IOException {
        NativeFile f = NativeFile.open(dir.resolve("c"), OpenFlag.RDWR, OpenFlag.CREAT);
        f.close();
        f.close();
        assertTrue(f.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, f::fd);
        assertTrue(e.getMessage().contains("closed"));
        assertThrows(IllegalStateException.class, f::fsync);
    }

    @Test
    void rawCallsOnABadFdReturnMinusEbadf() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(16);
            assertEquals(-Errno.EBADF, Libc.pread(-1, buf, 16, 0));
            assertEquals(-Errno.EBADF, Libc.pwrite(987_654, buf, 16, 0));
            assertEquals(-Errno.EBADF, Libc.fsync(-1));
            assertEquals(-Errno.EBADF, Libc.close(-1));
        }
    }

    @Test
    void errnoIsPerThread() throws Exception {
        // A failure on one thread must not leak its errno into another thread's successful call.
        Path p = Files.write(dir.resolve("t"), new byte[64]);
        try (NativeFile f = NativeFile.open(p, OpenFlag.RDONLY); Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(64);
            Thread bad = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    Libc.pread(-1, buf, 1, 0);
                }
            });
            for (int i = 0; i < 10_000; i++) {
                assertEquals(64, Libc.pread(f.fd(), buf, 64, 0));
            }
            bad.join();
        }
    }

    @Test
    void statxReportsSizeTypeAndDirectIoAlignment() throws IOException {
        Path p = Files.write(dir.resolve("s"), new byte[12345]);
        Statx st = Statx.of(p);
        assertEquals(12345, st.size());
        assertTrue(st.isRegularFile());
        assertFalse(st.isBlockDevice());
        assertTrue(Statx.of(dir).isDirectory());
        try (NativeFile f = NativeFile.open(p, OpenFlag.RDONLY)) {
            Alignment a = f.alignment();
            assertTrue(a.memory() >= 1 && a.offset() >= 1);
            if (st.hasDioAlign() && st.dioOffsetAlign() > 0) {
                assertEquals(st.dioOffsetAlign(), a.offset());
                assertEquals("statx STATX_DIOALIGN", a.source());
            }
        }
    }

    @Test
    void fallocatePunchHoleAndTruncate() throws IOException {
        Path p = dir.resolve("holes");
        try (Arena arena = Arena.ofConfined(); NativeFile f = NativeFile.open(p, OpenFlag.RDWR, OpenFlag.CREAT)) {
            f.allocate(0, 1 << 20);
            assertEquals(1 << 20, f.size());
            assertTrue(f.statx().blocks() * 512 >= 1 << 20, "blocks allocated");
            MemorySegment ones = arena.allocate(8192).fill((byte) 1);
            f.writeFully(ones, 0);
            try {
                f.punchHole(0, 4096);
            } catch (NativeIoException e) {
                assumeTrue(e.errno() != Errno.EOPNOTSUPP, "filesystem without punch hole");
                throw e;
            }
            MemorySegment back = arena.allocate(8192);
            f.readFully(back, 0);
            assertEquals(0, back.get(ValueLayout.JAVA_BYTE, 0), "punched range reads as zeros");
            assertEquals(1, back.get(ValueLayout.JAVA_BYTE, 4096), "the rest is kept");
            assertEquals(1 << 20, f.size(), "punching keeps the size");
            f.truncate(100);
            assertEquals(100, f.size());
            f.fadvise(0, 0, LinuxConstants.POSIX_FADV_DONTNEED);
            f.syncFileRange(0, 100, LinuxConstants.SYNC_FILE_RANGE_WRITE);
        }
    }

    @Test
    void fadviseWithABadAdviceFails() throws IOException {
        try (NativeFile f = NativeFile.open(dir.resolve("a"), OpenFlag.RDWR, OpenFlag.CREAT)) {
            NativeIoException e = assertThrows(NativeIoException.class, () -> f.fadvise(0, 0, 999));
            assertEquals(Errno.EINVAL, e.errno());
        }
    }

    @Test
    void flockIsExclusiveBetweenOpenFileDescriptions() throws IOException {
        Path p = Files.createFile(dir.resolve("lock"));
        try (NativeFile a = NativeFile.open(p, OpenFlag.RDWR); NativeFile b = NativeFile.open(p, OpenFlag.RDWR)) {
            assertTrue(a.flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB));
            assertFalse(b.flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB), "second holder refused");
            a.flock(LinuxConstants.LOCK_UN);
            assertTrue(b.flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB));
        }
    }

    @Test
    void copyFileRangeSendfileAndSplice() throws IOException {
        byte[] data = random(100_000, 9);
        Path src = Files.write(dir.resolve("src"), data);
        try (NativeFile in = NativeFile.open(src, OpenFlag.RDONLY);
             NativeFile out = NativeFile.open(dir.resolve("cfr"), OpenFlag.RDWR, OpenFlag.CREAT);
             NativeFile out2 = NativeFile.open(dir.resolve("sf"), OpenFlag.RDWR, OpenFlag.CREAT)) {
            long copied = 0;
            while (copied < data.length) {
                long n = in.copyFileRange(copied, out, copied, data.length - copied);
                assertTrue(n > 0);
                copied += n;
            }
            assertArrayEquals(data, Files.readAllBytes(dir.resolve("cfr")));

            long sent = 0;
            while (sent < data.length) {
                sent += in.sendfile(out2.fd(), sent, data.length - sent);
            }
            assertArrayEquals(data, Files.readAllBytes(dir.resolve("sf")));

            // splice: file -> pipe -> file, with no copy through user space.
            int[] pipe = NativeFile.pipe();
            try (Arena arena = Arena.ofConfined();
                 NativeFile out3 = NativeFile.open(dir.resolve("sp"), OpenFlag.RDWR, OpenFlag.CREAT)) {
                MemorySegment inOff = arena.allocateFrom(ValueLayout.JAVA_LONG, 0L);
                MemorySegment outOff = arena.allocateFrom(ValueLayout.JAVA_LONG, 0L);
                assertEquals(4096, Libc.splice(in.fd(), inOff, pipe[1], MemorySegment.NULL, 4096, 0));
                assertEquals(4096, Libc.splice(pipe[0], MemorySegment.NULL, out3.fd(), outOff, 4096, 0));
                assertEquals(4096, inOff.get(ValueLayout.JAVA_LONG, 0), "the kernel advanced the offset");
            } finally {
                Libc.close(pipe[0]);
                Libc.close(pipe[1]);
            }
            assertArrayEquals(java.util.Arrays.copyOf(data, 4096), Files.readAllBytes(dir.resolve("sp")));
        }
    }

    @Test
    void getrusageCountsCpuTime() {
        ResourceUsage before = ResourceUsage.thread();
        long x = 0;
        for (int i = 0; i < 50_000_000; i++) {
            x += i ^ (x >>> 3);
        }
        ResourceUsage delta = ResourceUsage.thread().minus(before);
        assertNotEquals(0, x);
        assertTrue(delta.cpuNs() > 0, "cpu time advanced: " + delta);
        assertTrue(ResourceUsage.process().cpuNs() >= delta.cpuNs());
    }

    @Test
    void unameNamesTheKernel() {
        Uname u = Uname.get();
        assertEquals("Linux", u.sysname());
        assertTrue(u.kernelVersion()[0] >= 5, u.release());
    }

    @Test
    void blockDeviceIoctlsOnALoopDevice() throws IOException {
        assumeTrue(Root.isRoot(), "needs root to attach a loop device");
        Path img = dir.resolve("disk.img");
        try (NativeFile f = NativeFile.open(img, OpenFlag.RDWR, OpenFlag.CREAT)) {
            f.truncate(8L << 20);
        }
        String dev = Root.output("losetup", "-f", "--show", img.toString());
        assumeTrue(dev != null && dev.startsWith("/dev/loop"), "losetup could not attach a loop device");
        try (NativeFile d = NativeFile.open(Path.of(dev), OpenFlag.RDWR)) {
            assertTrue(d.statx().isBlockDevice());
            assertEquals(8L << 20, BlockDevices.sizeBytes(d));
            assertEquals(8L << 20, d.size());
            int lbs = BlockDevices.logicalBlockSize(d);
            assertTrue(lbs == 512 || lbs == 4096, "logical block size " + lbs);
            assertTrue(BlockDevices.physicalBlockSize(d) >= lbs);
            assertTrue(BlockDevices.diskOf(Path.of(dev)).orElseThrow().startsWith("loop"));
        } finally {
            Root.run("losetup", "-d", dev);
        }
    }

    @Test
    void blockIoctlOnARegularFileSaysNotABlockDevice() throws IOException {
        try (NativeFile f = NativeFile.open(dir.resolve("r"), OpenFlag.RDWR, OpenFlag.CREAT)) {
            NativeIoException e = assertThrows(NativeIoException.class, () -> BlockDevices.sizeBytes(f));
            assertEquals(Errno.ENOTTY, e.errno());
            assertTrue(e.getMessage().contains("BLKGETSIZE64"));
        }
    }
}
