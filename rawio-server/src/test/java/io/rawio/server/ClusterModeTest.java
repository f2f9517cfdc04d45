package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.server.cluster.KeySlot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Three servers as one static cluster, spoken to byte for byte: the MOVED and CROSSSLOT replies (Redis's
 * exact shapes) for plain GETs and SETs (the batcher's path, pipelined) and for the commands of the table,
 * keyless commands answered locally, and the whole map from every node.
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class ClusterModeTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;
    ClusterNodes nodes;

    @BeforeEach
    void start() throws Exception {
        nodes = new ClusterNodes(loop, dir, 3);
    }

    @AfterEach
    void stop() throws Exception {
        nodes.close();
    }

    /** The index of the node that owns {@code key}'s slot. */
    private int owner(String key) {
        return nodes.owner(key);
    }

    /** A key whose slot node {@code i} owns. */
    private String keyOf(int i, String prefix) {
        for (int k = 0; ; k++) {
            if (owner(prefix + k) == i) {
                return prefix + k;
            }
        }
    }

    private String moved(String key) {
        int slot = KeySlot.of(key.getBytes(StandardCharsets.UTF_8));
        return "-MOVED " + slot + " 127.0.0.1:" + nodes.ports[owner(key)] + "\r\n";
    }

    @Test
    void keysOfOtherNodesAreMoved() throws Exception {
        String mine = keyOf(0, "k");
        String theirs = keyOf(1, "k");
        String third = keyOf(2, "k");
        try (RespClient c = new RespClient(nodes.address(0))) {
            assertEquals("+OK\r\n", c.call("SET", mine, "v"));
            assertEquals("$1\r\nv\r\n", c.call("GET", mine));
            assertEquals(moved(theirs), c.call("SET", theirs, "v"));
            assertEquals(moved(theirs), c.call("GET", theirs));
            assertEquals(moved(third), c.call("GET", third));
            // A pipeline mixing the batcher's GETs and SETs with redirected ones keeps its order.
            c.sendAll(new String[] {"SET", mine, "w"}, new String[] {"SET", theirs, "x"}, new String[] {"GET", mine},
                    new String[] {"GET", third}, new String[] {"GET", mine});
            assertEquals("+OK\r\n", c.reply());
            assertEquals(moved(theirs), c.reply());
            assertEquals("$1\r\nw\r\n", c.reply());
            assertEquals(moved(third), c.reply());
            assertEquals("$1\r\nw\r\n", c.reply());
            for (String cmd : new String[] {"TTL", "STRLEN", "TYPE", "EXISTS", "DEL", "GETDEL", "PERSIST"}) {
                assertEquals(moved(theirs), c.call(cmd, theirs), cmd);
            }
            assertEquals(moved(theirs), c.call("EXPIRE", theirs, "10"));
            assertEquals(moved(theirs), c.call("SET", theirs, "v", "EX", "10"));
            // Multi-key commands: one slot runs (here or MOVED), several slots are CROSSSLOT.
            assertEquals("*2\r\n$1\r\nw\r\n$-1\r\n", c.call("MGET", mine, "{" + mine + "}x"));
            assertEquals("+OK\r\n", c.call("MSET", "{" + mine + "}a", "1", "{" + mine + "}b", "2"));
            assertEquals("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", c.call("MGET", "{" + mine + "}a", "{" + mine + "}b"));
            String cross = "-" + Redirects.CROSSSLOT + "\r\n";
            assertEquals("-CROSSSLOT Keys in request don't hash to the same slot\r\n", cross);
            assertEquals(cross, c.call("MGET", mine, theirs));
            assertEquals(cross, c.call("DEL", mine, theirs));
            assertEquals(cross, c.call("EXISTS", mine, theirs));
            assertEquals(cross, c.call("MSET", mine, "1", theirs, "2"));
            assertEquals(moved(theirs), c.call("MGET", "{" + theirs + "}a", "{" + theirs + "}b"));
            assertEquals(":2\r\n", c.call("DEL", "{" + mine + "}a", "{" + mine + "}b"));
            // Keyless commands stay local.
            assertEquals("+PONG\r\n", c.call("PING"));
            assertEquals(":1\r\n", c.call("DBSIZE"));
            assertEquals("*1\r\n$" + mine.length() + "\r\n" + mine + "\r\n", c.call("KEYS", "*"));
            String info = c.call("INFO", "cluster");
            assertTrue(info.contains("cluster_enabled:1") && info.contains("rawio_cluster_node:n0")
                    && info.contains("rawio_keys_in_owned_slots:1") && info.contains("rawio_keys_in_other_slots:0"), info);
            assertTrue(info.contains("rawio_cluster_digest:" + nodes.config.digest()), info);
        }
        try (RespClient c = new RespClient(nodes.address(1))) {
            assertEquals("+OK\r\n", c.call("SET", theirs, "there"));
            assertEquals(moved(mine), c.call("GET", mine));
        }
        assertEquals(1, nodes.storeOf(0).keyCount());
        assertEquals(1, nodes.storeOf(1).keyCount());
    }

    @Test
    void everyNodeGivesTheWholeMap() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (RespClient c = new RespClient(nodes.address(i))) {
                String slots = c.call("CLUSTER", "SLOTS");
                assertTrue(slots.startsWith("*3\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:" + nodes.ports[0]
                        + "\r\n$40\r\n" + nodes.config.node("n0").id() + "\r\n"), slots);
                assertTrue(slots.contains(":10922\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:" + nodes.ports[2]), slots);
                String myId = c.call("CLUSTER", "MYID");
                assertEquals("$40\r\n" + nodes.config.node("n" + i).id() + "\r\n", myId);
                String clusterNodes = c.call("CLUSTER", "NODES");
                assertEquals(3, clusterNodes.split(" connected", -1).length - 1, clusterNodes);
                assertTrue(clusterNodes.contains(nodes.config.node("n" + i).id() + " 127.0.0.1:" + nodes.ports[i] + "@"
                        + (nodes.ports[i] + 10000 > 65535 ? 0 : nodes.ports[i] + 10000) + " myself,master - 0 0 "
                        + (i + 1) + " connected "), clusterNodes);
                assertTrue(clusterNodes.contains(" connected 5461-10921\n"), clusterNodes);
                String info = c.call("CLUSTER", "INFO");
                assertTrue(info.contains("cluster_state:ok\r\ncluster_slots_assigned:16384")
                        && info.contains("cluster_known_nodes:3\r\ncluster_size:3"), info);
                String shards = c.call("CLUSTER", "SHARDS");
                assertTrue(shards.startsWith("*3\r\n"), shards);
                assertEquals(":" + KeySlot.of("foo".getBytes(StandardCharsets.UTF_8)) + "\r\n",
                        c.call("CLUSTER", "KEYSLOT", "foo"));
            }
        }
    }
}
