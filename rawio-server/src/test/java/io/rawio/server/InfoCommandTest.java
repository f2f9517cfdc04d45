package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.FormatProgress;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** INFO: the sections asked for, Redis's field shapes, and what the loop and the store count. */
class InfoCommandTest {
    @TempDir
    Path dir;
    private SlotStore store;
    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private Commands commands;

    @BeforeEach
    void open() throws Exception {
        Path p = dir.resolve("s.store");
        StoreOptions o = StoreOptions.defaults();
        SlotStore.format(p, 16L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 64L << 10)), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        store = SlotStore.open(p, o);
        InstantSource clock = () -> Instant.ofEpochMilli(now.get());
        commands = new Commands(store, clock);
    }

    @AfterEach
    void close() throws Exception {
        store.close();
    }

    private String run(String... words) {
        List<byte[]> args = new ArrayList<>();
        for (String w : words) {
            args.add(w.getBytes(StandardCharsets.UTF_8));
        }
        ReplyWriter out = new ReplyWriter();
        commands.run(args, out);
        return new String(out.toBytes(), StandardCharsets.UTF_8);
    }

    /** INFO's bulk as section title -> its field lines. */
    private Map<String, Map<String, String>> info(String... sections) {
        String[] words = new String[sections.length + 1];
        words[0] = "INFO";
        System.arraycopy(sections, 0, words, 1, sections.length);
        String reply = run(words);
        assertTrue(reply.startsWith("$"), reply);
        String body = reply.substring(reply.indexOf("\r\n") + 2, reply.length() - 2);
        assertEquals(Integer.parseInt(reply.substring(1, reply.indexOf("\r\n"))),
                body.getBytes(StandardCharsets.UTF_8).length, "the bulk's length is its bytes'");
        Map<String, Map<String, String>> m = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String line : body.split("\r\n")) {
            if (line.startsWith("# ")) {
                current = new LinkedHashMap<>();
                m.put(line.substring(2), current);
            } else if (!line.isEmpty()) {
                int colon = line.indexOf(':');
                assertTrue(colon > 0, "a field line is name:value: " + line);
                current.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return m;
    }

    @Test
    void allSectionsByDefaultAndOnlyThoseAskedOtherwiseInAnyCase() {
        assertEquals(List.of("Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "Cluster",
                "Keyspace", "rawio"), List.copyOf(info().keySet()));
        assertTrue(info("keyspace").get("Keyspace").isEmpty(), "an empty store: the title alone, as Redis");
        assertEquals(List.of("Stats", "Cluster"), List.copyOf(info("stats", "CLUSTER").keySet()));
        assertEquals(info().keySet(), info("everything").keySet());
        assertTrue(info("nosuch").isEmpty(), "an unknown section gives an empty bulk");
    }

    @Test
    void countsCommandsConnectionsKeysAndTheLoopsBatches() {
        commands.newSession("127.0.0.1:1", "127.0.0.1:2", now.get());
        run("SET", "a", "1");
        run("SET", "b", "2");
        run("GET", "a");
        run("GET", "nosuch");
        run("NOSUCHCOMMAND");
        run("GET");
        commands.counters.putBatches = 7;
        commands.counters.multiplexingApi = "io_uring";
        commands.counters.port = 6390;
        now.addAndGet(3_500);

        var m = info();
        assertEquals("4", m.get("Stats").get("total_commands_processed"), "counted once run, as Redis: not INFO itself, nor the refused");
        assertEquals("1", m.get("Stats").get("total_connections_received"));
        assertEquals("1", m.get("Stats").get("keyspace_hits"));
        assertEquals("1", m.get("Stats").get("keyspace_misses"));
        assertEquals("db0:keys=2,expires=0,avg_ttl=0".substring(4), m.get("Keyspace").get("db0"));
        assertEquals("7", m.get("rawio").get("put_batches"));
        assertEquals("io_uring", m.get("Server").get("multiplexing_api"));
        assertEquals("6390", m.get("Server").get("tcp_port"));
        assertEquals("3", m.get("Server").get("uptime_in_seconds"));
        assertEquals("rawio-fifo", m.get("Memory").get("maxmemory_policy"));
        assertEquals("none", m.get("Persistence").get("rawio_durability"));
        assertEquals("2", m.get("rawio").get("slot_classes"));
        assertFalse(m.get("Cluster").isEmpty());
    }
}
