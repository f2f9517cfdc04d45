package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import glide.api.GlideClient;
import glide.api.GlideClusterClient;
import glide.api.models.configuration.GlideClientConfiguration;
import glide.api.models.configuration.GlideClusterClientConfiguration;
import glide.api.models.configuration.NodeAddress;
import io.rawio.store.SlotClasses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * valkey-glide (Maven, test scope: a Rust core under a Java API, speaking RESP3): its standalone client
 * and its cluster client, which reads the topology with CLUSTER SLOTS and routes by slot to the one node
 * owning all 16384. Skipped, saying why, where its native library is not for this machine.
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class GlideClientsTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    @BeforeAll
    static void nativeLibraryForThisMachine() {
        assumeTrue(System.getProperty("os.arch").equals("amd64"),
                "valkey-glide's native library here is the x86-64 one; this is " + System.getProperty("os.arch"));
    }

    private RunningServer server() throws Exception {
        return new RunningServer(loop, dir, 64L << 20, SlotClasses.forMaxValue(64 << 10), 1L << 20, o -> o);
    }

    private static NodeAddress at(RunningServer rs) {
        return NodeAddress.builder().host("127.0.0.1").port(rs.server.address().getPort()).build();
    }

    @Test
    void standaloneClient() throws Exception {
        try (RunningServer rs = server();
                GlideClient c = GlideClient.createClient(GlideClientConfiguration.builder().address(at(rs))
                        .requestTimeout(20_000).build()).get(30, TimeUnit.SECONDS)) {
            for (int i = 0; i < 200; i++) {
                assertEquals("OK", c.set("gl:" + i, "value-" + i).get(20, TimeUnit.SECONDS));
            }
            for (int i = 0; i < 200; i++) {
                assertEquals("value-" + i, c.get("gl:" + i).get(20, TimeUnit.SECONDS));
            }
            assertArrayEquals(new String[] {"value-3", null}, c.mget(new String[] {"gl:3", "none"}).get(20, TimeUnit.SECONDS));
            assertEquals(2L, c.del(new String[] {"gl:1", "gl:2"}).get(20, TimeUnit.SECONDS));
            assertArrayEquals("value-9".getBytes(StandardCharsets.UTF_8), rs.store.get("gl:9".getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void clusterClient() throws Exception {
        try (RunningServer rs = server();
                GlideClusterClient c = GlideClusterClient.createClient(GlideClusterClientConfiguration.builder()
                        .address(at(rs)).requestTimeout(20_000).build()).get(30, TimeUnit.SECONDS)) {
            for (int i = 0; i < 200; i++) {
                assertEquals("OK", c.set("gc:" + i, "value-" + i).get(20, TimeUnit.SECONDS));
            }
            for (int i = 0; i < 200; i++) {
                assertEquals("value-" + i, c.get("gc:" + i).get(20, TimeUnit.SECONDS));
            }
            assertEquals(3L, c.exists(new String[] {"gc:1", "gc:2", "gc:3"}).get(20, TimeUnit.SECONDS),
                    "keys of several slots, split by the client");
            assertEquals(List.of("value-5"), List.of(new String(rs.store.get("gc:5".getBytes(StandardCharsets.UTF_8)),
                    StandardCharsets.UTF_8)));
        }
    }
}
