package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every lab runs with --quick and writes a report whose numbers obey their invariants. */
class LabCommandTest {
    @TempDir
    Path dir;

    private String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void bufferSizeQuick() throws Exception {
        Path out = dir.resolve("report");
        String text = run("lab", "buffer-size", "--quick", "--dir=" + dir, "--out=" + out);
        assertTrue(text.contains("MiB/s"), text);
        for (String f : new String[] {"index.html", "throughput.png", "result.json"}) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        JsonNode json = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        int n = 0;
        for (JsonNode p : json.get("raw").get("points")) {
            n++;
            long bytes = p.get("bytes").asLong();
            long buffer = p.get("buffer_bytes").asLong();
            assertEquals(0, bytes % buffer, "bytes accounted are whole buffers");
            assertTrue(bytes > 0 && p.get("nanos").asLong() > 0);
            assertTrue(p.get("syscalls").asLong() >= bytes / buffer, "at least one call per buffer");
        }
        assertTrue(n >= 6, "both modes, reads and writes, several sizes: " + n);
        assertTrue(!Files.exists(dir.resolve("rawio-lab-buffer-size.dat")), "scratch file removed");
    }

    @Test
    void syncModesQuick() throws Exception {
        Path out = dir.resolve("sync");
        String text = run("lab", "sync-modes", "--quick", "--dir=" + dir, "--out=" + out);
        assertTrue(text.contains("O_DIRECT") && text.contains("buffered"), text);
        JsonNode json = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        for (JsonNode e : json.get("raw").get("events")) {
            if (e.has("mode") && (e.get("mode").asText().equals("O_DIRECT") || e.get("mode").asText().equals("O_SYNC"))) {
                assertTrue(e.get("sectors_at_return").asLong() >= 256, "written through at return: " + e);
            }
            if (e.has("direct_read_sectors")) {
                assertTrue(e.get("direct_read_sectors").asLong() >= 256, "O_DIRECT read went to the device: " + e);
                if (json.get("raw").get("isolated").asBoolean()) {
                    assertEquals(0, e.get("buffered_read_sectors").asLong(), "buffered read served from cache");
                }
            }
        }
        assertTrue(Files.size(out.resolve("timeline.png")) > 0);
    }

    @Test
    void readaheadQuick() throws Exception {
        Path out = dir.resolve("ra");
        String text = run("lab", "readahead", "--quick", "--dir=" + dir, "--out=" + out);
        assertTrue(text.contains("O_DIRECT 128 KiB"), text);
        JsonNode json = new ObjectMapper().readTree(out.resolve("result.json").toFile());
        for (JsonNode c : json.get("raw").get("cases")) {
            long asked = c.get("asked_bytes").asLong();
            long read = c.get("device_sectors").asLong() * 512;
            if (c.get("case").asText().startsWith("O_DIRECT") && json.get("raw").get("isolated").asBoolean()) {
                assertEquals(asked, read, "O_DIRECT reads exactly what it asks: " + c);
            }
            assertTrue(read >= 0);
        }
        assertTrue(Files.size(out.resolve("device-read.png")) > 0);
        assertTrue(Files.readString(out.resolve("index.html")).contains("<table>"));
    }

