package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.SlotClasses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * twemproxy (nutcracker, from the OS packages) in front of three rawio servers, with the configuration
 * the docs give (docs/twemproxy/nutcracker.yml: ketama, redis: true), its ports replaced by the test's:
 * 10,000 keys written and read back through the proxy, spread over the three stores, and the commands
 * that pass through it (and those it refuses) checked one by one. Skipped, saying why, without nutcracker.
 */
@Timeout(180)
class TwemproxyTest {
    private static final int KEYS = 10_000;

    @TempDir
    Path dir;
    final List<RunningServer> servers = new ArrayList<>();
    Process proxy;
    int proxyPort;

    /** The docs' configuration file (the tests run in the module's directory). */
    static Path documentedConfig() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("docs/twemproxy/nutcracker.yml"))) {
                return p.resolve("docs/twemproxy/nutcracker.yml");
            }
        }
        throw new AssertionError("docs/twemproxy/nutcracker.yml not found above " + Path.of("").toAbsolutePath());
    }

    @BeforeEach
    void start() throws Exception {
        assumeTrue(Tools.onPath("nutcracker"), "nutcracker not installed (apt-get install nutcracker)");
        String loop = RunningServer.loops().getFirst();
        for (int i = 0; i < 3; i++) {
            Path d = Files.createDirectory(dir.resolve("s" + i));
            servers.add(new RunningServer(loop, d, 64L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)),
                    1L << 20, o -> o));
        }
        int[] ports = ClusterNodes.freePorts(2);
        proxyPort = ports[0];
        String conf = Files.readString(documentedConfig()).replace("127.0.0.1:22121", "127.0.0.1:" + proxyPort);
        for (int i = 0; i < 3; i++) {
            conf = conf.replace("127.0.0.1:700" + (i + 1) + ":1", "127.0.0.1:" + servers.get(i).server.address().getPort()
                    + ":1");
        }
        Path file = dir.resolve("nutcracker.yml");
        Files.writeString(file, conf);
        proxy = new ProcessBuilder(Tools.onPath("nutcracker") ? "nutcracker" : "/usr/sbin/nutcracker", "-c",
                file.toString(), "-s", Integer.toString(ports[1]), "-a", "127.0.0.1", "-p",
                dir.resolve("nutcracker.pid").toString(), "-o", dir.resolve("nutcracker.log").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nutcracker.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", proxyPort), 1000);
                break;
            } catch (IOException e) {
                assertTrue(proxy.isAlive(), () -> "nutcracker ended: " + log());
                assertTrue(System.nanoTime() < deadline, "nutcracker listening within 20 s");
                Thread.sleep(50);
            }
        }
    }

    private String log() {
        StringBuilder sb = new StringBuilder();
        for (String f : new String[] {"nutcracker.out", "nutcracker.log"}) {
            try {
                sb.append(Files.readString(dir.resolve(f)));
            } catch (IOException e) {
                sb.append("(no ").append(f).append(")");
            }
        }
        return sb.toString();
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.destroy();
            if (!proxy.waitFor(10, TimeUnit.SECONDS)) {
                proxy.destroyForcibly();
            }
        }
        for (RunningServer s : servers) {
            s.close();
        }
    }

    @Test
    void tenThousandKeysThroughTheProxy() throws Exception {
        // A raw pipeline: Jedis sends CLIENT SETINFO at connect, which the proxy refuses (it has no key).
        try (RespClient c = new RespClient(new InetSocketAddress("127.0.0.1", proxyPort))) {
            for (int from = 0; from < KEYS; from += 1000) {
                String[][] batch = new String[1000][];
                for (int i = 0; i < 1000; i++) {
                    batch[i] = new String[] {"SET", "tw:" + (from + i), "value-" + (from + i)};
                }
                c.sendAll(batch);
                for (int i = 0; i < 1000; i++) {
                    assertEquals("+OK\r\n", c.reply(), "SET tw:" + (from + i));
                }
            }
            for (int from = 0; from < KEYS; from += 1000) {
                String[][] batch = new String[1000][];
                for (int i = 0; i < 1000; i++) {
                    batch[i] = new String[] {"GET", "tw:" + (from + i)};
                }
                c.sendAll(batch);
                for (int i = 0; i < 1000; i++) {
                    String v = "value-" + (from + i);
                    assertEquals("$" + v.length() + "\r\n" + v + "\r\n", c.reply(), "GET tw:" + (from + i));
                }
            }
        }
        long total = 0;
        for (RunningServer s : servers) {
            long keys = s.store.keyCount();
            assertTrue(keys > KEYS / 5, "ketama spreads the keys: " + keys + " on one of 3 servers");
            total += keys;
        }
        assertEquals(KEYS, total, "each key on one server");
    }

    /** Sends one request on a new connection; its reply raw, or "closed" when the proxy drops the connection. */
    private String call(String... args) throws IOException {
        try (RespClient c = new RespClient(new InetSocketAddress("127.0.0.1", proxyPort))) {
            c.send(args);
            try {
                return c.reply();
            } catch (IOException e) {
                return "closed";
            }
        }
    }

    @Test
    void theCommandsThatPassThrough() throws Exception {
        Map<List<String>, String> pass = new LinkedHashMap<>();
        pass.put(List.of("SET", "a", "1"), "+OK\r\n");
        pass.put(List.of("GET", "a"), "$1\r\n1\r\n");
        pass.put(List.of("MSET", "b", "2", "c", "3", "d", "4"), "+OK\r\n");
        pass.put(List.of("MGET", "a", "b", "c", "d", "none"), "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$-1\r\n");
        pass.put(List.of("EXISTS", "a"), ":1\r\n");
        pass.put(List.of("EXISTS", "a", "b", "none"), ":2\r\n");
        pass.put(List.of("SET", "g", "7", "EX", "100"), "+OK\r\n");
        pass.put(List.of("GETEX", "g", "PERSIST"), "$1\r\n7\r\n");
        pass.put(List.of("GETDEL", "g"), "$1\r\n7\r\n");
        pass.put(List.of("SETEX", "e", "100", "5"), "+OK\r\n");
        pass.put(List.of("PSETEX", "f", "100000", "6"), "+OK\r\n");
        pass.put(List.of("SETNX", "a", "x"), ":0\r\n");
        pass.put(List.of("STRLEN", "a"), ":1\r\n");
        pass.put(List.of("TTL", "e"), ":100\r\n");
        pass.put(List.of("EXPIRE", "a", "50"), ":1\r\n");
        pass.put(List.of("PEXPIRE", "a", "50000"), ":1\r\n");
        pass.put(List.of("PERSIST", "a"), ":1\r\n");
        pass.put(List.of("PTTL", "a"), ":-1\r\n");
        pass.put(List.of("TYPE", "a"), "+string\r\n");
        pass.put(List.of("EXPIREAT", "a", "4102444800"), ":1\r\n");
        pass.put(List.of("PEXPIREAT", "a", "4102444800000"), ":1\r\n");
        pass.put(List.of("DEL", "b", "c", "d", "none"), ":3\r\n");
        pass.put(List.of("UNLINK", "e"), ":1\r\n");
        pass.put(List.of("PING"), "+PONG\r\n");
        for (var e : pass.entrySet()) {
            assertEquals(e.getValue(), call(e.getKey().toArray(String[]::new)), String.join(" ", e.getKey()));
        }
        // Refused by the proxy (it knows no key to route them by, or does not know them): the connection closes
        // or an error comes back, and no server sees them.
        for (List<String> c : List.of(List.of("KEYS", "*"), List.of("SCAN", "0"), List.of("DBSIZE"), List.of("INFO"),
                List.of("FLUSHDB"), List.of("CLUSTER", "SLOTS"))) {
            String r = call(c.toArray(String[]::new));
            assertTrue(r.equals("closed") || r.startsWith("-"), String.join(" ", c) + " -> " + r);
        }
        assertEquals(2, servers.stream().mapToLong(s -> s.store.keyCount()).sum(), "FLUSHDB was not run: a and f stay");
    }
}
