package io.rawio.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The cluster file: what it accepts, and the one line it says for each mistake. */
class ClusterConfigTest {
    private static final String THREE = """
            # three nodes
            a 127.0.0.1:7001 0-5460
            b 127.0.0.1:7002 5461-10922   # the middle
            c 127.0.0.1:7003 10923-16383
            """;

    @Test
    void threeNodesCoverEverySlot() throws Exception {
        ClusterConfig c = ClusterConfig.parse("f", THREE);
        assertEquals(3, c.nodes().size());
        assertEquals("127.0.0.1:7002", c.node("b").address());
        assertEquals(5462, c.node("b").slotCount());
        assertTrue(c.unassigned().isEmpty());
        assertEquals(40, c.node("a").id().length());
        assertNotEquals(c.node("a").id(), c.node("b").id());
        ClusterMap b = ClusterMap.as(c, "b");
        assertTrue(b.owns(5461) && b.owns(10922));
        assertFalse(b.owns(5460) || b.owns(10923));
        assertEquals("c", b.owner(16383).name());
        assertEquals("b", ClusterMap.byAddress(c, 7002, List.of("127.0.0.1"), false).self().name());
    }

    @Test
    void singleSlotsIpv6AndGapsAreAllowed() throws Exception {
        ClusterConfig c = ClusterConfig.parse("f", "x [::1]:7001 0-99 150 200-299\ny 127.0.0.1:7002\n");
        assertEquals("[::1]:7001", c.node("x").address());
        assertEquals("::1", c.node("x").host());
        assertEquals("0-99 150 200-299", ClusterConfig.format(c.node("x").ranges()));
        assertEquals("100-149 151-199 300-16383", ClusterConfig.format(c.unassigned()));
        assertEquals(0, c.node("y").slotCount());
        assertEquals(null, ClusterMap.as(c, "x").owner(120));
    }

    @Test
    void aNameOf40HexDigitsIsTheNodeId() throws Exception {
        String hex = "0123456789abcdef0123456789abcdef01234567";
        assertEquals(hex, ClusterConfig.parse("f", hex + " h:1 0-16383").nodes().getFirst().id());
    }

    @Test
    void theDigestChangesWithTheMap() throws Exception {
        String d = ClusterConfig.parse("f", THREE).digest();
        assertEquals(d, ClusterConfig.parse("g", THREE.replace("# the middle", "")).digest());
        assertNotEquals(d, ClusterConfig.parse("f", THREE.replace("5460", "5459").replace("5461", "5460")).digest());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a 127.0.0.1:7001 0-100\\nb 127.0.0.1:7002 100-200|f:2: slot 100 (in 100-200) is already owned by node 'a' on line 1",
        "a 127.0.0.1:7001 0-100 50|f:1: slot 50 (in 50) is already owned by node 'a' on line 1",
        "a 127.0.0.1:7001 0-16384|f:1: bad slot range '0-16384' (START-END or SLOT, slots 0 to 16383)",
        "a 127.0.0.1:7001 10-5|f:1: bad slot range '10-5' (its start is past its end)",
        "a 127.0.0.1:7001 x|f:1: bad slot range 'x' (START-END or SLOT, slots 0 to 16383)",
        "a 127.0.0.1:7001 -5|f:1: bad slot range '-5' (START-END or SLOT, slots 0 to 16383)",
        "a 127.0.0.1|f:1: bad address '127.0.0.1' (HOST:PORT)",
        "a 127.0.0.1:0 1|f:1: bad port in '127.0.0.1:0' (1 to 65535)",
        "a 127.0.0.1:70000 1|f:1: bad port in '127.0.0.1:70000' (1 to 65535)",
        "a ::1:7001 1|f:1: bad address '::1:7001' (an IPv6 host goes in brackets: [::1]:7001)",
        "a h:1 1\\na h:2 2|f:2: node 'a' is already on line 1",
        "a h:1 1\\nb h:1 2|f:2: address h:1 is already node a",
        "a/b h:1 1|f:1: bad node name 'a/b' (1 to 40 of A-Z a-z 0-9 _ . -)",
        "a|f:1: expected NAME HOST:PORT [SLOTS...], got 'a'",
        "# nothing|f: no nodes (lines of NAME HOST:PORT SLOTS...)",
    })
    void mistakesAreOneLine(String text, String message) {
        var e = assertThrows(ClusterConfig.Invalid.class, () -> ClusterConfig.parse("f", text.replace("\\n", "\n")));
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void unknownNodeAndAmbiguousAddress(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.conf");
        Files.writeString(f, THREE);
        ClusterConfig c = ClusterConfig.read(f);
        assertEquals("no node 'd' in the cluster file (its nodes: a, b, c)",
                assertThrows(ClusterConfig.Invalid.class, () -> ClusterMap.as(c, "d")).getMessage());
        assertTrue(assertThrows(ClusterConfig.Invalid.class,
                () -> ClusterMap.byAddress(c, 7009, List.of("127.0.0.1"), false)).getMessage()
                .startsWith("no node in the cluster file has this server's address (port 7009"));
        ClusterConfig two = ClusterConfig.parse("f", "a 10.0.0.1:7001 0-99\nb 10.0.0.2:7001 100-199\n");
        assertTrue(assertThrows(ClusterConfig.Invalid.class,
                () -> ClusterMap.byAddress(two, 7001, List.of("0.0.0.0"), true)).getMessage()
                .contains("give --cluster-node=NAME"));
        assertEquals(dir.resolve("none") + ": no such file",
                assertThrows(ClusterConfig.Invalid.class, () -> ClusterConfig.read(dir.resolve("none"))).getMessage());
    }
}
