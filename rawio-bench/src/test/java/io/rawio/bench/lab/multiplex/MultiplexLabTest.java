package io.rawio.bench.lab.multiplex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.bench.lab.LabContext;
import io.rawio.bench.lab.LabResult;
import io.rawio.uring.IoUring;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The multiplex lab's numbers agree with each other: counts, connections really open, the FD_SETSIZE wall. */
@Timeout(120)
class MultiplexLabTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void quickRunIsConsistent() throws Exception {
        LabResult r = new MultiplexLab().run(new LabContext(dir, true, null));
        List<Map<String, Object>> cells = (List<Map<String, Object>>) r.raw().get("cells");
        int idle = ((Number) r.raw().get("idle_connections")).intValue();
        assumeTrue(idle > 0, "RLIMIT_NOFILE left no room for the lab's connections: " + r.findings());
        assertEquals(idle, ((Number) r.raw().get("idle_verified")).intValue(),
                "each idle connection carried its byte to the server end");
        int ran = 0;
        boolean selectRefused = false;
        for (Map<String, Object> c : cells) {
            String method = (String) c.get("method");
            long k = ((Number) c.get("k")).longValue();
            assertTrue(((Number) c.get("sockets_open")).longValue() >= k + 3,
                    "the idle server ends, the active pair and the listener are open here: " + c);
            assertTrue(((Number) c.get("client_sockets_open")).longValue() >= k, "the helper holds the client ends: " + c);
            if (c.containsKey("refused")) {
                String why = (String) c.get("refused");
                if (method.equals("select")) {
                    selectRefused = true;
                    assertTrue(why.contains("FD_SETSIZE=1024"), why);
                } else {
                    assertEquals("io_uring", method, "only select and io_uring may be refused: " + c);
                    assertTrue(!IoUring.available(), "io_uring refused although available: " + why);
                }
                continue;
            }
            ran++;
            long server = ((Number) c.get("server_requests")).longValue();
            assertEquals(server, ((Number) c.get("client_requests")).longValue(), "server and client agree: " + c);
            assertTrue(server >= 2, c.toString());
            assertEquals(k + 1, ((Number) c.get("watched")).longValue(), "K idle and the active one watched: " + c);
            assertTrue(((Number) c.get("rtt_p99_ns")).longValue() >= ((Number) c.get("rtt_p50_ns")).longValue());
            assertTrue(((Number) c.get("wait_ns")).doubleValue() > 0 && ((Number) c.get("cpu_ns")).longValue() > 0);
            long syscalls = ((Number) c.get("syscalls")).longValue();
            long eagains = ((Number) c.get("eagains")).longValue();
            switch (method) {
                case "epoll, level-triggered", "select", "poll" -> {
                    assertEquals(0, eagains, "told it is readable, one recv finds bytes: " + c);
                    assertTrue(syscalls >= 3 * server, "a wait, a recv and a send per request: " + c);
                }
                case "epoll, edge-triggered" -> assertTrue(eagains > 0 && eagains <= server, c.toString());
                case "io_uring" -> assertTrue(syscalls <= 2 * server, "one enter per request, about: " + c);
                default -> assertTrue(eagains >= k * server, "a pass over every idle socket per request: " + c);
            }
        }
        assertTrue(ran >= 10, "most cells ran: " + ran);
        long biggest = cells.stream().mapToLong(c -> ((Number) c.get("k")).longValue()).max().orElseThrow();
        if (biggest >= 1024) {
            assertTrue(selectRefused, "select refused past FD_SETSIZE");
        }
        assertNotNull(r.charts().isEmpty() ? null : r.charts().get(0));
        assertTrue(r.findings().stream().anyMatch(f -> f.startsWith("RLIMIT_NOFILE")), r.findings().toString());
    }
}
