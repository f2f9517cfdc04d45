package io.rawio.bench.lab.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.uring.IoUring;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every server model, in this process, against the load generator: every connection accepted, every request
 * answered with its own sequence number, the server's count and the client's the same, closed loop and
 * open loop, and the model stops cleanly once its connections are gone.
 */
@Timeout(60)
class ServerModelsTest {
    @ParameterizedTest
    @ValueSource(strings = {"threads", "virtual", "pool", "epoll", "uring"})
    void answersEveryRequestItCounts(String name) throws Exception {
        if (name.equals("uring")) {
            assumeTrue(IoUring.available(), "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
        }
        ServerCounters counters = new ServerCounters();
        ServerModel model = ServerWorker.model(name, 2, 8);
        int port = model.start(0, counters);
        try {
            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            try (LoadGenerator g = new LoadGenerator(at, 30)) {
                assertEquals(30, g.connected());
                assertNull(g.connectFailure());
                awaitOpen(counters, 30);
                long before = counters.requests.sum();
                LoadGenerator.Result r = g.closedLoop(10_000_000L, 100_000_000L, 2_000_000_000L);
                assertEquals(0, r.errors(), "every answer carried its request's number");
                if (name.equals("pool")) {
                    // 8 threads, each keeps its connection: the other 22 wait, unanswered.
                    assertEquals(8, r.answeredConnections());
                } else {
                    assertEquals(30, r.answeredConnections());
                    assertEquals(r.sent(), r.answered(), "nothing left unanswered");
                }
                assertTrue(r.inWindow() > 0 && r.latency().getTotalCount() > 0);
                assertEquals(r.answered(), counters.requests.sum() - before, "server and client agree");
            }
            awaitOpen(counters, 0);
            if (!name.equals("pool")) {
                try (LoadGenerator g = new LoadGenerator(at, 5)) {
                    awaitOpen(counters, 5);
                    long before = counters.requests.sum();
                    LoadGenerator.Result r = g.openLoop(2_000, 10_000_000L, 100_000_000L, 2_000_000_000L);
                    assertEquals(0, r.errors());
                    assertEquals(r.sent(), r.answered());
                    assertTrue(r.sent() >= 150, "about 2,000 a second for 0.11 s: " + r.sent());
                    assertEquals(r.answered(), counters.requests.sum() - before);
                }
                awaitOpen(counters, 0);
            }
        } finally {
            model.stop();
        }
        assertEquals(0, counters.errors.sum());
    }

    private static void awaitOpen(ServerCounters c, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (c.open.sum() != n && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(n, c.open.sum(), "connections open at the server");
    }
}
