package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.SlotClasses;
import io.rawio.store.StoreOptions;
import io.rawio.uring.IoUring;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The io_uring loop with the store's batches on its ring goes on while a wave's putMany is written,
 * each connection's SET replies held in their place: replies keep each connection's order among GETs,
 * other commands and errors; a connection's later GET sees its own SET; the values stay intact while
 * more bytes arrive on the same connection; a large value's wave is written before the loop goes on;
 * a durable store's round of many SETs goes in several waves, each connection's SETs in one, and waves cut
 * in the middle of a pass keep every connection's order and reach the device; a client
 * that leaves with SETs in flight harms no one.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HeldSetRepliesTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void available() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    /**
     * A uring loop on a store whose engine is io_uring (its batches on the loop's ring); the written values
     * also go to the DRAM tier, which reads each SET's value once its putMany is over: a value whose
     * bytes changed meanwhile would be served from there.
     */
    private RunningServer server(String name, StoreOptions.Durability durability) throws Exception {
        return new RunningServer("uring", java.nio.file.Files.createDirectories(dir.resolve(name)), 256L << 20,
                SlotClasses.ofEqualSpace(List.of(4096L, 64L << 10, (1L << 20) + 8192)), 2L << 20, o -> o,
                StoreOptions.defaults().withEngine("uring").withDurability(durability).withCache(64L << 20)
                        .withCacheWrites(true));
    }

    private static long info(RespClient c, String field) throws Exception {
        c.send("INFO", "rawio");
        for (String line : c.reply().split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1));
            }
        }
        throw new AssertionError(field + " not in INFO");
    }

    /** What one client does, on its own connection. */
    @FunctionalInterface
    private interface ClientBody {
        void run(int id, RespClient c) throws Exception;
    }

    /** {@code clients} clients at once, each on its own thread and connection; waits for all (90 s at most). */
    private static void eachClient(RunningServer rs, int clients, ClientBody body) throws Exception {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int t = 0; t < clients; t++) {
            int id = t;
            all.add(CompletableFuture.runAsync(() -> {
                try (RespClient c = new RespClient(rs.server.address())) {
                    body.run(id, c);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().start(r)));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(90, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @EnumSource(StoreOptions.Durability.class)
    void pipelinesOfSetsKeepEachConnectionsOrderAndReadTheirOwnWrites(StoreOptions.Durability durability)
            throws Exception {
        try (RunningServer rs = server("order-" + durability, durability)) {
            eachClient(rs, 6, (id, c) -> {
                for (int round = 0; round < 30; round++) {
                    List<String[]> reqs = new ArrayList<>();
                    List<String> expect = new ArrayList<>();
                    for (int i = 0; i < 12; i++) {
                        String k = "c" + id + ":" + i;
                        // Values of a few KiB: a pipeline spans several receive buffers, so bytes
                        // of later requests arrive while earlier values are written.
                        String v1 = RingGetsTest.value(k + round, 2000 + 517 * i);
                        String v2 = RingGetsTest.value(k + round + "b", 3000 + 311 * i);
                        reqs.add(new String[] {"SET", k, v1});
                        expect.add("+OK\r\n");
                        reqs.add(new String[] {"SET", k, v2});
                        expect.add("+OK\r\n");
                        if (i % 3 == 0) {
                            reqs.add(new String[] {"GET", k});
                            expect.add(RingGetsTest.bulk(v2));
                        }
                        if (i % 4 == 1) {
                            reqs.add(new String[] {"PING"});
                            expect.add("+PONG\r\n");
                            reqs.add(new String[] {"SET", k}); // wrong arity: an error in its place
                            expect.add("-ERR wrong number of arguments for 'set' command\r\n");
                        }
                    }
                    reqs.add(new String[] {"GET", "c" + id + ":11"});
                    expect.add(RingGetsTest.bulk(RingGetsTest.value("c" + id + ":11" + round + "b", 3000 + 311 * 11)));
                    c.sendAll(reqs.toArray(new String[0][]));
                    for (int i = 0; i < expect.size(); i++) {
                        assertEquals(expect.get(i), c.reply(), "client " + id + " round " + round + " reply " + i);
                    }
                }
            });
            try (RespClient c = new RespClient(rs.server.address())) {
                assertTrue(info(c, "held_set_waves") > 0, "SET replies were held while their putMany was written");
                for (int id = 0; id < 6; id++) {
                    for (int i = 0; i < 12; i++) {
                        String k = "c" + id + ":" + i;
                        assertEquals(RingGetsTest.bulk(RingGetsTest.value(k + 29 + "b", 3000 + 311 * i)),
                                c.call("GET", k), k);
                    }
                }
            }
        }
    }

    @Test
    void aLargeValuesWaveIsWrittenBeforeTheLoopGoesOn() throws Exception {
        try (RunningServer rs = server("large", StoreOptions.Durability.NONE);
             RespClient c = new RespClient(rs.server.address())) {
            long before = info(c, "held_set_waves");
            String big = RingGetsTest.value("big", (int) RoundBatcher.HOLD_BELOW);
            c.sendAll(new String[] {"SET", "big", big}, new String[] {"GET", "big"});
            assertEquals("+OK\r\n", c.reply());
            assertEquals(RingGetsTest.bulk(big), c.reply());
            assertEquals(before, info(c, "held_set_waves"), "a wave with a value of HOLD_BELOW bytes is not held");
            c.sendAll(new String[] {"SET", "small", "v"}, new String[] {"GET", "small"});
            assertEquals("+OK\r\n", c.reply());
            assertEquals("$1\r\nv\r\n", c.reply());
            assertEquals(before + 1, info(c, "held_set_waves"), "a small one is");
        }
    }

    @Test
    void aClientThatLeavesWithSetsInFlightHarmsNoOne() throws Exception {
        try (RunningServer rs = server("leave", StoreOptions.Durability.DURABLE)) {
            for (int round = 0; round < 20; round++) {
                RespClient gone = new RespClient(rs.server.address());
                List<String[]> reqs = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    reqs.add(new String[] {"SET", "gone:" + i, RingGetsTest.value("gone" + i + round, 4000)});
                }
                gone.sendAll(reqs.toArray(new String[0][]));
                gone.close(); // before any reply
            }
            try (RespClient c = new RespClient(rs.server.address())) {
                assertEquals("+PONG\r\n", c.call("PING"));
                assertEquals("+OK\r\n", c.call("SET", "after", "x"));
                assertEquals("$1\r\nx\r\n", c.call("GET", "after"));
            }
        }
    }

    @Test
    void aDurableRoundOfManySetsGoesInSeveralWavesAndEveryValueReadsBack() throws Exception {
        int clients = 4, sets = 2 * RoundBatcher.DURABLE_WAVE_SETS, rounds = 5;
        try (RunningServer rs = server("cut", StoreOptions.Durability.DURABLE)) {
            eachClient(rs, clients, (id, c) -> {
                for (int round = 0; round < rounds; round++) {
                    List<String[]> reqs = new ArrayList<>();
                    for (int i = 0; i < sets; i++) {
                        reqs.add(new String[] {"SET", "cut" + id + ":" + i, RingGetsTest.value(id + ":" + i + ":" + round, 40 + i % 50)});
                    }
                    reqs.add(new String[] {"GET", "cut" + id + ":0"});
                    c.sendAll(reqs.toArray(new String[0][]));
                    for (int i = 0; i < sets; i++) {
                        assertEquals("+OK\r\n", c.reply(), "client " + id + " round " + round + " SET " + i);
                    }
                    assertEquals(RingGetsTest.bulk(RingGetsTest.value(id + ":0:" + round, 40)), c.reply(),
                            "its own SET, read after its +OK");
                }
            });
            try (RespClient c = new RespClient(rs.server.address())) {
                // Each client's pipeline is twice the cut: its SETs parsed in one pass reach it on their own.
                assertTrue(info(c, "cut_set_waves") > 0, "waves were cut at " + RoundBatcher.DURABLE_WAVE_SETS + " SETs");
                for (int id = 0; id < clients; id++) {
                    for (int i = 0; i < sets; i += 37) {
                        assertEquals(RingGetsTest.bulk(RingGetsTest.value(id + ":" + i + ":" + (rounds - 1), 40 + i % 50)),
                                c.call("GET", "cut" + id + ":" + i), "cut" + id + ":" + i);
                    }
                }
            }
        }
    }

    /**
     * Pipelines shorter than the cut from many connections at once: a wave reaches the cut only with the
     * SETs of three connections or more, so the waves counted are cut in the middle of a pass. Each
     * connection's later commands (a GET, a DEL, an EXISTS) still see its own SETs in order, a key every
     * connection sets ends with one of their values, and the store read from the device after a restart
     * holds what the server answered.
     */
    @Test
    void wavesOfSeveralConnectionsCutMidPassKeepEveryConnectionsOrder() throws Exception {
        int clients = 12, sets = 90, rounds = 12;
        Path at = java.nio.file.Files.createDirectories(dir.resolve("mid"));
        java.util.Map<String, String> answered = new java.util.concurrent.ConcurrentHashMap<>();
        long cuts;
        try (RunningServer rs = new RunningServer("uring", at, 256L << 20,
                SlotClasses.ofEqualSpace(List.of(4096L, 64L << 10, (1L << 20) + 8192)), 2L << 20, o -> o,
                StoreOptions.defaults().withEngine("uring").withDurability(StoreOptions.Durability.DURABLE))) {
            java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(clients);
            eachClient(rs, clients, (id, c) -> {
                for (int round = 0; round < rounds; round++) {
                    List<String[]> reqs = new ArrayList<>();
                    for (int i = 0; i < sets; i++) {
                        reqs.add(new String[] {"SET", "mid" + id + ":" + i, RingGetsTest.value(id + ":" + i + ":" + round, 30 + i % 40)});
                    }
                    reqs.add(new String[] {"SET", "shared:" + round, "from" + id});
                    reqs.add(new String[] {"GET", "mid" + id + ":0"});
                    reqs.add(new String[] {"DEL", "mid" + id + ":1"});
                    reqs.add(new String[] {"EXISTS", "mid" + id + ":1"});
                    reqs.add(new String[] {"SET", "mid" + id + ":1", "again" + round});
                    reqs.add(new String[] {"GET", "mid" + id + ":1"});
                    together.await(30, TimeUnit.SECONDS); // every pipeline sent at once
                    c.sendAll(reqs.toArray(new String[0][]));
                    for (int i = 0; i <= sets; i++) {
                        assertEquals("+OK\r\n", c.reply(), "client " + id + " round " + round + " SET " + i);
                    }
                    String where = "client " + id + " round " + round;
                    assertEquals(RingGetsTest.bulk(RingGetsTest.value(id + ":0:" + round, 30)), c.reply(), where);
                    assertEquals(":1\r\n", c.reply(), where + ": DEL of its own SET");
                    assertEquals(":0\r\n", c.reply(), where + ": EXISTS after its DEL");
                    assertEquals("+OK\r\n", c.reply(), where);
                    assertEquals(RingGetsTest.bulk("again" + round), c.reply(), where);
                }
            });
            try (RespClient c = new RespClient(rs.server.address())) {
                cuts = info(c, "cut_set_waves");
                for (int round = 0; round < rounds; round++) {
                    String v = c.call("GET", "shared:" + round);
                    assertTrue(v.matches("\\$\\d+\r\nfrom\\d+\r\n"), "one connection's value: " + v);
                    answered.put("shared:" + round, v);
                }
                for (int id = 0; id < clients; id++) {
                    answered.put("mid" + id + ":1", RingGetsTest.bulk("again" + (rounds - 1)));
                    for (int i = 2; i < sets; i += 11) {
                        answered.put("mid" + id + ":" + i,
                                RingGetsTest.bulk(RingGetsTest.value(id + ":" + i + ":" + (rounds - 1), 30 + i % 40)));
                    }
                }
            }
        }
        // A wave of 256 SETs from pipelines of 91: three connections or more, cut before the pass ended.
        assertTrue(cuts > 0, "waves of several connections were cut at " + RoundBatcher.DURABLE_WAVE_SETS + " SETs");
        try (io.rawio.store.SlotStore reopened = io.rawio.store.SlotStore.open(at.resolve("s.store"),
                StoreOptions.defaults().withEngine("uring"))) {
            for (var e : answered.entrySet()) {
                byte[] v = reopened.get(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                assertTrue(v != null, e.getKey() + " on the device");
                assertEquals(e.getValue(), RingGetsTest.bulk(new String(v, java.nio.charset.StandardCharsets.UTF_8)), e.getKey());
            }
        }
    }
}
