package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.SlotClasses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Response;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cluster clients against one server, which answers the cluster commands as a single node owning all
 * 16384 slots: Jedis's JedisCluster, redis-py's RedisCluster (python3-redis) and {@code redis-cli -c}
 * (redis-tools). Each writes keys and reads them back; what they wrote is checked in the store too.
 * The Python and redis-cli tests skip, saying why, when their tool is missing.
 */
@Timeout(180)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class ClusterClientsTest {
    @Parameter
    String loop;

    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final int KEYS = 1000;

    @TempDir
    Path dir;
    RunningServer running;
    HostAndPort address;

    @BeforeEach
    void start() throws Exception {
        // Half the space in 4 KiB slots: every key the tests write stays (no ring wraps).
        running = new RunningServer(loop, dir, 128L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)), 1L << 20,
                o -> o);
        address = new HostAndPort("127.0.0.1", running.server.address().getPort());
    }

    @AfterEach
    void stop() throws Exception {
        running.close();
    }

    private byte[] stored(String key) throws IOException {
        return running.store.get(key.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void jedisCluster() throws Exception {
        try (JedisCluster cluster = new JedisCluster(Set.of(address),
                DefaultJedisClientConfig.builder().socketTimeoutMillis(10_000).connectionTimeoutMillis(10_000).build())) {
            assertEquals(Set.of(address.toString()), cluster.getClusterNodes().keySet(), "one node, from CLUSTER SLOTS");
            for (int i = 0; i < KEYS; i++) {
                assertEquals("OK", cluster.set("jc:" + i, "value-" + i));
            }
            for (int i = 0; i < KEYS; i++) {
                assertEquals("value-" + i, cluster.get("jc:" + i));
            }
            // A pipeline across slots (Jedis splits it by node: here one), and keys of one hash tag.
            try (ClusterPipeline p = cluster.pipelined()) {
                List<Response<String>> sets = new ArrayList<>();
                for (int i = 0; i < KEYS; i++) {
                    sets.add(p.set("jcp:" + i, "piped-" + i));
                }
                List<Response<String>> gets = new ArrayList<>();
                for (int i = 0; i < KEYS; i++) {
                    gets.add(p.get("jcp:" + i));
                }
                p.sync();
                for (int i = 0; i < KEYS; i++) {
                    assertEquals("OK", sets.get(i).get());
                    assertEquals("piped-" + i, gets.get(i).get());
                }
            }
            assertEquals("OK", cluster.mset("{user7}.a", "1", "{user7}.b", "2"));
            assertEquals(List.of("1", "2"), cluster.mget("{user7}.a", "{user7}.b"));
            assertEquals(2, cluster.del("{user7}.a", "{user7}.b"));
            assertEquals(2 * KEYS, cluster.dbSize());
        }
        for (int i = 0; i < KEYS; i += 37) {
            assertArrayEquals(("value-" + i).getBytes(StandardCharsets.UTF_8), stored("jc:" + i));
            assertArrayEquals(("piped-" + i).getBytes(StandardCharsets.UTF_8), stored("jcp:" + i));
        }
        assertEquals(2 * KEYS, running.store.keyCount());
    }


    @Test
    void redisPyRedisCluster() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON);
        String[] probe = Tools.exec(List.of(PYTHON.toString(), "-c", "import redis.cluster"));
        assumeTrue(probe[0].equals("0"), "redis-py is not installed for " + PYTHON
                + " (apt-get install python3-redis): " + probe[1].strip());
        String script = """
                import sys
                from redis.cluster import RedisCluster
                rc = RedisCluster(host="127.0.0.1", port=int(sys.argv[1]), socket_timeout=10)
                nodes = rc.get_nodes()
                assert len(nodes) == 1 and nodes[0].port == int(sys.argv[1]), nodes
                n = int(sys.argv[2])
                for i in range(n):
                    assert rc.set(f"py:{i}", f"value-{i}") is True
                for i in range(n):
                    got = rc.get(f"py:{i}")
                    assert got == f"value-{i}".encode(), (i, got)
                p = rc.pipeline()
                for i in range(n):
                    p.set(f"pyp:{i}", f"piped-{i}")
                assert p.execute() == [True] * n
                for i in range(n):
                    p.get(f"pyp:{i}")
                assert p.execute() == [f"piped-{i}".encode() for i in range(n)]
                for i in range(0, n, 5):
                    key = f"slot:{i}"
                    assert rc.keyslot(key) == rc.cluster_keyslot(key), key
                assert rc.exists("py:0", "py:1", "nope") == 2
                info = rc.cluster_info()
                assert info["cluster_state"] == "ok" and int(info["cluster_slots_assigned"]) == 16384, info
                print("done", rc.dbsize())
                """;
        Path py = dir.resolve("cluster.py");
        Files.writeString(py, script);
        String[] r = Tools.exec(List.of(PYTHON.toString(), py.toString(), Integer.toString(address.getPort()),
                Integer.toString(KEYS)));
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].strip().endsWith("done " + 2 * KEYS), r[1]);
        for (int i = 0; i < KEYS; i += 37) {
            assertArrayEquals(("value-" + i).getBytes(StandardCharsets.UTF_8), stored("py:" + i));
            assertArrayEquals(("piped-" + i).getBytes(StandardCharsets.UTF_8), stored("pyp:" + i));
        }
        assertEquals(2 * KEYS, running.store.keyCount());
    }


    @Test
    void redisCliInClusterMode() throws Exception {
        assumeTrue(Tools.onPath("redis-cli"), "redis-cli not installed (apt-get install redis-tools)");
        List<String> base = List.of("redis-cli", "-c", "-h", "127.0.0.1", "-p", Integer.toString(address.getPort()));
        Map<List<String>, String> script = new java.util.LinkedHashMap<>();
        script.put(List.of("SET", "cli-key", "hello cluster"), "OK");
        script.put(List.of("GET", "cli-key"), "hello cluster");
        script.put(List.of("SET", "{cli}.other", "second"), "OK");
        script.put(List.of("GET", "{cli}.other"), "second");
        script.put(List.of("CLUSTER", "KEYSLOT", "cli-key"),
                Integer.toString(redis.clients.jedis.util.JedisClusterCRC16.getSlot("cli-key")));
        for (var e : script.entrySet()) {
            List<String> c = new ArrayList<>(base);
            c.addAll(e.getKey());
            String[] r = Tools.exec(c);
            assertEquals("0", r[0], r[1]);
            assertEquals(e.getValue(), r[1].strip(), String.join(" ", e.getKey()));
        }
        assertArrayEquals("hello cluster".getBytes(StandardCharsets.UTF_8), stored("cli-key"));
    }
}
