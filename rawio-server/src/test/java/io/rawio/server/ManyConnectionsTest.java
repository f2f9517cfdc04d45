package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import io.rawio.store.SlotClasses;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two thousand loopback connections open at once to one server (fewer when RLIMIT_NOFILE does not
 * allow them: each takes a descriptor on both sides, in this one process), each a PING and a SET and
 * GET of its own key in one pipeline, every reply checked; then they all close and the server still
 * answers, with only the new connection left.
 */
// Its own thread, so the time limit holds even while a read or connect blocks.
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class ManyConnectionsTest {
    @Parameter
    String loop;

    private static final int WANTED = 2000;
    /** Descriptors left for the JVM, the store, the build's own files. */
    private static final long MARGIN = 256;

    @TempDir
    Path dir;
    RunningServer running;

    @BeforeEach
    void start() throws Exception {
        // Half the space in 4 KiB slots (8,192): every connection's key stays.
        running = new RunningServer(loop, dir, 64L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 64L << 10)), 1L << 20,
                o -> o);
    }

    @AfterEach
    void stop() throws Exception {
        running.close();
    }

    /** How many connections the descriptor limit leaves room for (two descriptors each). */
    private static int possibleConnections() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os) {
            long free = os.getMaxFileDescriptorCount() - os.getOpenFileDescriptorCount() - MARGIN;
            return (int) Math.max(0, Math.min(WANTED, free / 2));
        }
        return WANTED;
    }

    private static String connectedClients(RespClient c) throws Exception {
        String info = c.call("INFO", "clients");
        for (String line : info.split("\r\n")) {
            if (line.startsWith("connected_clients:")) {
                return line.substring("connected_clients:".length());
            }
        }
        throw new AssertionError(info);
    }

    @Test
    void thousandsOfConnectionsAtOnce() throws Exception {
        int n = possibleConnections();
        long limit = ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getMaxFileDescriptorCount();
        assumeTrue(n >= 1000, "RLIMIT_NOFILE is " + limit + ": room for only " + n + " connections (two descriptors"
                + " each, a margin of " + MARGIN + " kept), fewer than 1,000; raise it with ulimit -n");
        long deadline = System.nanoTime() + 45_000_000_000L;
        List<RespClient> clients = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                clients.add(new RespClient(running.server.address()));
            }
            // Every connection open: each sends its pipeline, then every reply is read.
            for (int i = 0; i < n; i++) {
                clients.get(i).sendAll(new String[] {"PING"}, new String[] {"SET", "conn:" + i, "value-" + i},
                        new String[] {"GET", "conn:" + i});
            }
            for (int i = 0; i < n; i++) {
                RespClient c = clients.get(i);
                assertEquals("+PONG\r\n", c.reply(), "connection " + i);
                assertEquals("+OK\r\n", c.reply(), "connection " + i);
                String v = "value-" + i;
                assertEquals("$" + v.length() + "\r\n" + v + "\r\n", c.reply(), "connection " + i);
                assertTrue(System.nanoTime() < deadline, "too slow: " + i + " of " + n + " connections answered");
            }
            assertEquals(Integer.toString(n), connectedClients(clients.getFirst()), "all open at once");
            assertEquals(n, running.store.keyCount());
            // A second round on every connection: they all still work.
            for (int i = n - 1; i >= 0; i--) {
                clients.get(i).send("GET", "conn:" + (n - 1 - i));
            }
            for (int i = n - 1; i >= 0; i--) {
                String v = "value-" + (n - 1 - i);
                assertEquals("$" + v.length() + "\r\n" + v + "\r\n", clients.get(i).reply());
            }
        } finally {
            for (RespClient c : clients) {
                c.close();
            }
        }
        try (RespClient after = new RespClient(running.server.address())) {
            assertEquals("+PONG\r\n", after.call("PING"));
            String v = "value-" + (n - 1);
            assertEquals("$" + v.length() + "\r\n" + v + "\r\n", after.call("GET", "conn:" + (n - 1)));
            // The server notices every close: only this connection is left.
            String connected = connectedClients(after);
            while (!connected.equals("1") && System.nanoTime() < deadline) {
                Thread.sleep(20);
                connected = connectedClients(after);
            }
            assertEquals("1", connected);
            assertEquals(":" + n + "\r\n", after.call("DBSIZE"));
        }
    }
}
