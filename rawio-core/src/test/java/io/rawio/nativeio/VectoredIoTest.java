package io.rawio.nativeio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** read/write and readv/writev advance the file offset; preadv2/pwritev2 take RWF_* flags. */
class VectoredIoTest {
    @TempDir
    Path dir;

    @Test
    void writevGathersPiecesInOrderAndReadvScattersThemBack() throws IOException {
        byte[] data = new byte[3 * 1000 + 17];
        new Random(3).nextBytes(data);
        Path file = dir.resolve("v");
        try (Arena a = Arena.ofConfined(); NativeFile f = NativeFile.open(file, OpenFlag.RDWR, OpenFlag.CREAT)) {
            MemorySegment src = a.allocate(data.length);
            MemorySegment.copy(data, 0, src, ValueLayout.JAVA_BYTE, 0, data.length);
            MemorySegment iov = a.allocate(Iovec.SIZE * 3, 8);
            Iovec.set(iov, 0, src.asSlice(0, 1000), 1000);
            Iovec.set(iov, 1, src.asSlice(1000, 1000), 1000);
            Iovec.set(iov, 2, src.asSlice(2000, 1017), 1017);
            assertEquals(data.length, Libc.writev(f.fd(), iov, 3));
            // A second writev continues at the offset the first one left.
            Iovec.set(iov, 0, src.asSlice(0, 5), 5);
            assertEquals(5, Libc.writev(f.fd(), iov, 1));
            byte[] onDisk = Files.readAllBytes(file);
            assertEquals(data.length + 5, onDisk.length);
            assertArrayEquals(data, Arrays.copyOf(onDisk, data.length));

            try (NativeFile r = NativeFile.open(file, OpenFlag.RDONLY)) {
                MemorySegment dst = a.allocate(data.length);
                Iovec.set(iov, 0, dst.asSlice(0, 17), 17);
                Iovec.set(iov, 1, dst.asSlice(17, 3000), 3000);
                assertEquals(data.length, Libc.readv(r.fd(), iov, 2));
                assertArrayEquals(data, dst.toArray(ValueLayout.JAVA_BYTE));
                MemorySegment tail = a.allocate(16);
                assertEquals(5, Libc.read(r.fd(), tail, 16), "read continues where readv stopped");
                assertEquals(0, Libc.read(r.fd(), tail, 16), "then end of file");
            }
        }
    }

    @Test
    void writeAdvancesTheOffsetAndABadFdIsMinusEbadf() throws IOException {
        Path file = dir.resolve("w");
        try (Arena a = Arena.ofConfined(); NativeFile f = NativeFile.open(file, OpenFlag.RDWR, OpenFlag.CREAT)) {
            MemorySegment b = a.allocate(10).fill((byte) 'x');
            assertEquals(10, Libc.write(f.fd(), b, 10));
            assertEquals(10, Libc.write(f.fd(), b, 10));
            assertEquals(20, Files.size(file));
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(8);
            MemorySegment iov = a.allocate(Iovec.SIZE, 8);
            Iovec.set(iov, 0, b, 8);
            assertEquals(-Errno.EBADF, Libc.read(-1, b, 8));
            assertEquals(-Errno.EBADF, Libc.write(-1, b, 8));
            assertEquals(-Errno.EBADF, Libc.readv(-1, iov, 1));
            assertEquals(-Errno.EBADF, Libc.writev(-1, iov, 1));
        }
    }

    @Test
    void preadv2NowaitReturnsCachedDataAndDsyncWritesArePlainWrites() throws IOException {
        Path file = dir.resolve("n");
        try (Arena a = Arena.ofConfined(); NativeFile f = NativeFile.open(file, OpenFlag.RDWR, OpenFlag.CREAT)) {
            MemorySegment b = a.allocate(4096).fill((byte) 7);
            MemorySegment iov = a.allocate(Iovec.SIZE, 8);
            Iovec.set(iov, 0, b, 4096);
            assertEquals(4096, Libc.pwritev2(f.fd(), iov, 1, 0, LinuxConstants.RWF_DSYNC));
            b.fill((byte) 0);
            // Just written, so in the page cache: RWF_NOWAIT has it without waiting for the device.
            long r = Libc.preadv2(f.fd(), iov, 1, 0, LinuxConstants.RWF_NOWAIT);
            assertTrue(r == 4096 || r == -Errno.EOPNOTSUPP, "r=" + r);
            if (r == 4096) {
                assertEquals(7, b.get(ValueLayout.JAVA_BYTE, 4095));
            }
        }
    }
}
