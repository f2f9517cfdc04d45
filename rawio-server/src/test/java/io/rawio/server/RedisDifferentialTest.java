package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same random requests ({@link RandomCommands}) to redis-server 7 and to this server, reply for reply:
 * one connection with requests of every kind, then several connections pipelining at once on keys of
 * their own (the rounds and waves across connections). Replies must be the same bytes, but for what two
 * servers rightly differ in ({@link #comparable}): the clocks, the order of keys, what each says of
 * itself (COMMAND, HELLO). A mismatch names the seed,
 * the request and both replies. Runs where redis-server 7 is installed (apt-get install redis-server).
 */
@Timeout(240)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class RedisDifferentialTest {
    private static final long SEED = Long.getLong("rawio.test.diffSeed", 20261204L);
    private static Process redis;
    private static InetSocketAddress redisAddress;

    @Parameter
    String loop;
    @TempDir
    Path dir;
    RunningServer running;

    @BeforeAll
    static void startRedis() throws Exception {
        assumeTrue(Tools.onPath("redis-server"), "redis-server not installed (apt-get install redis-server)");
        String[] version = Tools.exec(List.of("redis-server", "--version"), 10);
        assumeTrue(version[1].contains(" v=7."), "redis-server is not version 7: " + version[1].strip());
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        redisAddress = new InetSocketAddress("127.0.0.1", port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (RespClient c = new RespClient(redisAddress)) {
                if (c.call("PING").equals("+PONG\r\n")) {
                    return;
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !redis.isAlive()) {
                    throw new AssertionError("redis-server did not start on port " + port, e);
                }
                Thread.sleep(50);
            }
        }
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) {
            redis.destroy();
            if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
        }
    }

    @BeforeEach
    void start() throws Exception {
        // Every small class far larger than the writes of a run: no key is evicted (which redis-server would keep).
        running = new RunningServer(loop, dir, 512L << 20, 64L << 10);
        try (RespClient c = new RespClient(redisAddress)) {
            c.call("FLUSHALL");
        }
    }

    @AfterEach
    void stop() throws Exception {
        running.close();
    }

    private static final Pattern BULK = Pattern.compile("\\$\\d+\r\n(.*?)\r\n", Pattern.DOTALL);

    /**
     * What of a reply must be the same: a positive TTL and TIME are the clocks', the order of KEYS and of a
     * whole SCAN the servers' own, which key RANDOMKEY picks, and a SCAN's cursor and what a part of one gives the server's.
     */
    static String comparable(List<String> request, String reply) {
        String name = request.getFirst().toUpperCase(Locale.ROOT);
        if ((name.equals("TTL") || name.equals("PTTL")) && reply.startsWith(":") && !reply.startsWith(":-")) {
            return ":<positive>\r\n";
        }
        if (name.equals("TIME") && reply.startsWith("*2")) {
            return "time";
        }
        if (name.equals("RANDOMKEY") && reply.startsWith("$") && !reply.startsWith("$-1")) {
            return "a key";
        }
        if ((name.equals("COMMAND") || name.equals("HELLO")) && !reply.startsWith("-")) {
            return "the server's own"; // its commands; its version, client id and mode
        }
        if ((name.equals("KEYS") && reply.startsWith("*")) || (name.equals("SCAN") && reply.startsWith("*2\r\n$1\r\n0\r\n"))) {
            TreeSet<String> keys = new TreeSet<>();
            Matcher m = BULK.matcher(reply);
            while (m.find()) {
                keys.add(m.group(1));
            }
            return "keys " + keys;
        }
        if (name.equals("SCAN") && reply.startsWith("*2")) {
            return "a part of a scan";
        }
        return reply;
    }

    private static String shown(List<String> request) {
        List<String> s = new ArrayList<>();
        for (String a : request) {
            s.add(a.length() > 60 ? a.substring(0, 20) + "...(" + a.length() + " chars)" : a);
        }
        return s.toString();
    }

    private static String shown(String reply) {
        return reply.length() > 200 ? reply.substring(0, 200) + "...(" + reply.length() + " chars)" : reply;
    }

    @Test
    void oneConnectionGetsRedisRepliesToEveryKindOfRequest() throws Exception {
        List<String> mismatches = new ArrayList<>();
        RandomCommands gen = new RandomCommands(SEED, "", true);
        try (RespClient a = new RespClient(redisAddress); RespClient b = new RespClient(running.server.address())) {
            for (int i = 0; i < 3_000 && mismatches.size() < 5; i++) {
                List<String> req = gen.next();
                String[] args = req.toArray(String[]::new);
                String want = a.call(args);
                String got = b.call(args);
                if (!comparable(req, want).equals(comparable(req, got))) {
                    mismatches.add("#" + i + " " + shown(req) + "\n  redis-server: " + shown(want) + "\n  rawio: " + shown(got));
                }
            }
        }
        assertTrue(mismatches.isEmpty(), "seed " + SEED + " (-Drawio.test.diffSeed):\n" + String.join("\n", mismatches));
    }

    @Test
    void connectionsPipeliningAtOnceGetRedisReplies() throws Exception {
        int conns = 4;
        List<String> mismatches = new ArrayList<>();
        java.util.Random depths = new java.util.Random(SEED);
        List<RandomCommands> gens = new ArrayList<>();
        List<RespClient> as = new ArrayList<>();
        List<RespClient> bs = new ArrayList<>();
        try {
            for (int i = 0; i < conns; i++) {
                gens.add(new RandomCommands(SEED * 31 + i, "c" + i + ":", false));
                as.add(new RespClient(redisAddress));
                bs.add(new RespClient(running.server.address()));
            }
            int done = 0;
            while (done < 12_000 && mismatches.size() < 5) {
                List<List<List<String>>> batches = new ArrayList<>();
                for (int i = 0; i < conns; i++) {
                    List<List<String>> batch = new ArrayList<>();
                    for (int k = List.of(1, 2, 8, 32, 64, 200).get(depths.nextInt(6)); k > 0; k--) {
                        batch.add(gens.get(i).next());
                    }
                    batches.add(batch);
                }
                // Every connection's pipeline goes out before any reply is read: the server takes them in
                // the same rounds.
                for (int i = 0; i < conns; i++) {
                    String[][] reqs = batches.get(i).stream().map(l -> l.toArray(String[]::new)).toArray(String[][]::new);
                    as.get(i).sendAll(reqs);
                    bs.get(i).sendAll(reqs);
                }
                for (int i = 0; i < conns; i++) {
                    for (List<String> req : batches.get(i)) {
                        String want = as.get(i).reply();
                        String got = bs.get(i).reply();
                        done++;
                        if (!comparable(req, want).equals(comparable(req, got)) && mismatches.size() < 5) {
                            mismatches.add("connection " + i + " " + shown(req) + "\n  redis-server: " + shown(want)
                                    + "\n  rawio: " + shown(got));
                        }
                    }
                }
            }
        } finally {
            for (RespClient c : as) {
                c.close();
            }
            for (RespClient c : bs) {
                c.close();
            }
        }
        assertTrue(mismatches.isEmpty(), "seed " + SEED + " (-Drawio.test.diffSeed):\n" + String.join("\n", mismatches));
    }
}
