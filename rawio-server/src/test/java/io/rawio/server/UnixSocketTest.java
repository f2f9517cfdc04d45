package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --unixsocket}: every loop serves a Unix domain socket instead of TCP; a socket file left behind
 * is replaced, any other file refused; the file is gone once the server has closed.
 */
@Timeout(60)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class UnixSocketTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    private static String call(SocketChannel ch, String request, int replyBytes) throws Exception {
        ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer b = ByteBuffer.allocate(replyBytes);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                break;
            }
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    @Test
    void servesAUnixSocketReplacingAStaleOneAndRemovesItAtClose() throws Exception {
        Path sock = dir.resolve("rawio.sock");
        // A socket file a server that died left behind: replaced.
        try (var stale = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(sock));
        }
        assertTrue(Files.exists(sock));
        RunningServer rs = new RunningServer(loop, dir, 32L << 20, 64L << 10, o -> o.withUnixSocket(sock));
        try {
            assertNull(rs.server.address(), "no TCP address");
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                assertEquals("+OK\r\n", call(ch, "SET k hello\r\n", 5));
                assertEquals("$5\r\nhello\r\n", call(ch, "GET k\r\n", 11));
                String list = call(ch, "CLIENT ID\r\n", 4);
                assertTrue(list.startsWith(":"), list);
            }
        } finally {
            rs.close();
        }
        assertFalse(Files.exists(sock), "removed at close");
    }

    @Test
    void aFileThatIsNotASocketIsRefusedAndKept() throws Exception {
        Path file = dir.resolve("data.txt");
        Files.writeString(file, "keep me");
        assertThrows(IllegalArgumentException.class,
                () -> new RunningServer(loop, dir, 32L << 20, 64L << 10, o -> o.withUnixSocket(file)));
        assertEquals("keep me", Files.readString(file));
    }
}
