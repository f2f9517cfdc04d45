package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.FormatProgress;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import io.rawio.uring.IoUring;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The io_uring loop with each feature turned off by its property (multishot accept, multishot recv, the
 * buffer ring): the same requests get the same replies; and the whole loop refused falls back to epoll,
 * saying why.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UringServerTest {
    @TempDir
    Path dir;

    static void withProperties(Map<String, String> props, ThrowingRunnable body) throws Exception {
        Map<String, String> before = new java.util.HashMap<>();
        for (var e : props.entrySet()) {
            before.put(e.getKey(), System.getProperty(e.getKey()));
            System.setProperty(e.getKey(), e.getValue());
        }
        try {
            body.run();
        } finally {
            for (var e : before.entrySet()) {
                if (e.getValue() == null) {
                    System.clearProperty(e.getKey());
                } else {
                    System.setProperty(e.getKey(), e.getValue());
                }
            }
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Twenty connections, each a pipeline of SETs and GETs (4-60 KB values) and a PING, every reply checked. */
    private static void workload(RunningServer rs) throws Exception {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int t = 0; t < 20; t++) {
            int id = t;
            all.add(CompletableFuture.runAsync(() -> {
                try (RespClient c = new RespClient(rs.server.address())) {
                    java.util.Random r = new java.util.Random(id);
                    List<String[]> reqs = new ArrayList<>();
                    List<String> values = new ArrayList<>();
                    for (int i = 0; i < 8; i++) {
                        String v = String.valueOf((char) ('a' + i)).repeat(4000 + r.nextInt(56_000));
                        values.add(v);
                        reqs.add(new String[] {"SET", "u" + id + ":" + i, v});
                        reqs.add(new String[] {"GET", "u" + id + ":" + i});
                    }
                    reqs.add(new String[] {"PING"});
                    c.sendAll(reqs.toArray(new String[0][]));
                    for (String v : values) {
                        assertEquals("+OK\r\n", c.reply());
                        assertEquals("$" + v.length() + "\r\n" + v + "\r\n", c.reply());
                    }
                    assertEquals("+PONG\r\n", c.reply());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().start(r)));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(40, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"everything", "multishotAccept", "multishotRecv", "bufferRing"})
    void eachFeatureOffServesTheSame(String off) throws Exception {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
        Map<String, String> props = off.equals("everything") ? Map.of() : Map.of("rawio.uring." + off, "false");
        withProperties(props, () -> {
            try (RunningServer rs = new RunningServer("uring", java.nio.file.Files.createDirectories(dir.resolve(off)), 256L << 20,
                    SlotClasses.ofEqualSpace(List.of(4096L, 64L << 10)), 1L << 20, o -> o)) {
                UringFeatures f = ((UringServer) rs.server).features();
                switch (off) {
                    case "multishotAccept" -> assertFalse(f.multishotAccept());
                    case "multishotRecv" -> {
                        assertFalse(f.multishotRecv());
                        assertTrue(f.bufferRing() || !f.notes().isEmpty());
                    }
                    case "bufferRing" -> {
                        assertFalse(f.bufferRing());
                        assertFalse(f.multishotRecv(), "multishot recv needs the buffer ring");
                        assertTrue(f.describe().contains("recv into each connection's buffer"), f.describe());
                    }
                    default -> { }
                }
                if (!off.equals("everything")) {
                    assertTrue(f.describe().contains(off + " off (-Drawio.uring." + off + "=false)"), f.describe());
                }
                workload(rs);
            }
        });
    }

    /**
     * Large values whose header came first: the rest of each is read straight into the query buffer
     * (after a POLL, the multishot RECV cancelled first where there is one), and the requests pipelined
     * behind it in the same write are received in their order. Every reply and value is checked; with
     * the feature off ({@code directRead} 0, the default, pinned here) nothing is read that way and the replies are the same.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"multishot", "multishotRecv", "bufferRing", "off", "landing", "landingNoBufferRing"})
    void theRestOfALargeValueIsReadStraightIntoTheQueryBuffer(String mode) throws Exception {
        assertEquals(0, UringFeatures.DIRECT_READ, "direct reads are off unless asked for");
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
        // Direct reads (a SET's value then lands by the poll's reads); the landing RECVs; neither (the
        // default: a SET's value lands by copies from the ring's buffers).
        Map<String, String> props = switch (mode) {
            case "off" -> Map.of("rawio.uring.directRead", "0", "rawio.uring.landingRecv", "0");
            case "landing" -> Map.of("rawio.uring.directRead", "0", "rawio.uring.landingRecv", "65536");
            case "landingNoBufferRing" -> Map.of("rawio.uring.directRead", "0", "rawio.uring.landingRecv", "65536",
                    "rawio.uring.bufferRing", "false");
            case "multishot" -> Map.of("rawio.uring.directRead", "65536", "rawio.uring.landingRecv", "0");
            default -> Map.of("rawio.uring." + mode, "false", "rawio.uring.directRead", "65536",
                    "rawio.uring.landingRecv", "0");
        };
        boolean landing = mode.startsWith("landing");
        boolean directOn = !mode.equals("off") && !landing;
        withProperties(props, () -> {
            try (RunningServer rs = new RunningServer("uring", java.nio.file.Files.createDirectories(dir.resolve(mode)),
                    256L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 1L << 20)), 1L << 20, o -> o)) {
                UringServer server = (UringServer) rs.server;
                assertEquals(directOn, server.features().describe().contains("straight into the query buffer"),
                        server.features().describe());
                assertEquals(landing, server.features().describe().contains("straight into the store's buffers"),
                        server.features().describe());
                try (RespClient c = new RespClient(rs.server.address())) {
                    java.util.Random r = new java.util.Random(7);
                    for (int i = 0; i < 6; i++) {
                        byte[] v = new byte[300_000 + r.nextInt(700_000)];
                        r.nextBytes(v);
                        String value = new String(v, java.nio.charset.StandardCharsets.ISO_8859_1);
                        byte[] set = encodeLatin1("SET", "big" + i, value);
                        byte[] after = encodeLatin1("SET", "small" + i, "x" + i);
                        byte[] get = encodeLatin1("GET", "big" + i);
                        // The header and a little of the value, then (once the server has parsed the
                        // header) the rest with the requests behind it in one write.
                        int head = set.length - v.length - 2 + 1000;
                        c.sendRaw(set, 0, head);
                        Thread.sleep(50);
                        byte[] rest = new byte[set.length - head + after.length + get.length];
                        System.arraycopy(set, head, rest, 0, set.length - head);
                        System.arraycopy(after, 0, rest, set.length - head, after.length);
                        System.arraycopy(get, 0, rest, set.length - head + after.length, get.length);
                        c.sendRaw(rest, 0, rest.length);
                        assertEquals("+OK\r\n", c.reply());
                        assertEquals("+OK\r\n", c.reply());
                        assertEquals("$" + v.length + "\r\n" + value + "\r\n", c.reply(), "value " + i);
                        assertEquals("$2\r\nx" + i + "\r\n", c.call("GET", "small" + i));
                    }
                }
                // The end of the stream in the middle of a large value: the connection is closed, the
                // loop goes on serving others, and the partial value is not stored.
                try (RespClient c = new RespClient(rs.server.address())) {
                    byte[] set = encodeLatin1("SET", "cut", "v".repeat(900_000));
                    c.sendRaw(set, 0, 1000);
                    Thread.sleep(50);
                    c.sendRaw(set, 1000, 300_000);
                    Thread.sleep(50);
                    c.halfClose();
                    assertTrue(c.closedByServer(), "closed after the end of its stream");
                }
                try (RespClient c = new RespClient(rs.server.address())) {
                    assertEquals("$-1\r\n", c.call("GET", "cut"));
                    assertEquals("+PONG\r\n", c.call("PING"));
                }
                assertEquals(landing, server.landingRecvBytes() > 6 * 200_000L,
                        "bytes received by landing RECVs: " + server.landingRecvBytes());
                long direct = server.directReadBytes();
                if (!directOn) {
                    assertEquals(0, direct);
                } else {
                    assertTrue(direct >= 6 * 200_000L, "bytes read straight into query buffers: " + direct);
                }
                try (RespClient c = new RespClient(rs.server.address())) {
                    String info = c.call("INFO", "rawio");
                    // Each large SET's value lands in a store buffer, whatever the receives (the first
                    // bytes of the cut one too), and each is written from there.
                    assertTrue(info.contains("landed_values:6\r\n"), info);
                    assertTrue(info.contains("in_place_writes:6\r\n"), info);
                }
            }
        });
    }

    private static byte[] encodeLatin1(String... args) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(("*" + args.length + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (String a : args) {
            byte[] x = a.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            b.writeBytes(("$" + x.length + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            b.writeBytes(x);
            b.writeBytes("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        return b.toByteArray();
    }

    @Test
    void refusedItFallsBackToEpollAndSaysWhy() throws Exception {
        StoreOptions o = StoreOptions.defaults().withEngine("psync");
        Path p = dir.resolve("f.store");
        SlotStore.format(p, 16L << 20, SlotClasses.forMaxValue(64 << 10), false, o, Preallocation.FALLOCATE,
                FormatProgress.NONE);
        try (SlotStore store = SlotStore.open(p, o)) {
            withProperties(Map.of("rawio.uring", "false"), () -> {
                assertThrows(UringServer.Refused.class, () -> new UringServer(store, ServerOptions.loopback(0, 1 << 20)));
                ServerLoops.Opened opened = ServerLoops.open("uring", store, ServerOptions.loopback(0, 1 << 20), 0);
                try (ServerLoop loop = opened.loop()) {
                    assertInstanceOf(EpollServer.class, loop);
                    assertEquals("epoll (io_uring refused: off by -Drawio.uring=false)", opened.description());
                }
            });
            if (IoUring.available()) {
                ServerLoops.Opened opened = ServerLoops.open("uring", store, ServerOptions.loopback(0, 1 << 20), 0);
                try (ServerLoop loop = opened.loop()) {
                    assertInstanceOf(UringServer.class, loop);
                    assertTrue(opened.description().startsWith("uring ("), opened.description());
                }
            }
            ServerLoops.Opened t = ServerLoops.open("threads", store, ServerOptions.loopback(0, 1 << 20), 7);
            try (ServerLoop loop = t.loop()) {
                assertEquals("threads (at most 7 connections at once)", t.description());
            }
            assertThrows(IllegalArgumentException.class,
                    () -> ServerLoops.open("select", store, ServerOptions.loopback(0, 1 << 20), 0));
        }
    }
}
