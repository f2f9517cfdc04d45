package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.SlotStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The server with the clients people use, as processes (from the OS packages: redis-tools and
 * python3-redis; each test skips with the reason when its client is missing).
 */
@Timeout(180)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class RedisClientsTest {
    @Parameter
    String loop;

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;
    RunningServer running;
    SlotStore store;
    ServerLoop server;

    @BeforeEach
    void start() throws Exception {
        running = new RunningServer(loop, dir, 160L << 20, 2L << 20);
        store = running.store;
        server = running.server;
    }

    @AfterEach
    void stop() throws Exception {
        running.close();
    }



    private String port() {
        return Integer.toString(server.address().getPort());
    }

    @Test
    void redisCli() throws Exception {
        assumeTrue(Tools.onPath("redis-cli"), "redis-cli not installed (apt-get install redis-tools)");
        List<String> base = List.of("redis-cli", "-h", "127.0.0.1", "-p", port());
        String[][] script = {
            {"SET", "greeting", "hello world"}, {"OK"},
            {"GET", "greeting"}, {"hello world"},
            {"MSET", "a", "1", "b", "2"}, {"OK"},
            {"MGET", "a", "b", "c"}, {"1\n2\n"},
            {"DBSIZE"}, {"3"},
            {"NOSUCH"}, {"ERR unknown command 'NOSUCH'"},
            {"KEYS", "[a]"}, {"a\n"},
            {"--scan", "--pattern", "gree*"}, {"greeting"},
        };
        for (int i = 0; i < script.length; i += 2) {
            List<String> c = new ArrayList<>(base);
            c.addAll(List.of(script[i]));
            String[] r = Tools.exec(c);
            assertEquals("0", r[0], r[1]);
            assertTrue(r[1].startsWith(script[i + 1][0]), String.join(" ", script[i]) + " -> " + r[1]);
        }
    }

    @Test
    void redisBenchmarkRunsToTheEnd() throws Exception {
        assumeTrue(Tools.onPath("redis-benchmark"), "redis-benchmark not installed (apt-get install redis-tools)");
        String[] r = Tools.exec(List.of("redis-benchmark", "-h", "127.0.0.1", "-p", port(), "-t", "set,get", "-n", "4000",
                "-c", "10", "-P", "8", "-d", "1000", "-q"));
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("SET: ") && r[1].contains("GET: ") && r[1].contains("requests per second"), r[1]);
    }

    /**
     * redis-py as LMCache's redis connector uses it: every chunk is two keys, "<key>kv_bytes" (1 MiB)
     * and "<key>metadata" (300 bytes), written and read back by several threads over a connection pool.
     */
    @Test
    void redisPyLmcacheStyleSession() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON);
        String[] probe = Tools.exec(List.of(PYTHON.toString(), "-c", "import redis"));
        assumeTrue(probe[0].equals("0"), "python3-redis not installed (apt-get install python3-redis)");
        String script = """
                import redis, sys, threading, hashlib
                pool = redis.ConnectionPool(host="127.0.0.1", port=int(sys.argv[1]))
                errors = []
                def work(t):
                    try:
                        r = redis.Redis(connection_pool=pool)
                        for i in range(10):
                            key = f"model@rank{t}@chunk{i}"
                            kv = hashlib.sha256(key.encode()).digest() * (1048576 // 32)
                            meta = (key.encode() * 20)[:300]
                            p = r.pipeline(transaction=False)
                            p.set(key + "kv_bytes", kv)
                            p.set(key + "metadata", meta)
                            assert p.execute() == [True, True]
                            assert r.exists(key + "kv_bytes", key + "metadata") == 2
                            got = r.mget([key + "kv_bytes", key + "metadata"])
                            assert got[0] == kv and got[1] == meta, key
                    except Exception as e:
                        errors.append(repr(e))
                ts = [threading.Thread(target=work, args=(t,)) for t in range(4)]
                [t.start() for t in ts]
                [t.join() for t in ts]
                print("errors:", errors)
                sys.exit(1 if errors else 0)
                """;
        Path py = dir.resolve("session.py");
        Files.writeString(py, script);
        String[] r = Tools.exec(List.of(PYTHON.toString(), py.toString(), port()));
        assertEquals("0", r[0], r[1]);
        assertEquals(80, store.keyCount(), "4 threads x 10 chunks x 2 keys");
        // Each 1 MiB value was received into a store buffer and written from it, whatever the loop.
        assertEquals(40, store.inPlaceWrites(), "1 MiB values written with no copy");
    }
}
