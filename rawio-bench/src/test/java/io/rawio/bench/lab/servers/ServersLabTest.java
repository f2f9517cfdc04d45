package io.rawio.bench.lab.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.bench.lab.LabContext;
import io.rawio.bench.lab.LabResult;
import io.rawio.uring.IoUring;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The servers lab, quick: every model ran in its worker processes, and the two ends' counts agree. */
@Timeout(180)
class ServersLabTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void quickRunIsConsistent() throws Exception {
        LabResult r = new ServersLab().run(new LabContext(dir, true, null));
        List<Map<String, Object>> runs = (List<Map<String, Object>>) r.raw().get("runs");
        Set<String> workers = new HashSet<>();
        for (Map<String, Object> run : runs) {
            long conns = ((Number) run.get("connections")).longValue();
            workers.add((String) run.get("worker") + "/" + run.get("processes"));
            assertEquals(conns, ((Number) run.get("connected")).longValue(), "every connection made: " + run);
            assertEquals(conns, ((Number) run.get("server_open")).longValue(),
                    "the server had them all open before the first request: " + run);
            assertEquals(((Number) run.get("server_requests")).longValue(),
                    ((Number) run.get("client_answered")).longValue(), "server and client agree: " + run);
            assertEquals(((Number) run.get("client_sent")).longValue(),
                    ((Number) run.get("client_answered")).longValue(), "nothing left unanswered: " + run);
            assertEquals(conns, ((Number) run.get("answered_connections")).longValue(), run.toString());
            assertEquals(0, ((Number) run.get("errors")).longValue(), run.toString());
            assertTrue(((Number) run.get("req_per_s")).doubleValue() > 0, run.toString());
            assertTrue(((Number) run.get("p99_ns")).longValue() >= ((Number) run.get("p50_ns")).longValue());
            assertTrue(((Number) run.get("cpu_ns")).longValue() > 0, run.toString());
        }
        int cores = Runtime.getRuntime().availableProcessors();
        for (String w : new String[] {"epoll/" + cores, "threads/1", "virtual/1", "pool/1", "epoll/1"}) {
            assertTrue(workers.contains(w), w + " ran: " + workers);
        }
        assertEquals(IoUring.available(), workers.contains("uring/1"), "io_uring ran where available: " + workers);
        if (!IoUring.available()) {
            assertTrue(r.findings().stream().anyMatch(f -> f.contains("not run: io_uring")), r.findings().toString());
        }
        assertTrue(r.findings().stream().anyMatch(f -> f.startsWith("The server and the client counted the same")));
    }
}
