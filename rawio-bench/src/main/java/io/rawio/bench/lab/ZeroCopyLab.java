package io.rawio.bench.lab;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.ResourceUsage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copying a file to a file and to a loopback socket: a read/write loop through a user buffer, against
 * FileChannel.transferTo, sendfile(2), splice(2) through a pipe, and copy_file_range(2). Throughput,
 * CPU per GiB, and how many times the bytes cross into user space.
 */
public final class ZeroCopyLab implements Lab {
    private static final MethodHandle SOCKET = Libc.errnoCall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CONNECT = Libc.errnoCall("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final int AF_INET = 2;
    static final int SOCK_STREAM = 1;

    @Override
    public String name() {
        return "zero-copy";
    }

    @Override
    public String summary() {
        return "file->file and file->socket copies: read/write loop vs transferTo vs sendfile vs splice vs "
                + "copy_file_range: throughput, CPU per GiB, user-space copies";
    }

    private interface Copy {
        long copy(NativeFile in, long size, int outFd, FileChannel inChannel, Object outChannel) throws IOException;
    }

    private record Method(String name, boolean toFile, boolean toSocket, int userCopies, Copy copy) {
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        long size = ctx.quick() ? 32L << 20 : 512L << 20;
        Path src = ctx.workDir().resolve("rawio-lab-zero-copy.src");
        Path dst = ctx.workDir().resolve("rawio-lab-zero-copy.dst");
        try (NativeFile f = NativeFile.open(src, OpenFlag.RDWR, OpenFlag.CREAT); Arena a = Arena.ofConfined()) {
            MemorySegment chunk = AlignedMemory.allocate(a, 1 << 20, 4096);
            for (long i = 0; i < chunk.byteSize(); i += 8) {
                chunk.set(ValueLayout.JAVA_LONG, i, i * 0x9e3779b97f4a7c15L);
            }
            for (long off = 0; off < size; off += chunk.byteSize()) {
                f.writeFully(chunk, off);
            }
            f.fsync();
        }
        List<Method> methods = List.of(
                new Method("read/write loop (1 MiB buffer)", true, true, 2, ZeroCopyLab::readWrite),
                new Method("FileChannel.transferTo", true, true, 0, ZeroCopyLab::transferTo),
                new Method("sendfile", true, true, 0, ZeroCopyLab::sendfile),
                new Method("splice through a pipe", true, true, 0, ZeroCopyLab::splice),
                new Method("copy_file_range", true, false, 0, ZeroCopyLab::copyFileRange));
        LabResult r = new LabResult(name(), "Zero-copy: moving a file's bytes",
                List.of("method", "to", "MiB/s", "CPU ms/GiB", "user-space copies"));
        Map<String, List<double[]>> bars = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        try (Sink sink = new Sink()) {
            int k = 0;
            for (Method m : methods) {
                k++;
                for (boolean socket : new boolean[] {false, true}) {
                    if (socket ? !m.toSocket() : !m.toFile()) {
                        continue;
                    }
                    ctx.say("zero-copy: " + m.name() + (socket ? " -> socket" : " -> file"));
                    Files.deleteIfExists(dst);
                    ResourceUsage u0 = ResourceUsage.process();
                    long t0 = System.nanoTime();
                    long copied;
                    try (NativeFile in = NativeFile.open(src, OpenFlag.RDONLY);
                         FileChannel inCh = FileChannel.open(src, StandardOpenOption.READ)) {
                        if (socket) {
                            long before = sink.received.get();
                            // One connection per copy: the sink serves connections one at a time.
                            if (m.name().startsWith("FileChannel")) {
                                try (SocketChannel ch = SocketChannel.open(sink.address())) {
                                    copied = m.copy().copy(in, size, -1, inCh, ch);
                                }
                            } else {
                                try (Arena a = Arena.ofConfined()) {
                                    int fd = connect(a, sink.address().getPort());
                                    try {
                                        copied = m.copy().copy(in, size, fd, inCh, null);
                                    } finally {
                                        Libc.close(fd);
                                    }
                                }
                            }
                            sink.awaitTotal(before + copied);
                        } else {
                            try (NativeFile out = NativeFile.open(dst, OpenFlag.RDWR, OpenFlag.CREAT, OpenFlag.TRUNC);
                                 FileChannel outCh = FileChannel.open(dst, StandardOpenOption.WRITE)) {
                                copied = m.copy().copy(in, size, out.fd(), inCh, outCh);
                            }
                        }
                    }
                    long nanos = System.nanoTime() - t0;
                    ResourceUsage u = ResourceUsage.process().minus(u0);
                    if (copied != size) {
                        throw new IOException(m.name() + " copied " + copied + " of " + size + " bytes");
                    }
                    if (!socket && Files.size(dst) != size) {
                        throw new IOException(m.name() + " left " + Files.size(dst) + " bytes, not " + size);
                    }
                    double mibs = size / 1048576.0 / (nanos / 1e9);
                    double cpuMsPerGib = u.cpuNs() / 1e6 / (size / (double) (1L << 30));
                    r.row(m.name(), socket ? "socket" : "file", mibs, cpuMsPerGib, m.userCopies());
                    bars.computeIfAbsent(socket ? "to socket" : "to file", x -> new ArrayList<>())
                            .add(new double[] {k, mibs});
                    raw.add(Map.of("method", m.name(), "to", socket ? "socket" : "file", "bytes", copied, "nanos", nanos,
                            "cpu_ns", u.cpuNs(), "user_copies", m.userCopies()));
                }
            }
        } finally {
            Files.deleteIfExists(src);
            Files.deleteIfExists(dst);
        }
        r.finding("The read/write loop moves every byte into the Java process and back out (2 copies through user"
                + " space); transferTo, sendfile, splice and copy_file_range keep them in the kernel (0), which"
                + " shows as less CPU per GiB.");
        r.finding("FileChannel.transferTo uses sendfile or copy_file_range underneath on Linux: the JDK's zero-copy"
                + " path costs about what the system call costs.");
        r.chart(new LabResult.Chart("throughput", "MiB/s by method (1 loop, 2 transferTo, 3 sendfile, 4 splice,"
                + " 5 copy_file_range)", "method", "MiB/s", false, bars));
        r.raw("results", raw);
        r.raw("bytes", size);
        return r;
    }

    /** A loopback TCP server that reads and discards, counting bytes. */
    private static final class Sink implements AutoCloseable {
        final ServerSocketChannel server = ServerSocketChannel.open();
        final AtomicLong received = new AtomicLong();
        final Thread thread;

        Sink() throws IOException {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            thread = Thread.ofPlatform().daemon().start(() -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
                while (server.isOpen()) {
                    try (SocketChannel c = server.accept()) {
                        int n;
                        while ((n = c.read(buf.clear())) >= 0) {
                            received.addAndGet(n);
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) server.getLocalAddress();
        }

        void awaitTotal(long total) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (received.get() < total && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** A raw TCP socket connected to 127.0.0.1:port, for the system calls that need a descriptor. */
    private static int connect(Arena a, int port) throws IOException {
        try {
            MemorySegment cap = Libc.captureState();
            int fd = (int) SOCKET.invokeExact(cap, AF_INET, SOCK_STREAM, 0);
            if (fd < 0) {
                throw new NativeIoException("socket", Libc.errno(cap), null);
            }
            // struct sockaddr_in: family (host order), port and address in network byte order.
            MemorySegment sa = a.allocate(16, 4);
            sa.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            sa.set(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) port);
            sa.set(ValueLayout.JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN), 4, 0x7f000001);
            int r = (int) CONNECT.invokeExact(cap, fd, sa, 16);
            if (r < 0) {
                int e = Libc.errno(cap);
                Libc.close(fd);
                throw new NativeIoException("connect", e, "127.0.0.1:" + port);
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static long readWrite(NativeFile in, long size, int outFd, FileChannel inCh, Object outCh) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(a, 1 << 20, 4096);
            // A socket has no offset: it is written with pwritev2 at offset -1, which is write(2).
            // Which one it is is known before the loop, so no call fails with ESPIPE inside it.
            boolean socket = outCh == null;
            MemorySegment iov = a.allocate(16, 8);
            long done = 0;
            while (done < size) {
                long n = in.readFully(buf.asSlice(0, Math.min(buf.byteSize(), size - done)), done);
                if (!socket) {
                    long r = NativeFile.transferFully(true, outFd, buf.asSlice(0, n), done, null);
                    if (r < 0) {
                        throw new NativeIoException("pwrite", (int) -r, null, outFd, done, n, null);
                    }
                    done += n;
                    continue;
                }
                long w = 0;
                while (w < n) {
                    io.rawio.nativeio.Iovec.set(iov, 0, buf.address() + w, n - w);
                    long r = Libc.pwritev2(outFd, iov, 1, -1, 0);
                    if (r == -io.rawio.nativeio.Errno.EINTR) {
                        continue;
                    }
                    if (r < 0) {
                        throw new NativeIoException("write", (int) -r, null, outFd, done + w, n - w, null);
                    }
                    w += r;
                }
                done += n;
            }
            return done;
        }
    }

    private static long transferTo(NativeFile in, long size, int outFd, FileChannel inCh, Object outCh) throws IOException {
        long done = 0;
        while (done < size) {
            done += inCh.transferTo(done, size - done, (java.nio.channels.WritableByteChannel) outCh);
        }
        return done;
    }

    private static long sendfile(NativeFile in, long size, int outFd, FileChannel inCh, Object outCh) throws IOException {
        long done = 0;
        while (done < size) {
            long n = in.sendfile(outFd, done, size - done);
            if (n == 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    private static long splice(NativeFile in, long size, int outFd, FileChannel inCh, Object outCh) throws IOException {
        int[] pipe = NativeFile.pipe();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment off = a.allocateFrom(ValueLayout.JAVA_LONG, 0L);
            long done = 0;
            while (done < size) {
                long n = Libc.splice(in.fd(), off, pipe[1], MemorySegment.NULL, Math.min(1 << 16, size - done),
                        LinuxConstants.SPLICE_F_MOVE);
                if (n <= 0) {
                    if (n < 0) {
                        throw new NativeIoException("splice", (int) -n, in.path().toString());
                    }
                    break;
                }
                long moved = 0;
                while (moved < n) {
                    long m = Libc.splice(pipe[0], MemorySegment.NULL, outFd, MemorySegment.NULL, n - moved,
                            LinuxConstants.SPLICE_F_MOVE);
                    if (m < 0) {
                        throw new NativeIoException("splice", (int) -m, null, outFd, done, n - moved, null);
                    }
                    moved += m;
                }
                done += n;
            }
            return done;
        } finally {
            Libc.close(pipe[0]);
            Libc.close(pipe[1]);
        }
    }

    private static long copyFileRange(NativeFile in, long size, int outFd, FileChannel inCh, Object outCh)
            throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment offIn = a.allocateFrom(ValueLayout.JAVA_LONG, 0L);
            MemorySegment offOut = a.allocateFrom(ValueLayout.JAVA_LONG, 0L);
            long done = 0;
            while (done < size) {
                long n = Libc.copyFileRange(in.fd(), offIn, outFd, offOut, size - done, 0);
                if (n < 0) {
                    throw new NativeIoException("copy_file_range", (int) -n, in.path().toString());
                }
                if (n == 0) {
                    break;
                }
                done += n;
            }
            return done;
        }
    }
}
