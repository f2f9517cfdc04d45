package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The threads loop serves each connection on a thread of its own, and the store's io_uring engine gives
 * each thread a ring (a descriptor): a connection's ring must end with its thread, or every connection
 * served leaves a descriptor behind until the server stops answering at the descriptor limit. The same
 * for the libaio engine's AIO context per thread (and the system's fs.aio-max-nr).
 */
@Timeout(120)
class ThreadsServerRingsTest {
    @TempDir
    Path dir;

    /** This process's io_uring descriptors. */
    private static long rings() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().contains("io_uring");
                } catch (IOException e) {
                    return false; // closed while listed
                }
            }).count();
        }
    }

    /** This process's AIO contexts: each io_setup maps its ring, named [aio] in /proc/self/maps. */
    private static long aioContexts() throws IOException {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.filter(l -> l.contains("[aio]")).count();
        }
    }

    @Test
    void aConnectionsRingEndsWithItsThread() throws Exception {
        assumeTrue(RunningServer.engine().equals("uring"), "the store's engine here is " + RunningServer.engine()
                + ", which keeps no ring per thread");
        try (RunningServer running = new RunningServer("threads", dir, 64L << 20, 64L << 10)) {
            serveSixtyConnections(running, ThreadsServerRingsTest::rings, "io_uring descriptors");
        }
    }

    /**
     * The same with the libaio engine: each connection's thread sets up an AIO context (io_setup), which
     * holds its share of the system's fs.aio-max-nr until io_destroy.
     */
    @Test
    void aConnectionsAioContextEndsWithItsThread() throws Exception {
        assumeTrue(io.rawio.libaio.AioContext.available(), "native AIO unavailable here");
        try (RunningServer running = new RunningServer("threads", dir, 64L << 20,
                io.rawio.store.SlotClasses.forMaxValue(64L << 10), 128L << 10, o -> o,
                io.rawio.store.StoreOptions.defaults().withEngine("libaio").withBatchSize(64))) { // as serve does
            serveSixtyConnections(running, ThreadsServerRingsTest::aioContexts, "AIO contexts");
        }
    }

    private interface Count {
        long get() throws IOException;
    }

    /** 60 connections one after the other, each writing and reading: then at most two connections' worth held. */
    private static void serveSixtyConnections(RunningServer running, Count count, String what) throws Exception {
        {
            try (RespClient c = new RespClient(running.server.address())) {
                assertEquals("+OK\r\n", c.call("SET", "warm", "v")); // the first connection's ring
            }
            Thread.sleep(200);
            long before = count.get();
            long perConnection;
            try (RespClient c = new RespClient(running.server.address())) { // what one connection holds while open
                assertEquals("+OK\r\n", c.call("SET", "one", "v".repeat(20_000)));
                assertTrue(c.call("GET", "one").startsWith("$20000\r\n"));
                assertTrue(c.call("MGET", "one", "warm", "absent").startsWith("*3\r\n$20000\r\n")); // a getMany
                perConnection = Math.max(1, count.get() - before);
            }
            for (int i = 0; i < 60; i++) {
                try (RespClient c = new RespClient(running.server.address())) {
                    assertEquals("+OK\r\n", c.call("SET", "k" + i, "v".repeat(20_000)));
                    assertTrue(c.call("GET", "k" + i).startsWith("$20000\r\n"));
                    assertEquals("$-1\r\n", c.call("GET", "absent"));
                    assertTrue(c.call("MGET", "k" + i, "warm", "absent").startsWith("*3\r\n$20000\r\n"));
                }
            }
            long after = before;
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                Thread.sleep(50); // the connection threads end after their clients close
                after = count.get();
            } while (after > before + 2 * perConnection && System.nanoTime() < deadline);
            assertTrue(after <= before + 2 * perConnection, "60 connections served, " + what + " " + before + " -> " + after);
        }
    }
}
