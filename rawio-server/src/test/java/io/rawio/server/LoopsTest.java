package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SlotClasses;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every loop must do the same way, around the requests themselves: maxclients, the idle timeout,
 * CLIENT KILL of a connection waiting for bytes, the output limit, SHUTDOWN ending the loop, INFO
 * naming the loop, values larger than one send or one receive buffer, many connections pipelining
 * large values at once.
 */
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopsTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    private RunningServer server(String name, java.util.function.UnaryOperator<ServerOptions> tune) throws Exception {
        return new RunningServer(loop, Files.createDirectory(dir.resolve(name)), 64L << 20,
                SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)), 1L << 20, tune);
    }

    @Test
    void infoNamesTheLoop() throws Exception {
        try (RunningServer rs = server("info", o -> o); RespClient c = new RespClient(rs.server.address())) {
            String api = switch (loop) {
                case "uring" -> "io_uring";
                default -> loop;
            };
            assertTrue(c.call("INFO", "server").contains("\r\nmultiplexing_api:" + api + "\r\n"));
            assertEquals(loop, rs.server.name());
        }
    }

    @Test
    void pastMaxclientsAClientIsToldSoAndClosed() throws Exception {
        try (RunningServer rs = server("max", o -> new ServerOptions(o.bind(), 2, o.maxBulk(), o.maxQueryBytes()));
                RespClient a = new RespClient(rs.server.address());
                RespClient b = new RespClient(rs.server.address())) {
            assertEquals("+PONG\r\n", a.call("PING"));
            assertEquals("+PONG\r\n", b.call("PING"));
            try (RespClient third = new RespClient(rs.server.address())) {
                assertEquals("-ERR max number of clients reached\r\n", third.reply());
                assertTrue(third.closedByServer());
            }
            a.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) { // once a's close is seen, there is room again
                try (RespClient again = new RespClient(rs.server.address())) {
                    again.send("PING");
                    String r = again.reply();
                    if (r.equals("+PONG\r\n")) {
                        break;
                    }
                    assertEquals("-ERR max number of clients reached\r\n", r);
                }
                assertTrue(System.nanoTime() < deadline, "room again within 10 s");
                Thread.sleep(50);
            }
            assertEquals("+PONG\r\n", b.call("PING"));
        }
    }

    @Test
    void anIdleClientIsClosedAndABusyOneIsNot() throws Exception {
        try (RunningServer rs = server("idle", o -> o.withIdleTimeoutMs(700));
                RespClient idle = new RespClient(rs.server.address());
                RespClient busy = new RespClient(rs.server.address())) {
            assertEquals("+PONG\r\n", idle.call("PING"));
            long start = System.nanoTime();
            while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(2500)) {
                assertEquals("+PONG\r\n", busy.call("PING"));
                Thread.sleep(100);
            }
            assertTrue(idle.closedByServer(), "closed after 0.7 s without a request");
            assertEquals("+PONG\r\n", busy.call("PING"));
        }
    }

    @Test
    void clientKillClosesAConnectionWaitingForBytes() throws Exception {
        try (RunningServer rs = server("kill", o -> o); RespClient killer = new RespClient(rs.server.address());
                RespClient victim = new RespClient(rs.server.address())) {
            String id = victim.call("CLIENT", "ID").substring(1).strip();
            long t0 = System.nanoTime();
            assertEquals(":1\r\n", killer.call("CLIENT", "KILL", "ID", id));
            assertTrue(victim.closedByServer(), "closed");
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "at once, not at its next request");
            assertEquals("+PONG\r\n", killer.call("PING"));
        }
    }

    /** A client that pipelines replies far past the output limit and reads nothing is closed. */
    @Test
    void aClientPastTheOutputLimitIsClosed() throws Exception {
        try (RunningServer rs = server("limit", o -> o.withMaxOutputBytes(1 << 20))) {
            rs.store.put("big".getBytes(StandardCharsets.UTF_8), new byte[200_000]);
            try (Socket s = new Socket(rs.server.address().getAddress(), rs.server.address().getPort());
                    RespClient other = new RespClient(rs.server.address())) {
                s.setSoTimeout(20_000);
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                for (int i = 0; i < 200; i++) { // 40 MB of replies
                    b.writeBytes(RespClient.encode("GET", "big"));
                }
                s.getOutputStream().write(b.toByteArray());
                Thread.sleep(500); // nothing read meanwhile
                long got = 0;
                try {
                    byte[] sink = new byte[1 << 16];
                    for (int n; (n = s.getInputStream().read(sink)) > 0; ) {
                        got += n;
                    }
                } catch (java.net.SocketException reset) {
                    // closed with bytes unread: a reset
                }
                assertTrue(got < 200L * 200_000, "closed before every reply: " + got + " bytes came");
                assertEquals("+PONG\r\n", other.call("PING"), "the others are served");
            }
        }
    }

    @Test
    void shutdownEndsTheLoopAndClosesEveryConnection() throws Exception {
        try (RunningServer rs = server("shutdown", o -> o); RespClient a = new RespClient(rs.server.address());
                RespClient b = new RespClient(rs.server.address())) {
            assertEquals("+PONG\r\n", b.call("PING"));
            a.send("SHUTDOWN");
            assertTrue(a.closedByServer());
            assertTrue(b.closedByServer(), "the other connection is closed too");
            assertTrue(rs.awaitEnd(10_000), "the loop ended");
            assertTrue(rs.server.stopped());
        }
    }

    /** A 3 MB value: several receive buffers in, several sends out. */
    @Test
    void valuesLargerThanAnyBufferComeBackExactly() throws Exception {
        Path d = Files.createDirectory(dir.resolve("large"));
        try (RunningServer rs = new RunningServer(loop, d, 64L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 4L << 20)),
                8L << 20, o -> o);
                Socket s = new Socket(rs.server.address().getAddress(), rs.server.address().getPort())) {
            s.setSoTimeout(20_000);
            byte[] v = new byte[3_000_000];
            new Random(3).nextBytes(v);
            OutputStream o = s.getOutputStream();
            o.write("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n".getBytes(StandardCharsets.US_ASCII));
            o.write(v);
            o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            o.write(RespClient.encode("GET", "k"));
            o.write(RespClient.encode("GET", "k"));
            o.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] ok = new byte[5];
            in.readFully(ok);
            assertEquals("+OK\r\n", new String(ok, StandardCharsets.US_ASCII));
            for (int i = 0; i < 2; i++) {
                byte[] head = new byte["$3000000\r\n".length()];
                in.readFully(head);
                assertEquals("$3000000\r\n", new String(head, StandardCharsets.US_ASCII));
                byte[] got = new byte[v.length + 2];
                in.readFully(got);
                assertArrayEquals(v, java.util.Arrays.copyOf(got, v.length));
            }
        }
    }

    /** Forty connections at once, each a pipeline of SETs and GETs of 20-200 KB values, every byte checked. */
    @Test
    void manyConnectionsPipelineLargeValuesAtOnce() throws Exception {
        Path d = Files.createDirectory(dir.resolve("many"));
        // 512 slots of 256 KiB: more than the 240 values, so none is evicted before its GET
        try (RunningServer rs = new RunningServer(loop, d, 256L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)),
                1L << 20, o -> o)) {
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            for (int t = 0; t < 40; t++) {
                int id = t;
                clients.add(CompletableFuture.runAsync(() -> {
                    try (RespClient c = new RespClient(rs.server.address())) {
                        Random r = new Random(id);
                        String[] values = new String[6];
                        List<String[]> reqs = new ArrayList<>();
                        for (int i = 0; i < values.length; i++) {
                            byte[] raw = new byte[20_000 + r.nextInt(180_000)];
                            for (int j = 0; j < raw.length; j++) {
                                raw[j] = (byte) ('a' + r.nextInt(26));
                            }
                            values[i] = new String(raw, StandardCharsets.US_ASCII);
                            reqs.add(new String[] {"SET", "c" + id + ":" + i, values[i]});
                            reqs.add(new String[] {"GET", "c" + id + ":" + i});
                        }
                        c.sendAll(reqs.toArray(new String[0][]));
                        for (String v : values) {
                            assertEquals("+OK\r\n", c.reply());
                            assertEquals("$" + v.length() + "\r\n" + v + "\r\n", c.reply());
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, r -> Thread.ofPlatform().start(r)));
            }
            CompletableFuture.allOf(clients.toArray(new CompletableFuture[0])).get(50, TimeUnit.SECONDS);
            try (RespClient c = new RespClient(rs.server.address())) {
                assertFalse(c.call("DBSIZE").equals(":0\r\n"));
            }
        }
    }
}
