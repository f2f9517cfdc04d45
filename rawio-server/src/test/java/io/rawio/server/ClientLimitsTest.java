package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.SlotClasses;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What one client cannot do to the others, on every loop: headers announcing huge bulks before AUTH do
 * not make the server reserve them (nor stop it); huge replies to one client do not drop the others in
 * its round; a client past the query limit is closed even with requests held; CLIENT KILL closes a
 * client that does not read; a client slowly reading a large reply is not idle.
 */
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClientLimitsTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads until EOF; returns the bytes read, or throws SocketTimeoutException when the server never closes. */
    private static long readToEof(Socket s, int timeoutMs) throws Exception {
        s.setSoTimeout(timeoutMs);
        InputStream in = s.getInputStream();
        byte[] b = new byte[1 << 16];
        long total = 0;
        while (true) {
            int n;
            try {
                n = in.read(b);
            } catch (java.net.SocketException reset) {
                return total;
            }
            if (n < 0) {
                return total;
            }
            total += n;
        }
    }

    /**
     * Finding: unauthenticated clients (requirepass set) each send a bulk header and one byte; the loop
     * reserves the declared length per connection and an OutOfMemoryError thrown outside passes() ends
     * the event loop: nobody is served any more.
     */
    @Test
    void unauthenticatedBulkHeadersDoNotStopTheLoop() throws Exception {
        assumeTrue(!loop.equals("threads"), "the threads loop loses only the connection");
        try (RunningServer rs = new RunningServer(loop, dir, 64L << 20,
                SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)), 256L << 20,
                o -> o.withPassword(ascii("secret")))) {
            List<Socket> attackers = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket s = new Socket(rs.server.address().getAddress(), rs.server.address().getPort());
                    s.getOutputStream().write(ascii("*1\r\n$268435456\r\n"));
                    attackers.add(s);
                }
                Thread.sleep(300);
                for (Socket s : attackers) {
                    s.getOutputStream().write(ascii("x"));
                }
                Thread.sleep(1000);
                try (RespClient c = new RespClient(rs.server.address())) {
                    assertEquals("-NOAUTH Authentication required.\r\n", c.call("PING"));
                }
            } finally {
                for (Socket s : attackers) {
                    s.close();
                }
            }
        }
    }

    /**
     * Finding: a connection that passes the query limit while parsed requests wait behind unsent replies
     * is marked closing with those requests still pending: done() never becomes true, it is never closed.
     */
    @Test
    void aConnectionPastTheQueryLimitWithHeldRequestsIsClosed() throws Exception {
        assumeTrue(!loop.equals("threads"), "the threads loop does not read while its send blocks");
        try (RunningServer rs = new RunningServer(loop, dir, 64L << 20,
                SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)), 1L << 20,
                o -> new ServerOptions(o.bind(), o.maxClients(), o.maxBulk(), 2L << 20))) {
            byte[] big = new byte[200_000];
            new Random(1).nextBytes(big);
            rs.store.put(ascii("big"), big);
            try (Socket s = new Socket(rs.server.address().getAddress(), rs.server.address().getPort())) {
                OutputStream o = s.getOutputStream();
                ByteArrayOutputStream first = new ByteArrayOutputStream();
                for (int i = 0; i < 40; i++) {
                    first.writeBytes(ascii("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"));
                }
                for (int i = 0; i < 20; i++) {
                    first.writeBytes(ascii("*1\r\n$4\r\nPING\r\n")); // parsed, held behind 8 MB of replies
                }
                o.write(first.toByteArray());
                o.flush();
                Thread.sleep(500);
                byte[] flood = ascii("PING\r\n".repeat(500_000)); // 3 MB: past the 2 MB query limit
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        o.write(flood);
                        o.flush();
                    } catch (Exception ignored) {
                        // closed by the server: fine
                    }
                });
                Thread.sleep(1000);
                try {
                    long got = readToEof(s, 10_000);
                    assertTrue(got > 0);
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the server neither closed the connection nor answered: it hangs", e);
                }
                writer.join(10_000);
            }
        }
    }

    /**
     * Finding: the idle timeout counts only received bytes; a client reading a large reply slowly (for
     * longer than the timeout) is cut off mid-reply. Redis updates lastinteraction on writes too.
     */
    @Test
    void aClientReadingALargeReplyIsNotIdle() throws Exception {
        try (RunningServer rs = new RunningServer(loop, dir, 64L << 20,
                SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)), 1L << 20, o -> o.withIdleTimeoutMs(1000))) {
            byte[] big = new byte[200_000];
            new Random(1).nextBytes(big);
            rs.store.put(ascii("big"), big);
            try (Socket s = new Socket(rs.server.address().getAddress(), rs.server.address().getPort())) {
                s.setReceiveBufferSize(16 * 1024);
                s.setSoTimeout(10_000);
                ByteArrayOutputStream req = new ByteArrayOutputStream();
                int gets = 60;
                for (int i = 0; i < gets; i++) {
                    req.writeBytes(ascii("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"));
                }
                s.getOutputStream().write(req.toByteArray());
                s.getOutputStream().flush();
                long want = (long) gets * (big.length + ("$" + big.length + "\r\n\r\n").length());
                InputStream in = s.getInputStream();
                byte[] b = new byte[64 * 1024];
                long total = 0;
                while (total < want) {
                    int n = in.read(b);
                    if (n < 0) {
                        throw new AssertionError("loop " + loop + ": closed after " + total + " of " + want + " reply bytes");
                    }
                    total += n;
                    Thread.sleep(20); // ~3 MB/s: the 12 MB take about 4 s, the client busy reading all along
                }
            }
        }
    }

    /**
     * Finding: one client's pipelined GETs of a large value overrun the heap inside one wave (the output
     * limit is looked at only after the wave); batcher.run throws and passes() drops every connection of
     * the round, including a bystander that is only pipelining PINGs.
     */
    @Test
    void oneClientsHugeRepliesDoNotDropTheOthersInTheRound() throws Exception {
        assumeTrue(!loop.equals("threads"), "the threads loop runs each connection's batch alone");
        try (RunningServer rs = new RunningServer(loop, dir, 64L << 20,
                SlotClasses.ofEqualSpace(List.of(4096L, 4L << 20)), 8L << 20, o -> o)) {
            byte[] big = new byte[4_000_000];
            new Random(1).nextBytes(big);
            rs.store.put(ascii("big"), big);
            int pings = 400_000;
            try (Socket victim = new Socket(rs.server.address().getAddress(), rs.server.address().getPort());
                    Socket attacker = new Socket(rs.server.address().getAddress(), rs.server.address().getPort())) {
                victim.setSoTimeout(20_000);
                long[] got = new long[1];
                Thread reader = Thread.ofPlatform().start(() -> {
                    try {
                        got[0] = readUpTo(victim.getInputStream(), 7L * pings);
                    } catch (Exception e) {
                        got[0] = -1;
                    }
                });
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        victim.getOutputStream().write(ascii("*1\r\n$4\r\nPING\r\n".repeat(pings)));
                    } catch (Exception ignored) {
                    }
                });
                Thread.sleep(200); // the victim is in every round now (left over with parsed PINGs)
                ByteArrayOutputStream req = new ByteArrayOutputStream();
                for (int i = 0; i < 256; i++) {
                    req.writeBytes(ascii("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"));
                }
                attacker.getOutputStream().write(req.toByteArray()); // 1 GiB of replies in one wave
                reader.join(60_000);
                writer.join(10_000);
                assertEquals(7L * pings, got[0], "the bystander's PONGs");
            }
        }
    }

    /**
     * Finding: CLIENT KILL only marks the connection to close after its replies are sent; a client that
     * does not read is never closed (Redis frees it at once), and it still counts in CLIENT LIST and maxclients.
     */
    @Test
    void clientKillClosesAClientThatDoesNotRead() throws Exception {
        try (RunningServer rs = new RunningServer(loop, dir, 64L << 20,
                SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)), 1L << 20, o -> o);
                RespClient admin = new RespClient(rs.server.address())) {
            byte[] big = new byte[200_000];
            new Random(1).nextBytes(big);
            rs.store.put(ascii("big"), big);
            try (Socket stuck = new Socket(rs.server.address().getAddress(), rs.server.address().getPort())) {
                ByteArrayOutputStream req = new ByteArrayOutputStream();
                req.writeBytes(ascii("*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$5\r\nstuck\r\n"));
                for (int i = 0; i < 40; i++) {
                    req.writeBytes(ascii("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"));
                }
                stuck.getOutputStream().write(req.toByteArray()); // 8 MB of replies it never reads
                Thread.sleep(500);
                String list = admin.call("CLIENT", "LIST");
                String id = list.lines().filter(l -> l.contains("name=stuck")).findFirst().orElseThrow()
                        .replaceAll(".*?id=(\\d+) .*", "$1");
                assertEquals(":1\r\n", admin.call("CLIENT", "KILL", "ID", id));
                Thread.sleep(2000);
                String after = admin.call("CLIENT", "LIST");
                assertTrue(!after.contains("name=stuck"), "still connected after CLIENT KILL: " + after);
            }
        }
    }

    private static long readUpTo(InputStream in, long want) throws Exception {
        byte[] b = new byte[1 << 16];
        long total = 0;
        while (total < want) {
            int n;
            try {
                n = in.read(b);
            } catch (java.net.SocketException reset) {
                return total;
            }
            if (n < 0) {
                return total;
            }
            total += n;
        }
        return total;
    }
}
