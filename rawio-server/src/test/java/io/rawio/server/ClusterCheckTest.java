package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.server.cluster.ClusterCheck;
import io.rawio.server.cluster.ClusterConfig;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link ClusterCheck} against three running nodes: what it finds when all is well, and each thing it reports. */
@Timeout(120)
class ClusterCheckTest {
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

    private ClusterCheck.Report check(ClusterConfig config) {
        return ClusterCheck.run("c.conf", config, null, 2_000);
    }

    private String keyOf(int node) {
        for (int i = 0; ; i++) {
            if (nodes.owner("key" + i) == node) {
                return "key" + i;
            }
        }
    }

    @Test
    void allWellThenEachProblem() throws Exception {
        try (RespClient c = new RespClient(nodes.address(1))) {
            assertEquals("+OK\r\n", c.call("SET", keyOf(1), "v"));
        }
        ClusterCheck.Report r = check(nodes.config);
        assertEquals(0, r.problems(), String.join("\n", r.lines()));
        assertEquals("cluster c.conf: 3 nodes, 16384 of 16384 slots assigned, each to one node", r.lines().getFirst());
        assertEquals("node n1 127.0.0.1:" + nodes.ports[1] + " slots 5461-10921 (5461): up, 1 key", r.lines().get(2));
        assertEquals("3 of 3 nodes up, 1 key in all; no problems", r.lines().getLast());

        // A key left on node 0 in a slot of node 1 (as after a change of the map).
        nodes.stop(0);
        try (SlotStore s = SlotStore.open(nodes.store(0), StoreOptions.defaults().withEngine("psync"))) {
            s.put(keyOf(1).getBytes(StandardCharsets.UTF_8), "stale".getBytes(StandardCharsets.UTF_8));
        }
        nodes.start(0);
        r = check(nodes.config);
        assertEquals(1, r.problems(), String.join("\n", r.lines()));
        assertTrue(r.lines().get(1).contains("up, 1 key; PROBLEM: 1 of them in slots it does not own"), r.lines().get(1));

        // A node down, and a file that is not the one the nodes run.
        nodes.stop(2);
        String text = "n0 127.0.0.1:" + nodes.ports[0] + " 0-5460\nn1 127.0.0.1:" + nodes.ports[1] + " 5461-10921\n"
                + "n2 127.0.0.1:" + nodes.ports[2] + " 10922-16000\n";
        r = check(ClusterConfig.parse("c.conf", text));
        String all = String.join("\n", r.lines());
        assertTrue(all.contains("PROBLEM: slots 16001-16383 have no node"), all);
        assertTrue(all.contains("node n2 127.0.0.1:" + nodes.ports[2] + " slots 10922-16000 (5079): PROBLEM: unreachable"), all);
        assertTrue(all.contains("up, 1 key; PROBLEM: it runs another cluster map (restart it with this file)"), all);
        assertEquals(5, r.problems(), all); // the gap, n2 down, n0's and n1's map, n0's stale key
        assertTrue(r.lines().getLast().startsWith("2 of 3 nodes up, 2 keys in all; 5 problems"), all);
    }
}
