package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Three servers on loopback as one static cluster, driven by the cluster clients people use: Jedis's
 * JedisCluster and redis-py's RedisCluster write 10,000 keys each, every key is found on the node that
 * owns its slot (asked directly) and nowhere else, reads go through any node by MOVED, {@code redis-cli -c}
 * follows a redirect, a stopped node's keys fail while the others' keep working and come back when it is
 * started again, and {@code redis-benchmark --cluster} runs across the three. One loop (the first of
 * {@link RunningServer#loops()}): the routing is the same code on every loop ({@link ClusterModeTest} runs
 * them all). Tools that are missing skip their test, saying why.
 */
@Timeout(240)
class ClusterOfThreeTest {
    private static final int KEYS = 10_000;

    @TempDir
    Path dir;
    ClusterNodes nodes;

    @BeforeEach
    void start() throws Exception {
        nodes = new ClusterNodes(RunningServer.loops().getFirst(), dir, 3);
    }

    @AfterEach
    void stop() throws Exception {
        nodes.close();
    }

    private HostAndPort hp(int i) {
        return new HostAndPort("127.0.0.1", nodes.ports[i]);
    }

    private JedisCluster cluster(int seed, int attempts) {
        return new JedisCluster(Set.of(hp(seed)), DefaultJedisClientConfig.builder().socketTimeoutMillis(5_000)
                .connectionTimeoutMillis(1_000).build(), attempts, Duration.ofSeconds(5));
    }

    /** Every node holds exactly the keys of {@code prefix} its slots own, with their values. */
    private void everyKeyOnItsOwner(String prefix, int count) throws Exception {
        int[] expected = new int[3];
        for (int i = 0; i < count; i++) {
            expected[nodes.owner(prefix + i)]++;
        }
        for (int n = 0; n < 3; n++) {
            assertTrue(expected[n] > count / 5, "the keys spread over the nodes: " + java.util.Arrays.toString(expected));
            assertEquals(expected[n], nodes.storeOf(n).keyCount(), "keys on node " + n);
            try (Jedis j = new Jedis(hp(n))) {
                assertEquals(expected[n], j.dbSize());
                String info = j.info("cluster");
                assertTrue(info.contains("rawio_keys_in_other_slots:0"), info);
            }
        }
        for (int i = 0; i < count; i++) {
            String key = prefix + i;
            byte[] v = nodes.storeOf(nodes.owner(key)).get(key.getBytes(StandardCharsets.UTF_8));
            assertEquals("value-" + i, v == null ? null : new String(v, StandardCharsets.UTF_8), key);
        }
    }

    @Test
    void jedisClusterWritesEachKeyToItsOwnerAndReadsThroughAnyNode() throws Exception {
        try (JedisCluster c = cluster(0, 5)) {
            assertEquals(3, c.getClusterNodes().size());
            try (ClusterPipeline p = c.pipelined()) {
                List<Response<String>> sets = new ArrayList<>();
                for (int i = 0; i < KEYS; i++) {
                    sets.add(p.set("jc:" + i, "value-" + i));
                }
                p.sync();
                for (Response<String> r : sets) {
                    assertEquals("OK", r.get());
                }
            }
            assertEquals("OK", c.set("jc:one", "x"));
            assertEquals(1, c.del("jc:one"));
        }
        everyKeyOnItsOwner("jc:", KEYS);
        // Another client, seeded with another node, reads them all back (MOVED for the keys not there).
        try (JedisCluster c = cluster(2, 5)) {
            for (int i = 0; i < KEYS; i += 7) {
                assertEquals("value-" + i, c.get("jc:" + i));
            }
        }
        // A plain client at node 0 is told where each of the others' keys is.
        try (Jedis j = new Jedis(hp(0))) {
            String theirs = null;
            for (int i = 0; theirs == null; i++) {
                theirs = nodes.owner("jc:" + i) == 2 ? "jc:" + i : null;
            }
            String key = theirs;
            JedisException e = assertThrows(JedisException.class, () -> j.get(key));
            assertTrue(e.getMessage().contains("MOVED") && e.getMessage().endsWith(":" + nodes.ports[2]), e.getMessage());
        }
    }

    @Test
    void aStoppedNodesKeysFailTheOthersKeepWorkingAndComeBack() throws Exception {
        try (JedisCluster c = cluster(0, 2)) {
            for (int i = 0; i < 300; i++) {
                assertEquals("OK", c.set("k:" + i, "value-" + i));
            }
            nodes.stop(1);
            int failed = 0;
            int served = 0;
            for (int i = 0; i < 300; i++) {
                String key = "k:" + i;
                if (nodes.owner(key) == 1) {
                    assertThrows(JedisException.class, () -> c.get(key), key);
                    failed++;
                    if (failed >= 5) {
                        continue; // each failure waits for the client's retries: a few prove it
                    }
                } else {
                    assertEquals("value-" + i, c.get(key));
                    assertEquals("OK", c.set(key, "again-" + i));
                    served++;
                }
            }
            assertTrue(failed >= 5 && served > 100, failed + " failed, " + served + " served");
            nodes.start(1);
            for (int i = 0; i < 300; i++) {
                String key = "k:" + i;
                assertEquals((nodes.owner(key) == 1 ? "value-" : "again-") + i, getRetrying(c, key), key);
            }
        }
    }

    /** A GET that the client may need a few tries for while it finds the restarted node again. */
    private static String getRetrying(JedisCluster c, String key) throws InterruptedException {
        for (int t = 0; ; t++) {
            try {
                return c.get(key);
            } catch (JedisException e) {
                if (t == 20) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    @Test
    void redisPyRedisCluster() throws Exception {
        assumeTrue(Files.isExecutable(Tools.PYTHON), "no " + Tools.PYTHON);
        String[] probe = Tools.exec(List.of(Tools.PYTHON.toString(), "-c", "import redis.cluster"));
        assumeTrue(probe[0].equals("0"), "redis-py is not installed for " + Tools.PYTHON
                + " (apt-get install python3-redis): " + probe[1].strip());
        String script = """
                import sys
                import redis
                from redis.cluster import RedisCluster
                ports = [int(p) for p in sys.argv[1:4]]
                n = int(sys.argv[4])
                rc = RedisCluster(host="127.0.0.1", port=ports[0], socket_timeout=10)
                assert sorted(x.port for x in rc.get_nodes()) == sorted(ports), rc.get_nodes()
                p = rc.pipeline()
                for i in range(n):
                    p.set(f"py:{i}", f"value-{i}")
                assert p.execute() == [True] * n
                # Through a client seeded with the last node: every key read back.
                rc2 = RedisCluster(host="127.0.0.1", port=ports[2], socket_timeout=10)
                p = rc2.pipeline()
                for i in range(n):
                    p.get(f"py:{i}")
                assert p.execute() == [f"value-{i}".encode() for i in range(n)]
                # Each key asked of its owner directly: there, and MOVED anywhere else.
                direct = {port: redis.Redis(host="127.0.0.1", port=port, socket_timeout=10) for port in ports}
                for i in range(0, n, 50):
                    key = f"py:{i}"
                    owner = rc.get_node_from_key(key).port
                    assert direct[owner].get(key) == f"value-{i}".encode(), key
                    for port in ports:
                        if port != owner:
                            try:
                                direct[port].get(key)
                                raise AssertionError(f"{key} answered by {port}, owner {owner}")
                            except redis.exceptions.ResponseError as e:
                                assert str(e).startswith("MOVED ") and str(e).endswith(f":{owner}"), str(e)
                assert rc.mset_nonatomic({"{t}a": "1", "{t}b": "2"}) is not None
                assert rc.mget_nonatomic(["{t}a", "{t}b", "py:1"]) == [b"1", b"2", b"value-1"]
                assert rc.exists("py:0", "py:1", "nope") == 2
                assert rc.delete("{t}a", "{t}b") == 2
                print("done", sum(d.dbsize() for d in direct.values()))
                """;
        Path py = dir.resolve("cluster3.py");
        Files.writeString(py, script);
        String[] r = Tools.exec(List.of(Tools.PYTHON.toString(), py.toString(), Integer.toString(nodes.ports[0]),
                Integer.toString(nodes.ports[1]), Integer.toString(nodes.ports[2]), Integer.toString(KEYS)), 180);
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].strip().endsWith("done " + KEYS), r[1]);
        everyKeyOnItsOwner("py:", KEYS);
    }

    @Test
    void redisCliFollowsRedirects() throws Exception {
        assumeTrue(Tools.onPath("redis-cli"), "redis-cli not installed (apt-get install redis-tools)");
        String key = null;
        for (int i = 0; key == null; i++) {
            key = nodes.owner("cli:" + i) == 1 ? "cli:" + i : null;
        }
        List<String> viaNode0 = List.of("redis-cli", "-c", "-h", "127.0.0.1", "-p", Integer.toString(nodes.ports[0]));
        List<String> set = new ArrayList<>(viaNode0);
        set.addAll(List.of("SET", key, "hello cluster"));
        String[] r = Tools.exec(set);
        assertEquals("0", r[0], r[1]);
        assertEquals("OK", r[1].strip());
        List<String> get = new ArrayList<>(viaNode0);
        get.addAll(List.of("GET", key));
        r = Tools.exec(get);
        assertEquals("hello cluster", r[1].strip());
        assertEquals("hello cluster", new String(nodes.storeOf(1).get(key.getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8));
        assertNull(nodes.storeOf(0).get(key.getBytes(StandardCharsets.UTF_8)));
        // Without -c the redirect is shown, not followed.
        List<String> plain = new ArrayList<>(viaNode0.subList(0, 1));
        plain.addAll(viaNode0.subList(2, viaNode0.size()));
        plain.addAll(List.of("GET", key));
        r = Tools.exec(plain);
        assertTrue(r[1].contains("MOVED") && r[1].contains("127.0.0.1:" + nodes.ports[1]), r[1]);
    }

    @Test
    void redisBenchmarkAcrossTheNodes() throws Exception {
        assumeTrue(Tools.onPath("redis-benchmark"), "redis-benchmark not installed (apt-get install redis-tools)");
        int requests = 30_000;
        String[] r = Tools.exec(List.of("redis-benchmark", "--cluster", "-h", "127.0.0.1", "-p",
                Integer.toString(nodes.ports[0]), "-t", "set,get", "-n", Integer.toString(requests), "-r", "100000",
                "-c", "12", "-P", "8", "--csv"), 180);
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("Cluster has 3 master nodes"), r[1]);
        for (String test : new String[] {"SET", "GET"}) {
            Matcher m = Pattern.compile("\"" + test + "\",\"([0-9.]+)\"").matcher(r[1]);
            assertTrue(m.find(), test + " in " + r[1]);
            assertTrue(Double.parseDouble(m.group(1)) > 100, test + " requests/s: " + m.group(1));
        }
        long total = 0;
        for (int n = 0; n < 3; n++) {
            long keys = nodes.storeOf(n).keyCount();
            assertTrue(keys > 0, "node " + n + " got none of the benchmark's keys");
            total += keys;
            try (Jedis j = new Jedis(hp(n))) {
                assertTrue(j.info("cluster").contains("rawio_keys_in_other_slots:0"));
            }
        }
        assertTrue(total <= requests, total + " keys from " + requests + " SETs");
    }
}
