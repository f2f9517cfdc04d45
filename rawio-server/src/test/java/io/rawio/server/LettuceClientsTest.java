package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.KeyValue;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.rawio.store.SlotClasses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Lettuce (Maven, test scope), which opens with HELLO 3 and so speaks RESP3: its standalone client with
 * pipelined asynchronous commands and binary values, and its cluster client, which reads the topology
 * from CLUSTER NODES (a RESP3 verbatim string) and routes by slot to the one node owning all 16384.
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class LettuceClientsTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;
    RunningServer running;
    ClientResources resources;
    RedisURI uri;

    @BeforeEach
    void start() throws Exception {
        running = new RunningServer(loop, dir, 128L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)), 1L << 20,
                o -> o);
        resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        uri = RedisURI.builder().withHost("127.0.0.1").withPort(running.server.address().getPort())
                .withTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterEach
    void stop() throws Exception {
        resources.shutdown(0, 5, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        running.close();
    }

    /** Up to 3,000 bytes: every value in the 4 KiB class, whose slots hold them all (none evicted). */
    private static byte[] value(int i) {
        byte[] v = new byte[1 + (i * 7919) % 3000];
        new java.util.SplittableRandom(i).nextBytes(v);
        return v;
    }

    @Test
    void standaloneSyncAndPipelinedAsync() throws Exception {
        RedisClient client = RedisClient.create(resources, uri);
        try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
            RedisCommands<byte[], byte[]> sync = c.sync();
            assertEquals("PONG", sync.ping());
            assertTrue(sync.info("server").contains("redis_version:"),
                    "INFO over RESP3 (a verbatim string)");
            // 500 SETs and their GETs in flight at once on one connection, binary values.
            RedisAsyncCommands<byte[], byte[]> async = c.async();
            c.setAutoFlushCommands(false);
            List<RedisFuture<String>> sets = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                sets.add(async.set(("lt:" + i).getBytes(StandardCharsets.UTF_8), value(i)));
            }
            List<RedisFuture<byte[]>> gets = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                gets.add(async.get(("lt:" + i).getBytes(StandardCharsets.UTF_8)));
            }
            c.flushCommands();
            assertTrue(LettuceFutures.awaitAll(Duration.ofSeconds(60), sets.toArray(new RedisFuture[0])));
            assertTrue(LettuceFutures.awaitAll(Duration.ofSeconds(60), gets.toArray(new RedisFuture[0])));
            c.setAutoFlushCommands(true);
            for (int i = 0; i < 500; i++) {
                assertEquals("OK", sets.get(i).get());
                assertArrayEquals(value(i), gets.get(i).get(), "lt:" + i);
                assertArrayEquals(value(i), running.store.get(("lt:" + i).getBytes(StandardCharsets.UTF_8)));
            }
            List<KeyValue<byte[], byte[]>> m = sync.mget("lt:1".getBytes(StandardCharsets.UTF_8),
                    "none".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals(value(1), m.get(0).getValue());
            assertTrue(m.get(1).isEmpty(), "RESP3's null: no value");
            assertEquals(1L, sync.del("lt:1".getBytes(StandardCharsets.UTF_8)));
            assertEquals(0L, sync.exists("lt:1".getBytes(StandardCharsets.UTF_8)));
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
    }

    @Test
    void clusterClientFindsOneNodeOwningEverySlot() throws Exception {
        RedisClusterClient client = RedisClusterClient.create(resources, uri);
        try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
            List<RedisClusterNode> nodes = client.getPartitions().getPartitions();
            assertEquals(1, nodes.size(), "one node, from CLUSTER NODES: " + nodes);
            assertEquals(16384, nodes.getFirst().getSlots().size());
            RedisAdvancedClusterCommands<String, String> sync = c.sync();
            for (int i = 0; i < 300; i++) {
                assertEquals("OK", sync.set("lc:" + i, "value-" + i));
            }
            for (int i = 0; i < 300; i++) {
                assertEquals("value-" + i, sync.get("lc:" + i));
            }
            assertEquals("value-7", new String(running.store.get("lc:7".getBytes(StandardCharsets.UTF_8)),
                    StandardCharsets.UTF_8));
            assertEquals(3L, sync.exists("lc:1", "lc:2", "lc:3"), "keys of several slots, split by the client");
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
    }
}
