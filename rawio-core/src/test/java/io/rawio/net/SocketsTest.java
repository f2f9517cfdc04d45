package io.rawio.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Sockets and epoll on loopback: a tiny event loop answers a JDK client, over TCP (v4, v6) and a Unix socket. */
@Timeout(30)
class SocketsTest {
    @TempDir
    Path dir;

    /** One connection: accept when the listener is ready, read "PING\r\n" edge-triggered, answer "+PONG\r\n". */
    private static void serveOne(int listenFd) throws Exception {
        try (Epoll ep = new Epoll(8); Arena a = Arena.ofConfined()) {
            assertEquals(0, ep.add(listenFd, NetConstants.EPOLLIN, 1));
            MemorySegment buf = a.allocate(64);
            StringBuilder got = new StringBuilder();
            int conn = -1;
            while (!got.toString().endsWith("\r\n")) {
                int n = ep.await(10_000);
                assertTrue(n > 0, "ready within 10 s: " + n);
                for (int i = 0; i < n; i++) {
                    if (ep.token(i) == 1) {
                        conn = Sockets.accept4(listenFd, NetConstants.SOCK_NONBLOCK | NetConstants.SOCK_CLOEXEC);
                        assertTrue(conn >= 0, "accept4: " + conn);
                        assertEquals(0, ep.add(conn, NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLET, 2));
                    } else {
                        assertEquals(2, ep.token(i));
                        assertTrue((ep.events(i) & NetConstants.EPOLLIN) != 0);
                        long r;
                        // Edge-triggered: read until the socket has nothing more.
                        while ((r = Sockets.recv(conn, buf, buf.byteSize(), 0)) > 0) {
                            got.append(new String(buf.asSlice(0, r).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
                        }
                        assertEquals(-Errno.EAGAIN, r, "drained");
                    }
                }
            }
            assertEquals("PING\r\n", got.toString());
            byte[] pong = "+PONG\r\n".getBytes(StandardCharsets.US_ASCII);
            MemorySegment out = a.allocate(pong.length);
            out.copyFrom(MemorySegment.ofArray(pong));
            assertEquals(pong.length, Sockets.send(conn, out, pong.length, 0));
            assertEquals(0, Sockets.shutdown(conn, NetConstants.SHUT_WR));
            assertEquals(0, ep.remove(conn));
            Sockets.close(conn);
        }
    }

    private static String pingOverTcp(InetSocketAddress at) throws Exception {
        try (Socket s = new Socket(at.getAddress(), at.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            o.write("PI".getBytes(StandardCharsets.US_ASCII)); // in two pieces: the loop reads until CRLF
            o.flush();
            Thread.sleep(20);
            o.write("NG\r\n".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** A JDK client pings {@code at} on a thread of its own while this thread serves {@code fd}; its answer. */
    private static String pingWhileServing(int fd, InetSocketAddress at) throws Exception {
        CompletableFuture<String> client = CompletableFuture.supplyAsync(() -> {
            try {
                return pingOverTcp(at);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
        serveOne(fd);
        return client.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aTcpLoopOnLoopbackAnswersAClient() throws Exception {
        int fd = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16, false);
        try {
            InetSocketAddress at = Sockets.localAddress(fd);
            assertTrue(at.getPort() > 0 && at.getAddress().isLoopbackAddress(), at.toString());
            assertEquals("+PONG\r\n", pingWhileServing(fd, at));
        } finally {
            Sockets.close(fd);
        }
    }

    @Test
    void ipv6LoopbackToo() throws Exception {
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 0);
        int fd;
        try {
            fd = Sockets.listenTcp(v6, 16, true);
        } catch (NativeIoException e) {
            assumeTrue(false, "no IPv6 loopback here: " + e.getMessage());
            return;
        }
        try {
            InetSocketAddress at = Sockets.localAddress(fd);
            assertEquals(InetAddress.getByName("::1"), at.getAddress());
            assertEquals("+PONG\r\n", pingWhileServing(fd, at));
        } finally {
            Sockets.close(fd);
        }
    }

    @Test
    void aUnixDomainSocket() throws Exception {
        Path path = dir.resolve("s.sock");
        int fd = Sockets.listenUnix(path, 16);
        try {
            CompletableFuture<String> client = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(path));
                    ch.write(ByteBuffer.wrap("PING\r\n".getBytes(StandardCharsets.US_ASCII)));
                    ByteBuffer in = ByteBuffer.allocate(64);
                    while (ch.read(in) >= 0) {
                        // until the server shuts its side
                    }
                    return new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().daemon().start(r));
            serveOne(fd);
            assertEquals("+PONG\r\n", client.get(10, TimeUnit.SECONDS));
        } finally {
            Sockets.close(fd);
        }
    }

    @Test
    void aPortInUseIsOneClearError() throws Exception {
        int fd = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4, false);
        try {
            assertEquals(-Errno.EAGAIN, Sockets.accept4(fd, NetConstants.SOCK_NONBLOCK), "nobody waiting: not blocked");
            InetSocketAddress at = Sockets.localAddress(fd);
            NativeIoException e = assertThrows(NativeIoException.class, () -> Sockets.listenTcp(at, 4, false));
            assertTrue(e.getMessage().contains("bind") && e.getMessage().contains("EADDRINUSE"), e.getMessage());
        } finally {
            Sockets.close(fd);
        }
        assertThrows(IllegalArgumentException.class,
                () -> Sockets.listenUnix(dir.resolve("x".repeat(120)), 1), "a Unix path too long");
    }

    /** A peer that has gone: recv sees 0 (end of stream), and send fails with EPIPE, never SIGPIPE. */
    @Test
    void aClosedPeerIsEndOfStreamAndEpipeNotASignal() throws Exception {
        int fd = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4, false);
        try (Arena a = Arena.ofConfined()) {
            InetSocketAddress at = Sockets.localAddress(fd);
            new Socket(at.getAddress(), at.getPort()).close();
            int conn;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((conn = Sockets.accept4(fd, 0)) == -Errno.EAGAIN && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(conn >= 0, "accepted: " + conn);
            MemorySegment buf = a.allocate(1 << 16);
            assertEquals(0, Sockets.recv(conn, buf, 16, 0), "end of stream");
            long r = 0;
            for (int i = 0; i < 100 && r >= 0; i++) {
                r = Sockets.send(conn, buf, buf.byteSize(), 0);
            }
            assertTrue(r == -Errno.EPIPE || r == -Errno.ECONNRESET, "send to a gone peer: " + r);
            Sockets.close(conn);
        } finally {
            Sockets.close(fd);
        }
    }

    @Test
    void epollEventLayoutOfThisArchitecture() {
        String arch = io.rawio.nativeio.ArchConstants.current().arch();
        assertEquals(arch.equals("x86_64") ? 12 : 16, EpollEventDescriptor.SIZE);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(EpollEventDescriptor.SIZE * 2L, 8);
            EpollEventDescriptor.set(ev, 1, NetConstants.EPOLLIN, 0x1122334455667788L);
            assertEquals(NetConstants.EPOLLIN, EpollEventDescriptor.events(ev, 1));
            assertEquals(0x1122334455667788L, EpollEventDescriptor.data(ev, 1));
        }
    }
}
