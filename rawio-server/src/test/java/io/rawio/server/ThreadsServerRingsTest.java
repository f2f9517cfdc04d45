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
 * served leaves a descriptor behind until the server stops answering at the descriptor limit.
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

    @Test
    void aConnectionsRingEndsWithItsThread() throws Exception {
        assumeTrue(RunningServer.engine().equals("uring"), "the store's engine here is " + RunningServer.engine()
                + ", which keeps no ring per thread");
        try (RunningServer running = new RunningServer("threads", dir, 64L << 20, 64L << 10)) {
            try (RespClient c = new RespClient(running.server.address())) {
                assertEquals("+OK\r\n", c.call("SET", "warm", "v")); // the first connection's ring
            }
            Thread.sleep(200);
            long before = rings();
            for (int i = 0; i < 60; i++) {
                try (RespClient c = new RespClient(running.server.address())) {
                    assertEquals("+OK\r\n", c.call("SET", "k" + i, "v".repeat(20_000)));
                    assertTrue(c.call("GET", "k" + i).startsWith("$20000\r\n"));
                    assertEquals("$-1\r\n", c.call("GET", "absent"));
                }
            }
            long after = before;
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                Thread.sleep(50); // the connection threads end after their clients close
                after = rings();
            } while (after > before + 2 && System.nanoTime() < deadline);
            assertTrue(after <= before + 2, "60 connections served, io_uring descriptors " + before + " -> " + after);
        }
    }
}