    @Test
    void allQuickRunsEveryLab() throws Exception {
        Path out = dir.resolve("all");
        String text = run("lab", "all", "--quick", "--dir=" + dir, "--out=" + out);
        for (String lab : new String[] {"buffer-size", "sync-modes", "readahead", "async", "wal", "locking", "zero-copy", "mmap", "scan",
                "multiplex", "servers"}) {
            assertTrue(Files.exists(out.resolve(lab).resolve("index.html")), lab);
        }
        assertTrue(text.lines().filter(l -> l.startsWith("report: ")).count() >= 11, text);
        try (var left = Files.list(dir)) {
            List<String> scratch = left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("rawio-lab-")).toList();
            assertEquals(List.of(), scratch, "every lab removes its scratch files");
        }
        JsonNode scan = new ObjectMapper().readTree(out.resolve("scan").resolve("result.json").toFile());
        long lines = -1;
        for (JsonNode m : scan.get("raw").get("results")) {
            if (lines < 0) {
                lines = m.get("lines").asLong();
            }
            assertEquals(lines, m.get("lines").asLong(), "every method, wc -l included, counts the same lines: " + m);
        }
        JsonNode mx = new ObjectMapper().readTree(out.resolve("multiplex").resolve("result.json").toFile());
        for (JsonNode c : mx.get("raw").get("cells")) {
            if (!c.has("refused")) {
                assertEquals(c.get("server_requests").asLong(), c.get("client_requests").asLong(), c.toString());
            }
        }
        JsonNode sv = new ObjectMapper().readTree(out.resolve("servers").resolve("result.json").toFile());
        for (JsonNode run : sv.get("raw").get("runs")) {
            assertEquals(run.get("server_requests").asLong(), run.get("client_answered").asLong(), run.toString());
            assertEquals(run.get("connections").asLong(), run.get("server_open").asLong(), run.toString());
        }
        JsonNode mm = new ObjectMapper().readTree(out.resolve("mmap").resolve("result.json").toFile());
        for (JsonNode m : mm.get("raw").get("results")) {
            assertTrue(m.get("bytes").asLong() > 0 && m.get("nanos").asLong() > 0, m.toString());
            assertTrue(m.get("minor_faults").asLong() >= 0 && m.get("major_faults").asLong() >= 0);
        }
        JsonNode zc = new ObjectMapper().readTree(out.resolve("zero-copy").resolve("result.json").toFile());
        for (JsonNode m : zc.get("raw").get("results")) {
            assertEquals(zc.get("raw").get("bytes").asLong(), m.get("bytes").asLong(), "every method copied it all: " + m);
        }
        JsonNode locks = new ObjectMapper().readTree(out.resolve("locking").resolve("result.json").toFile());
        for (JsonNode m : locks.get("raw").get("results")) {
            if (!m.get("kind").asText().equals("FCNTL")) {
                assertEquals(0, m.get("thread_overlaps").asLong(), "flock and OFD locks exclude threads: " + m);
            }
            assertTrue(m.get("uncontended_ns").asDouble() > 0);
        }
        JsonNode wal = new ObjectMapper().readTree(out.resolve("wal").resolve("result.json").toFile());
        for (JsonNode m : wal.get("raw").get("results")) {
            assertEquals(m.get("commits").asLong() * m.get("record_bytes").asLong(), m.get("bytes").asLong(),
                    "bytes accounted = commits x record size");
            assertTrue(m.get("commits").asLong() > 0 && m.get("p99_ns").asLong() >= m.get("p50_ns").asLong(), m.toString());
        }
        JsonNode json = new ObjectMapper().readTree(out.resolve("async").resolve("result.json").toFile());
        for (JsonNode m : json.get("raw").get("results")) {
            if (m.has("submit_p50_ns")) {
                // One cold read at a time: the submitting call is part of the whole read.
                assertTrue(m.get("submit_p50_ns").asLong() > 0, m.toString());
                assertTrue(m.get("read_p50_ns").asLong() >= m.get("submit_p50_ns").asLong(), m.toString());
                assertTrue(m.get("read_p99_ns").asLong() >= m.get("read_p50_ns").asLong(), m.toString());
                continue;
            }
            assertTrue(m.get("ios").asLong() > 0, m.toString());
            assertEquals(m.get("ios").asLong() * 4096, m.get("io_bytes").asLong(), "bytes accounted = ios x bs");
            assertTrue(m.get("clat_p99_ns").asLong() >= m.get("clat_p50_ns").asLong(), "percentiles non-decreasing");
            if (m.get("engine").asText().equals("posixaio")) {
                assertTrue(m.get("engine_threads").asInt() >= 1, "glibc serves POSIX AIO with threads: " + m);
            }
            if (m.get("engine").asText().equals("psync")) {
                assertEquals(0, m.get("engine_threads").asInt(), "psync runs on the job's threads: " + m);
            }
        }
        java.util.Set<String> models = new java.util.HashSet<>();
        json.get("raw").get("results").forEach(m -> models.add(m.get("engine").asText() + (m.get("direct").asBoolean()
                ? "" : "-buffered")));
        for (String e : new String[] {"libaio", "posixaio", "uring"}) {
            if (io.rawio.engine.IoEngines.unavailableReason(e).isEmpty()) {
                assertTrue(models.contains(e), e + " has a row: " + models);
            }
        }
        if (io.rawio.engine.IoEngines.unavailableReason("libaio").isEmpty()) {
            assertTrue(models.contains("libaio-buffered"), "libaio on the buffered file: " + models);
        }
    }
}
