package io.rawio.net;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.nativeio.Errno;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** A loopback TCP connection: a JDK client channel, and the accepted end as a raw non-blocking descriptor. */
final class LoopbackPair implements AutoCloseable {
    final SocketChannel client;
    final int server;

    private LoopbackPair(SocketChannel client, int server) {
        this.client = client;
        this.server = server;
    }

    /** Connects to a listener made by {@link #listener()} and accepts on it. */
    static LoopbackPair open(int listenFd) throws Exception {
        SocketChannel c = SocketChannel.open(Sockets.localAddress(listenFd));
        int fd;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while ((fd = Sockets.accept4(listenFd, NetConstants.SOCK_NONBLOCK | NetConstants.SOCK_CLOEXEC)) == -Errno.EAGAIN
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(fd >= 0, "accept4: " + fd);
        return new LoopbackPair(c, fd);
    }

    static int listener() throws Exception {
        return Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64, false);
    }

    void send(String s) throws IOException {
        client.write(ByteBuffer.wrap(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    @Override
    public void close() throws IOException {
        client.close();
        Sockets.close(server);
    }
}
