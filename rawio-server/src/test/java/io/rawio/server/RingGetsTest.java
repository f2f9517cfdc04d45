package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.DeviceRead;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The io_uring loop's GETs from the device, read on the loop's own ring and sent from the buffer they
 * were read into: replies in each connection's order among tier hits, misses, SETs and other commands;
 * bounded buffers (a GET waits for room, a value past the budget read the other way); a damaged slot
 * an error; a client that leaves with reads in flight harms no one.
 */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RingGetsTest {
    @TempDir
    Path dir;

    static String value(String key, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + Math.floorMod(key.hashCode() + i * 7, 26)));
        }
        return sb.toString();
    }

    static String bulk(String v) {
        return "$" + v.length() + "\r\n" + v + "\r\n";
    }

    private RunningServer server(String name) throws Exception {
        return new RunningServer("uring", java.nio.file.Files.createDirectories(dir.resolve(name)), 256L << 20,
                SlotClasses.ofEqualSpace(List.of(4096L, 64L << 10, (1L << 20) + 8192)), 2L << 20, o -> o);
    }

    private static long info(RespClient c, String field) throws Exception {
        c.send("INFO", "rawio");
        String s = c.reply();
        for (String line : s.split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1));
            }
        }
        throw new AssertionError(field + " not in INFO: " + s);
    }

    @Test
    void theBulkHeaderIsWrittenInPlace() {
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment m = a.allocate(32);
            for (int len : new int[] {0, 9, 10, 99, 100, 4096, 1_048_576, Integer.MAX_VALUE}) {
                int n = RingGets.headerLength(len);
                String want = "$" + len + "\r\n";
                assertEquals(want.length(), n, "length for " + len);
                RingGets.writeHeader(m, 5, len, n);
                assertEquals(want, new String(m.asSlice(5, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void repliesKeepTheirOrderAmongEverythingElse() throws Exception {
        try (RunningServer rs = server("order" + System.nanoTime()); RespClient c = new RespClient(rs.server.address())) {
            // sizes: in one block with the header, two blocks, a block-aligned value read alone, large
            int[] sizes = {0, 10, 3000, 5000, 8192, 40_000, 65_536, 300_000, 1 << 20};
            List<String[]> sets = new ArrayList<>();
            for (int n : sizes) {
                sets.add(new String[] {"SET", "k" + n, value("k" + n, n)});
            }
            c.sendAll(sets.toArray(new String[0][]));
            for (int n : sizes) {
                assertEquals("+OK\r\n", c.reply());
            }
            long before = info(c, "ring_reads");
            List<String[]> reqs = new ArrayList<>();
            List<String> expect = new ArrayList<>();
            for (int n : sizes) {
                reqs.add(new String[] {"GET", "k" + n});
                expect.add(bulk(value("k" + n, n)));
                reqs.add(new String[] {"GET", "absent" + n});
                expect.add("$-1\r\n");
                reqs.add(new String[] {"ECHO", "after" + n});
                expect.add(bulk("after" + n));
            }
            // A SET behind a GET of its key waits for the read: the GET sees the old value.
            reqs.add(new String[] {"GET", "k3000"});
            expect.add(bulk(value("k3000", 3000)));
            reqs.add(new String[] {"SET", "k3000", "new"});
            expect.add("+OK\r\n");
            reqs.add(new String[] {"GET", "k3000"});
            expect.add(bulk("new"));
            reqs.add(new String[] {"DEL", "k5000"});
            expect.add(":1\r\n");
            reqs.add(new String[] {"GET", "k5000"});
            expect.add("$-1\r\n");
            reqs.add(new String[] {"PING"});
            expect.add("+PONG\r\n");
            c.sendAll(reqs.toArray(new String[0][]));
            for (int i = 0; i < expect.size(); i++) {
                assertEquals(expect.get(i), c.reply(), "reply " + i + " to " + String.join(" ", reqs.get(i)).substring(0,
                        Math.min(40, String.join(" ", reqs.get(i)).length())));
            }
            long reads = info(c, "ring_reads") - before;
            assertTrue(reads >= sizes.length, "the GETs were read on the loop's ring");
            if (!Boolean.parseBoolean(System.getProperty("rawio.uring.fixedBuffers", "true"))) {
                assertEquals(0, info(c, "ring_fixed_reads"), "plain reads when told");
            } else if (!((UringServer) rs.server).describe().contains("buffers not registered")) {
                assertEquals(info(c, "ring_reads"), info(c, "ring_fixed_reads"),
                        "every read into a registered buffer: " + ((UringServer) rs.server).describe());
            }
        }
    }

    /** Without registered buffers (the property, or a kernel that refuses them) the same replies. */
    @Test
    void withoutRegisteredBuffersThePlainReads() throws Exception {
        UringServerTest.withProperties(Map.of("rawio.uring.fixedBuffers", "false"), () -> {
            repliesKeepTheirOrderAmongEverythingElse();
            try (RunningServer rs = server("plain")) {
                assertTrue(((UringServer) rs.server).describe().contains("READ (buffers not registered: -Drawio.uring.fixedBuffers=false)"),
                        ((UringServer) rs.server).describe());
            }
        });
    }

    @Test
    void zeroCopySendsKeepTheOrderToo() throws Exception {
        assumeTrue(io.rawio.uring.IoUring.supports(io.rawio.uring.IoUringConstants.IORING_OP_SENDMSG_ZC),
                "this kernel has no IORING_OP_SENDMSG_ZC (Linux 6.1)");
        UringServerTest.withProperties(Map.of("rawio.uring.sendZcThreshold", "1"), () -> {
            repliesKeepTheirOrderAmongEverythingElse();
            manyConnectionsWithFewBuffersAllGetTheirValues();
            try (RunningServer rs = server("zc")) {
                assertTrue(((UringServer) rs.server).describe().contains("zero-copy send of device replies from 0 KiB"),
                        ((UringServer) rs.server).describe());
            }
        });
    }

    @Test
    void longPipelinesOfDeviceRepliesAmongHeapRepliesAreSentInPieces() throws Exception {
        // Each device reply is one or two pieces of a SENDMSG (a block-aligned value: its header apart),
        // each miss between them a heap piece: far more pieces than one SENDMSG carries.
        try (RunningServer rs = server("pieces"); RespClient c = new RespClient(rs.server.address())) {
            int keys = 100;
            List<String[]> sets = new ArrayList<>();
            for (int k = 0; k < keys; k++) {
                sets.add(new String[] {"SET", "p" + k, value("p" + k, k % 3 == 0 ? 8192 : 100 + k)});
            }
            c.sendAll(sets.toArray(new String[0][]));
            for (int k = 0; k < keys; k++) {
                assertEquals("+OK\r\n", c.reply());
            }
            for (int round = 0; round < 3; round++) {
                List<String[]> reqs = new ArrayList<>();
                List<String> expect = new ArrayList<>();
                reqs.add(new String[] {"GET", "absentfirst"});
                expect.add("$-1\r\n");
                for (int k = 0; k < keys; k++) {
                    reqs.add(new String[] {"GET", "p" + k});
                    expect.add(bulk(value("p" + k, k % 3 == 0 ? 8192 : 100 + k)));
                    reqs.add(new String[] {"GET", "absent" + k});
                    expect.add("$-1\r\n");
                }
                c.sendAll(reqs.toArray(new String[0][]));
                for (int i = 0; i < expect.size(); i++) {
                    assertEquals(expect.get(i), c.reply(), "reply " + i);
                }
            }
            assertTrue(info(c, "ring_reads") >= 3L * keys);
        }
    }

    @Test
    void manyConnectionsWithFewBuffersAllGetTheirValues() throws Exception {
        // 256 KiB of read buffers: when they are spent (and for values past 32 KiB) GETs are read the other
        // way, by the wave's getMany, among those read on the ring.
        UringServerTest.withProperties(Map.of("rawio.uring.readBufferBytes", String.valueOf(256 << 10)), () -> {
            try (RunningServer rs = server("few" + System.nanoTime())) {
                int keys = 40;
                try (RespClient c = new RespClient(rs.server.address())) {
                    List<String[]> sets = new ArrayList<>();
                    for (int k = 0; k < keys; k++) {
                        sets.add(new String[] {"SET", "m" + k, value("m" + k, size(k))});
                    }
                    c.sendAll(sets.toArray(new String[0][]));
                    for (int k = 0; k < keys; k++) {
                        assertEquals("+OK\r\n", c.reply());
                    }
                }
                List<CompletableFuture<Void>> all = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int id = t;
                    all.add(CompletableFuture.runAsync(() -> {
                        try (RespClient c = new RespClient(rs.server.address())) {
                            java.util.Random r = new java.util.Random(id);
                            for (int round = 0; round < 5; round++) {
                                List<String[]> reqs = new ArrayList<>();
                                List<Integer> asked = new ArrayList<>();
                                for (int i = 0; i < 30; i++) {
                                    int k = r.nextInt(keys);
                                    asked.add(k);
                                    reqs.add(new String[] {"GET", "m" + k});
                                }
                                c.sendAll(reqs.toArray(new String[0][]));
                                for (int k : asked) {
                                    assertEquals(bulk(value("m" + k, size(k))), c.reply(), "m" + k);
                                }
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }, r -> Thread.ofPlatform().start(r)));
                }
                CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
                try (RespClient c = new RespClient(rs.server.address())) {
                    c.send("INFO", "stats");
                    String stats = c.reply();
                    assertTrue(stats.contains("total_commands_processed:" + (keys + 8 * 5 * 30) + "\r\n"),
                            "each GET counted once, those read the other way too: " + stats);
                }
            }
        });
    }

    /** Mostly small values, some 60 KB, one of 1 MiB (past a 256 KiB budget). */
    private static int size(int k) {
        return k == 7 ? 1 << 20 : k % 5 == 0 ? 60_000 : 100 + k * 97;
    }

    @Test
    void aDamagedSlotIsAnErrorAndThenAMiss() throws Exception {
        try (RunningServer rs = server("corrupt"); RespClient c = new RespClient(rs.server.address())) {
            c.send("SET", "bad", value("bad", 3000));
            assertEquals("+OK\r\n", c.reply());
            DeviceRead r = rs.store.onRing().planRead("bad".getBytes());
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(rs.store.path().toFile(), "rw")) {
                long at = r.offset() + 64 + 3 + 1000; // inside the value
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0x20);
                f.getFD().sync();
            }
            c.send("GET", "bad");
            String reply = c.reply();
            assertTrue(reply.startsWith("-ERR corrupt slot"), reply);
            c.send("GET", "bad");
            assertEquals("$-1\r\n", c.reply(), "the key was dropped");
            c.send("PING");
            assertEquals("+PONG\r\n", c.reply());
        }
    }

    @Test
    void aClientLeavingWithReadsInFlightHarmsNoOne() throws Exception {
        try (RunningServer rs = server("leave")) {
            try (RespClient c = new RespClient(rs.server.address())) {
                c.send("SET", "big", value("big", 1 << 20));
                assertEquals("+OK\r\n", c.reply());
            }
            for (int round = 0; round < 5; round++) {
                try (RespClient quitter = new RespClient(rs.server.address())) {
                    List<String[]> reqs = new ArrayList<>();
                    for (int i = 0; i < 40; i++) {
                        reqs.add(new String[] {"GET", "big"});
                    }
                    quitter.sendAll(reqs.toArray(new String[0][]));
                } // closed without reading a byte
            }
            try (RespClient c = new RespClient(rs.server.address())) {
                for (int i = 0; i < 3; i++) {
                    c.send("GET", "big");
                    assertEquals(bulk(value("big", 1 << 20)), c.reply());
                }
                long deadline = System.nanoTime() + 10_000_000_000L;
                long clients;
                do {
                    c.send("INFO", "clients");
                    String s = c.reply();
                    clients = Long.parseLong(s.replaceAll("(?s).*connected_clients:(\\d+).*", "$1"));
                } while (clients > 1 && System.nanoTime() < deadline);
                assertEquals(1, clients, "the quitters are gone");
            }
        }
    }

    @Test
    void offByPropertyTheStoresEngineReads() throws Exception {
        UringServerTest.withProperties(Map.of("rawio.uring.storeReads", "false"), () -> {
            try (RunningServer rs = server("off"); RespClient c = new RespClient(rs.server.address())) {
                assertTrue(((UringServer) rs.server).describe().endsWith(
                        "store reads by the store's engine (-Drawio.uring.storeReads=false)"),
                        ((UringServer) rs.server).describe());
                c.send("SET", "k", value("k", 5000));
                assertEquals("+OK\r\n", c.reply());
                c.sendAll(new String[] {"GET", "k"}, new String[] {"GET", "nope"}, new String[] {"GET", "k"});
                assertEquals(bulk(value("k", 5000)), c.reply());
                assertEquals("$-1\r\n", c.reply());
                assertEquals(bulk(value("k", 5000)), c.reply());
                assertEquals(0, info(c, "ring_reads"));
                assertTrue(info(c, "get_batches") > 0, "read by getMany");
            }
        });
    }

    @Test
    void withAnIoUringEngineTheStoresBatchesRunOnTheLoopsRingToo() throws Exception {
        assumeTrue(io.rawio.engine.UringEngine.unavailableReason().isEmpty(),
                () -> "io_uring engine unavailable: " + io.rawio.engine.UringEngine.unavailableReason().orElse(""));
        for (io.rawio.store.StoreOptions.Durability d : io.rawio.store.StoreOptions.Durability.values()) {
            io.rawio.store.StoreOptions o = io.rawio.store.StoreOptions.defaults().withEngine("uring").withDurability(d);
            java.nio.file.Path at = java.nio.file.Files.createDirectories(dir.resolve("shared-" + d));
            // 512 MiB: the 70,000-byte values go to the 1 MiB class, whose ~165 slots take all 120 of their
            // writes without coming round (with 256 MiB, ~80 slots, a client far ahead of the others could
            // see its last values evicted, as a FIFO ring does, and the key count below come up short).
            try (RunningServer rs = new RunningServer("uring", at, 512L << 20,
                    SlotClasses.ofEqualSpace(List.of(4096L, 64L << 10, (1L << 20) + 8192)), 2L << 20, opt -> opt, o)) {
                List<CompletableFuture<Void>> all = new ArrayList<>();
                for (int t = 0; t < 6; t++) {
                    int id = t;
                    all.add(CompletableFuture.runAsync(() -> {
                        try (RespClient c = new RespClient(rs.server.address())) {
                            for (int round = 0; round < 4; round++) {
                                List<String[]> reqs = new ArrayList<>();
                                List<String> expect = new ArrayList<>();
                                for (int k = 0; k < 20; k++) {
                                    String key = "s" + id + ":" + k;
                                    String v = value(key + round, k % 4 == 0 ? 70_000 : 200 + k * 50);
                                    reqs.add(new String[] {"SET", key, v});
                                    expect.add("+OK\r\n");
                                    reqs.add(new String[] {"GET", key});
                                    expect.add(bulk(v));
                                }
                                reqs.add(new String[] {"MGET", "s" + id + ":1", "nope"});
                                expect.add("*2\r\n" + bulk(value("s" + id + ":1" + round, 250)) + "$-1\r\n");
                                reqs.add(new String[] {"DEL", "s" + id + ":2"});
                                expect.add(":1\r\n");
                                c.sendAll(reqs.toArray(new String[0][]));
                                for (int i = 0; i < expect.size(); i++) {
                                    assertEquals(expect.get(i), c.reply(), d + " reply " + i);
                                }
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }, r -> Thread.ofPlatform().start(r)));
                }
                CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
                try (RespClient c = new RespClient(rs.server.address())) {
                    assertEquals(1, info(c, "store_batches_on_loop_ring"), "the store's batches ran on the loop's ring");
                    assertTrue(info(c, "put_batches") > 0);
                }
            }
            // The store closed (a checkpoint) after the loop ended: it opens with every key of the last round.
            try (io.rawio.store.SlotStore s = io.rawio.store.SlotStore.open(at.resolve("s.store"), o)) {
                assertEquals(6 * 19, s.keyCount(), d.toString());
                assertEquals(value("s3:5" + 3, 450), new String(s.get("s3:5".getBytes())));
            }
        }
    }
}
