package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SlotClasses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.args.ClientAttributeOption;
import redis.clients.jedis.args.FlushMode;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ClientKillParams;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ClusterShardInfo;
import redis.clients.jedis.resps.ClusterShardNodeInfo;
import redis.clients.jedis.resps.CommandDocument;
import redis.clients.jedis.resps.CommandInfo;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.util.JedisClusterCRC16;
import redis.clients.jedis.util.KeyValue;
import redis.clients.jedis.util.SafeEncoder;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every command the server answers, through Jedis (the Java client most people use), each reply
 * checked against what Redis 7 gives for the same request. The server has a password, so every
 * connection authenticates as Jedis does it (AUTH, or HELLO 3 AUTH, then CLIENT SETINFO).
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class JedisCommandsTest {
    @Parameter
    String loop;

    private static final String PASSWORD = "jedis-s3cret";
    /** Every command the server knows, as COMMAND LIST gives them. */
    private static final Set<String> COMMANDS = Set.of("get", "set", "setex", "psetex", "setnx", "getdel", "getex",
            "strlen", "mget", "mset", "msetnx", "del", "unlink", "exists", "type", "ttl", "pttl", "expire", "pexpire",
            "expireat", "pexpireat", "persist", "scan", "keys", "randomkey", "dbsize", "flushdb", "flushall", "ping",
            "echo", "quit", "auth", "hello", "select", "client", "command", "info", "time", "shutdown", "config",
            "cluster", "readonly", "readwrite");

    @TempDir
    Path dir;
    RunningServer running;
    HostAndPort address;
    final List<Jedis> opened = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        // Half the space in 4 KiB slots (24,576 of them: no key a test writes is evicted), half in 512 KiB.
        running = new RunningServer(loop, dir, 192L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 512L << 10)), 1L << 20,
                o -> o.withPassword(PASSWORD.getBytes(StandardCharsets.UTF_8)));
        address = new HostAndPort("127.0.0.1", running.server.address().getPort());
    }

    @AfterEach
    void stop() throws Exception {
        for (Jedis j : opened) {
            try {
                j.close();
            } catch (RuntimeException e) {
                // a connection the test killed
            }
        }
        running.close();
    }

    private Jedis connect(DefaultJedisClientConfig.Builder config) {
        Jedis j = new Jedis(address, config.socketTimeoutMillis(10_000).connectionTimeoutMillis(10_000).build());
        opened.add(j);
        return j;
    }

    /** A Jedis connection as an application opens one: with the password (AUTH at connect). */
    private Jedis jedis() {
        return connect(DefaultJedisClientConfig.builder().password(PASSWORD));
    }

    private static ProtocolCommand command(String name) {
        byte[] raw = SafeEncoder.encode(name);
        return () -> raw;
    }

    private static String error(Runnable r) {
        return assertThrows(JedisDataException.class, r::run).getMessage();
    }

    /** INFO's text as field -> value (sections' titles and blank lines left out). */
    private static Map<String, String> fields(String info) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : info.split("\r\n")) {
            int colon = line.indexOf(':');
            if (!line.startsWith("#") && colon > 0) {
                m.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return m;
    }

    /** A CLIENT LIST / CLIENT INFO line as field -> value. */
    private static Map<String, String> clientFields(String line) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String f : line.strip().split(" ")) {
            int eq = f.indexOf('=');
            m.put(f.substring(0, eq), f.substring(eq + 1));
        }
        return m;
    }

    /** A reply Jedis gave raw (sendCommand) with its byte strings as text, RESP3 maps as pairs. */
    private static Object text(Object reply) {
        if (reply instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        if (reply instanceof KeyValue<?, ?> kv) {
            return List.of(text(kv.getKey()), text(kv.getValue()));
        }
        if (reply instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object o : l) {
                out.add(text(o));
            }
            return out;
        }
        return reply;
    }

    // ------------------------------------------------------------------ connection

    @Test
    void pingEchoSelectTime() {
        Jedis j = jedis();
        assertEquals("PONG", j.ping());
        assertEquals("hello", j.ping("hello"));
        assertEquals("a b\r\nc", j.echo("a b\r\nc"));
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        assertArrayEquals(all, j.echo(all));
        assertEquals("OK", j.select(0));
        assertEquals("ERR DB index is out of range", error(() -> j.select(1)));
        long before = System.currentTimeMillis();
        List<String> t = j.time();
        long after = System.currentTimeMillis();
        assertEquals(2, t.size());
        long micros = Long.parseLong(t.get(0)) * 1_000_000 + Long.parseLong(t.get(1));
        assertTrue(Long.parseLong(t.get(1)) >= 0 && Long.parseLong(t.get(1)) < 1_000_000, t.toString());
        assertTrue(micros >= before * 1000 - 1000 && micros <= after * 1000 + 1000, t + " vs " + before + ".." + after);
    }

    @Test
    void authIsNeededAndChecked() {
        Jedis j = connect(DefaultJedisClientConfig.builder()); // no password: nothing sent at connect but CLIENT SETINFO
        assertEquals("NOAUTH Authentication required.", error(() -> j.get("k")));
        assertEquals("NOAUTH Authentication required.", error(j::ping));
        assertEquals("WRONGPASS invalid username-password pair or user is disabled.", error(() -> j.auth("wrong")));
        assertEquals("WRONGPASS invalid username-password pair or user is disabled.",
                error(() -> j.auth("someone", PASSWORD)));
        assertEquals("NOAUTH Authentication required.", error(() -> j.set("k", "v")));
        assertEquals("OK", j.auth(PASSWORD));
        assertEquals("OK", j.set("k", "v"));
        assertEquals("OK", j.auth("default", PASSWORD));
        assertEquals("v", j.get("k"));
        Jedis other = connect(DefaultJedisClientConfig.builder().user("default").password(PASSWORD));
        assertEquals("v", other.get("k"));
    }

    @Test
    void helloTwoAndThreeWithAuthAndSetname() {
        // Jedis with RESP3 opens with HELLO 3 AUTH default <password> SETNAME <name>.
        Jedis three = connect(DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3).password(PASSWORD)
                .clientName("jedis-three"));
        assertEquals("jedis-three", three.clientGetname());
        Map<String, String> info = clientFields(three.clientInfo());
        assertEquals("3", info.get("resp"));
        assertEquals("jedis-three", info.get("name"));
        assertNull(three.get("missing")); // RESP3's null
        three.set("k", "v");
        assertEquals(java.util.Arrays.asList("v", null), three.mget("k", "missing"));
        long id = three.clientId();
        // HELLO 3 again: a map (RESP3), the same id.
        Object hello3 = text(three.sendCommand(Protocol.Command.HELLO, "3"));
        assertEquals(List.of(List.of("server", "redis"), List.of("version", Commands.REDIS_VERSION),
                List.of("proto", 3L), List.of("id", id), List.of("mode", "cluster"), List.of("role", "master"),
                List.of("modules", List.of())), hello3);
        // HELLO 2 with AUTH and SETNAME: a flat array, and the connection speaks RESP2 from then on.
        Object hello2 = text(three.sendCommand(Protocol.Command.HELLO, "2", "AUTH", "default", PASSWORD, "SETNAME",
                "now-two"));
        assertEquals(List.of("server", "redis", "version", Commands.REDIS_VERSION, "proto", 2L, "id", id, "mode",
                "cluster", "role", "master", "modules", List.of()), hello2);
        assertEquals("2", clientFields(three.clientInfo()).get("resp"));
        assertEquals("now-two", three.clientGetname());
        assertEquals("NOPROTO unsupported protocol version", error(() -> three.sendCommand(Protocol.Command.HELLO, "4")));
        assertEquals("ERR Protocol version is not an integer or out of range",
                error(() -> three.sendCommand(Protocol.Command.HELLO, "x")));
        assertEquals("WRONGPASS invalid username-password pair or user is disabled.",
                error(() -> three.sendCommand(Protocol.Command.HELLO, "3", "AUTH", "default", "wrong")));
        assertEquals("ERR Syntax error in HELLO option 'SETNAME'",
                error(() -> three.sendCommand(Protocol.Command.HELLO, "3", "SETNAME")));
        // Before authenticating, HELLO without AUTH is refused with Redis's hint.
        Jedis bare = connect(DefaultJedisClientConfig.builder());
        assertEquals("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto>"
                + " AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol"
                + " version at the same time", error(() -> bare.sendCommand(Protocol.Command.HELLO, "3")));
        // Jedis with RESP2 and a name: AUTH, then CLIENT SETNAME.
        Jedis two = connect(DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2).password(PASSWORD)
                .clientName("jedis-two"));
        assertEquals("jedis-two", two.clientGetname());
        assertEquals("2", clientFields(two.clientInfo()).get("resp"));
        assertEquals("v", two.get("k"));
    }

    @Test
    void clientCommands() throws Exception {
        Jedis a = jedis();
        Jedis b = jedis();
        long ida = a.clientId();
        long idb = b.clientId();
        assertTrue(ida > 0 && idb > 0 && ida != idb, ida + " " + idb);
        assertNull(a.clientGetname());
        assertEquals("OK", a.clientSetname("conn-a"));
        assertEquals("conn-a", a.clientGetname());
        assertEquals("ERR Client names cannot contain spaces, newlines or special characters.",
                error(() -> a.clientSetname("a b")));
        assertEquals("OK", a.clientSetInfo(ClientAttributeOption.LIB_NAME, "mylib"));
        assertEquals("OK", a.clientSetInfo(ClientAttributeOption.LIB_VER, "1.2.3"));
        Map<String, String> info = clientFields(a.clientInfo());
        assertEquals(Long.toString(ida), info.get("id"));
        assertEquals("conn-a", info.get("name"));
        assertEquals("mylib", info.get("lib-name"));
        assertEquals("1.2.3", info.get("lib-ver"));
        assertEquals("0", info.get("db"));
        assertEquals("default", info.get("user"));
        assertEquals("127.0.0.1:" + address.getPort(), info.get("laddr"));
        assertEquals("client|info", info.get("cmd"));
        assertTrue(info.get("addr").matches("127\\.0\\.0\\.1:[0-9]+"), info.get("addr"));
        assertNotEquals(info.get("laddr"), info.get("addr"));
        // Jedis names itself at connect (CLIENT SETINFO LIB-NAME jedis, LIB-VER its version).
        Map<String, String> infoB = clientFields(b.clientInfo());
        assertEquals("jedis", infoB.get("lib-name"));
        assertFalse(infoB.get("lib-ver").isEmpty());
        // CLIENT LIST: both connections, one line each.
        Map<Long, Map<String, String>> list = new HashMap<>();
        for (String line : a.clientList().split("\n")) {
            Map<String, String> f = clientFields(line);
            list.put(Long.parseLong(f.get("id")), f);
        }
        assertEquals(Set.of(ida, idb), list.keySet());
        assertEquals("conn-a", list.get(ida).get("name"));
        assertEquals("client|list", list.get(ida).get("cmd"));
        assertEquals("client|info", list.get(idb).get("cmd"));
        // CLIENT KILL ID of another connection: 1, and that connection is closed.
        assertEquals(0, a.clientKill(ClientKillParams.clientKillParams().id(Long.toString(ida))), "SKIPME yes");
        assertEquals(0, a.clientKill(ClientKillParams.clientKillParams().id("999999")));
        assertEquals(1, a.clientKill(ClientKillParams.clientKillParams().id(Long.toString(idb))));
        assertThrows(JedisConnectionException.class, b::ping);
        assertEquals(Set.of(ida), ids(a.clientList()));
        // The old form, CLIENT KILL ip:port: OK, or an error when there is none.
        Jedis c = jedis();
        String addrC = clientFields(c.clientInfo()).get("addr");
        assertEquals("OK", a.clientKill(addrC));
        assertThrows(JedisConnectionException.class, c::ping);
        assertEquals("ERR No such client", error(() -> a.clientKill(addrC)));
        assertEquals(Set.of(ida), ids(a.clientList()));
        assertEquals("PONG", a.ping(), "the killer goes on");
        assertEquals("OK", a.clientNoEvictOn());
        assertEquals("OK", a.clientNoTouchOn());
        assertEquals("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.",
                error(() -> a.sendCommand(Protocol.Command.CLIENT, "NOSUCH")));
    }

    private static Set<Long> ids(String clientList) {
        Set<Long> ids = new HashSet<>();
        for (String line : clientList.split("\n")) {
            ids.add(Long.parseLong(clientFields(line).get("id")));
        }
        return ids;
    }

    @Test
    void quitAndShutdown() throws Exception {
        Jedis q = jedis();
        q.set("k", "v");
        assertEquals("OK", SafeEncoder.encode((byte[]) q.sendCommand(command("QUIT"))));
        assertThrows(JedisConnectionException.class, q::ping, "closed after QUIT's +OK");
        Jedis j = jedis();
        assertEquals("v", j.get("k"));
        assertFalse(running.server.stopped());
        j.shutdown(); // no reply: the connection closes and the loop stops
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!running.server.stopped() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(running.server.stopped());
    }

    // ------------------------------------------------------------------ server

    @Test
    void commandCountListInfoDocsGetkeys() {
        Jedis j = jedis();
        assertEquals(COMMANDS.size(), j.commandCount());
        List<String> list = j.commandList();
        assertEquals(COMMANDS.size(), list.size());
        assertEquals(COMMANDS, new HashSet<>(list));
        Map<String, CommandInfo> all = j.command();
        assertEquals(COMMANDS, all.keySet());
        Map<String, CommandInfo> some = j.commandInfo("get", "mset", "del", "ping");
        CommandInfo get = some.get("get");
        assertEquals(2, get.getArity());
        assertEquals(List.of("readonly", "fast"), get.getFlags());
        assertEquals(List.of(1L, 1L, 1L), List.of(get.getFirstKey(), get.getLastKey(), get.getStep()));
        CommandInfo mset = some.get("mset");
        assertEquals(-3, mset.getArity());
        assertEquals(List.of("write", "denyoom"), mset.getFlags());
        assertEquals(List.of(1L, -1L, 2L), List.of(mset.getFirstKey(), mset.getLastKey(), mset.getStep()));
        CommandInfo del = some.get("del");
        assertEquals(List.of(-2L, 1L, -1L, 1L), List.of(del.getArity(), del.getFirstKey(), del.getLastKey(), del.getStep()));
        CommandInfo ping = some.get("ping");
        assertEquals(List.of(-1L, 0L, 0L, 0L), List.of(ping.getArity(), ping.getFirstKey(), ping.getLastKey(), ping.getStep()));
        // An unknown name: a null in its place (raw, as Jedis's builder has no name for it).
        List<?> raw = (List<?>) j.sendCommand(Protocol.Command.COMMAND, "INFO", "get", "nosuch");
        assertEquals(2, raw.size());
        assertNull(raw.get(1));
        Map<String, CommandDocument> docs = j.commandDocs("get", "nosuch", "set");
        assertEquals(Set.of("get", "set"), docs.keySet());
        assertEquals("string", docs.get("get").getGroup());
        assertFalse(docs.get("get").getSummary().isEmpty());
        assertEquals(List.of("k"), j.commandGetKeys("get", "k"));
        assertEquals(List.of("a", "b"), j.commandGetKeys("mset", "a", "1", "b", "2"));
        assertEquals(List.of("a", "b", "c"), j.commandGetKeys("exists", "a", "b", "c"));
        assertEquals(List.of("k"), j.commandGetKeys("set", "k", "v", "EX", "10"));
        assertEquals("ERR Invalid command specified", error(() -> j.commandGetKeys("nosuch", "a")));
        assertEquals("ERR The command has no key arguments", error(() -> j.commandGetKeys("ping", "a")));
        assertEquals("ERR Invalid number of arguments specified for command",
                error(() -> j.commandGetKeys("get", "a", "b")));
        assertEquals("ERR wrong number of arguments for 'command|getkeys' command", error(() -> j.commandGetKeys("get")));
    }

    @Test
    void infoSections() {
        Jedis j = jedis();
        Jedis other = jedis();
        other.ping();
        String everything = j.info();
        for (String title : List.of("Server", "Clients", "Memory", "Persistence", "Stats", "Keyspace", "rawio")) {
            assertTrue(everything.contains("# " + title + "\r\n"), title);
        }
        String server = j.info("server");
        assertTrue(server.startsWith("# Server\r\n"), server);
        assertFalse(server.contains("# Clients"), server);
        Map<String, String> s = fields(server);
        assertEquals(Commands.REDIS_VERSION, s.get("redis_version"));
        assertEquals("cluster", s.get("redis_mode"));
        assertEquals(Integer.toString(address.getPort()), s.get("tcp_port"));
        assertEquals(Long.toString(ProcessHandle.current().pid()), s.get("process_id"));
        Map<String, String> clients = fields(j.info("clients"));
        assertEquals("2", clients.get("connected_clients"));
        assertEquals("0", clients.get("blocked_clients"));
        Map<String, String> memory = fields(j.info("memory"));
        assertTrue(Long.parseLong(memory.get("used_memory")) > 0, memory.toString());
        Map<String, String> persistence = fields(j.info("persistence"));
        assertEquals("0", persistence.get("loading"));
        assertEquals("0", persistence.get("aof_enabled"));
        assertEquals("none", persistence.get("rawio_durability"));
        // Stats: hits and misses counted exactly.
        Map<String, String> before = fields(j.info("stats"));
        j.set("hit", "1");
        assertEquals("1", j.get("hit"));
        assertEquals("1", j.get("hit"));
        assertNull(j.get("miss"));
        Map<String, String> after = fields(j.info("stats"));
        assertEquals(2, Long.parseLong(after.get("keyspace_hits")) - Long.parseLong(before.get("keyspace_hits")));
        assertEquals(1, Long.parseLong(after.get("keyspace_misses")) - Long.parseLong(before.get("keyspace_misses")));
        assertEquals(5, Long.parseLong(after.get("total_commands_processed"))
                - Long.parseLong(before.get("total_commands_processed")), "SET, GET, GET, GET and the first INFO");
        assertTrue(Long.parseLong(after.get("total_connections_received")) >= 2);
        // Keyspace: nothing at all with no key, then db0's count.
        j.flushAll();
        assertEquals("# Keyspace\r\n", j.info("keyspace"));
        j.mset("a", "1", "b", "2", "c", "3");
        assertEquals("# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n", j.info("keyspace"));
        Map<String, String> rawio = fields(j.info("rawio"));
        assertEquals(RunningServer.engine(), rawio.get("engine"));
        assertEquals("0", rawio.get("failed"));
        assertEquals("0", rawio.get("corruptions"));
        // Two sections at once, in INFO's order.
        String two = j.info("keyspace");
        assertEquals(two, j.info("KEYSPACE"));
        assertEquals("", j.info("nosuch"));
    }

    @Test
    void dbsizeFlushdbFlushall() {
        Jedis j = jedis();
        assertEquals(0, j.dbSize());
        for (int i = 0; i < 25; i++) {
            j.set("k" + i, "v" + i);
        }
        assertEquals(25, j.dbSize());
        assertEquals("OK", j.flushDB());
        assertEquals(0, j.dbSize());
        assertNull(j.get("k1"));
        j.mset("a", "1", "b", "2");
        assertEquals("OK", j.flushAll());
        assertEquals(0, j.dbSize());
        j.set("a", "1");
        assertEquals("OK", j.flushDB(FlushMode.ASYNC));
        assertEquals("OK", j.flushAll(FlushMode.SYNC));
        assertEquals(0, j.dbSize());
        assertEquals("ERR syntax error", error(() -> j.sendCommand(Protocol.Command.FLUSHDB, "NOW")));
    }

    @Test
    void configGet() {
        Jedis j = jedis();
        assertEquals(Map.of("save", ""), j.configGet("save"));
        assertEquals(Map.of("appendonly", "no"), j.configGet("appendonly"));
        assertEquals(Map.of("timeout", "0"), j.configGet("timeout"));
        assertEquals(Map.of("maxmemory", "0", "maxmemory-policy", "rawio-fifo"), j.configGet("maxmemory*"));
        assertEquals(Map.of(), j.configGet("nosuch"));
        assertEquals(Map.of("save", "", "appendonly", "no"), j.configGet("save", "appendonly"));
        assertEquals("ERR wrong number of arguments for 'config|get' command",
                error(() -> j.sendCommand(Protocol.Command.CONFIG, "GET")));
    }

    // ------------------------------------------------------------------ strings

    @Test
    void setWithEveryOption() throws Exception {
        Jedis j = jedis();
        long now = System.currentTimeMillis();
        assertEquals("OK", j.set("k", "v"));
        assertEquals("v", j.get("k"));
        assertEquals(-1, j.ttl("k"));
        assertEquals("OK", j.set("k", "ex", SetParams.setParams().ex(100)));
        assertEquals(100, j.ttl("k"));
        assertEquals("OK", j.set("k", "px", SetParams.setParams().px(50_000)));
        assertBetween(49_000, 50_000, j.pttl("k"));
        assertEquals("OK", j.set("k", "exat", SetParams.setParams().exAt(now / 1000 + 1000)));
        assertBetween(998, 1000, j.ttl("k"));
        assertEquals("OK", j.set("k", "pxat", SetParams.setParams().pxAt(now + 70_000)));
        assertBetween(68_000, 70_000, j.pttl("k"));
        assertEquals("OK", j.set("k", "keep", SetParams.setParams().keepTtl()));
        assertBetween(68_000, 70_000, j.pttl("k"));
        assertEquals("keep", j.get("k"));
        assertEquals("OK", j.set("k", "plain"));
        assertEquals(-1, j.pttl("k"), "a SET without KEEPTTL drops the expiry");
        assertNull(j.set("k", "nx", SetParams.setParams().nx()));
        assertEquals("plain", j.get("k"));
        assertEquals("OK", j.set("fresh", "nx", SetParams.setParams().nx()));
        assertEquals("nx", j.get("fresh"));
        assertNull(j.set("absent", "xx", SetParams.setParams().xx()));
        assertFalse(j.exists("absent"));
        assertEquals("OK", j.set("k", "xx", SetParams.setParams().xx().ex(30)));
        assertEquals(30, j.ttl("k"));
        // SET ... GET: the old value.
        assertEquals("xx", j.setGet("k", "got"));
        assertEquals("got", j.get("k"));
        assertNull(j.setGet("new-by-setget", "1"));
        assertEquals("1", j.get("new-by-setget"));
        assertEquals("got", j.setGet("k", "again", SetParams.setParams().nx()), "NX refused, old value given");
        assertEquals("got", j.get("k"));
        assertNull(j.setGet("absent", "x", SetParams.setParams().xx()));
        assertFalse(j.exists("absent"));
        j.set("k", "v", SetParams.setParams().ex(100));
        assertEquals("v", j.setGet("k", "w", SetParams.setParams().keepTtl()));
        assertEquals(100, j.ttl("k"));
        // A time already past: the key is gone at once.
        assertEquals("OK", j.set("k", "past", SetParams.setParams().pxAt(1)));
        assertNull(j.get("k"));
        // Errors, as Redis's.
        assertEquals("ERR syntax error", error(() -> j.sendCommand(Protocol.Command.SET, "k", "v", "NX", "XX")));
        assertEquals("ERR syntax error", error(() -> j.sendCommand(Protocol.Command.SET, "k", "v", "EX", "10", "KEEPTTL")));
        assertEquals("ERR invalid expire time in 'set' command", error(() -> j.set("k", "v", SetParams.setParams().ex(0))));
        assertEquals("ERR invalid expire time in 'set' command", error(() -> j.set("k", "v", SetParams.setParams().px(-5))));
        assertEquals("ERR value is not an integer or out of range",
                error(() -> j.sendCommand(Protocol.Command.SET, "k", "v", "EX", "soon")));
        assertEquals("ERR syntax error", error(() -> j.sendCommand(Protocol.Command.SET, "k", "v", "FOREVER")));
        // Values of every byte, empty, and large.
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        assertEquals("OK", j.set("bin".getBytes(StandardCharsets.UTF_8), all));
        assertArrayEquals(all, j.get("bin".getBytes(StandardCharsets.UTF_8)));
        assertEquals("OK", j.set("empty", ""));
        assertEquals("", j.get("empty"));
        assertEquals(0, j.strlen("empty"));
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        j.set("big".getBytes(StandardCharsets.UTF_8), big);
        assertArrayEquals(big, j.get("big".getBytes(StandardCharsets.UTF_8)));
        assertEquals(big.length, j.strlen("big"));
    }

    private static void assertBetween(long low, long high, long value) {
        assertTrue(value >= low && value <= high, value + " not in [" + low + ", " + high + "]");
    }

    @Test
    void setexPsetexSetnxGetdelGetex() throws Exception {
        Jedis j = jedis();
        long now = System.currentTimeMillis();
        assertEquals("OK", j.setex("e", 100, "v"));
        assertEquals(100, j.ttl("e"));
        assertEquals("v", j.get("e"));
        assertEquals("OK", j.psetex("p", 40_000, "v"));
        assertBetween(39_000, 40_000, j.pttl("p"));
        assertEquals("ERR invalid expire time in 'setex' command", error(() -> j.setex("e", 0, "v")));
        assertEquals("ERR invalid expire time in 'psetex' command", error(() -> j.psetex("e", -1, "v")));
        assertEquals(1, j.setnx("n", "first"));
        assertEquals(0, j.setnx("n", "second"));
        assertEquals("first", j.get("n"));
        assertEquals("first", j.getDel("n"));
        assertNull(j.getDel("n"));
        assertFalse(j.exists("n"));
        j.set("g", "val");
        assertEquals("val", j.getEx("g", GetExParams.getExParams().ex(100)));
        assertEquals(100, j.ttl("g"));
        assertEquals("val", j.getEx("g", GetExParams.getExParams().px(30_000)));
        assertBetween(29_000, 30_000, j.pttl("g"));
        assertEquals("val", j.getEx("g", GetExParams.getExParams().exAt(now / 1000 + 500)));
        assertBetween(498, 500, j.ttl("g"));
        assertEquals("val", j.getEx("g", GetExParams.getExParams().pxAt(now + 20_000)));
        assertBetween(18_000, 20_000, j.pttl("g"));
        assertEquals("val", j.getEx("g", GetExParams.getExParams().persist()));
        assertEquals(-1, j.ttl("g"));
        assertEquals("val", j.getEx("g", GetExParams.getExParams()));
        assertNull(j.getEx("missing", GetExParams.getExParams().ex(10)));
        assertFalse(j.exists("missing"));
        assertEquals("ERR invalid expire time in 'getex' command", error(() -> j.getEx("g", GetExParams.getExParams().ex(0))));
        assertEquals("ERR syntax error", error(() -> j.sendCommand(Protocol.Command.GETEX, "g", "SOON", "1")));
        // A short expiry really ends the key.
        j.set("short", "v", SetParams.setParams().px(150));
        assertTrue(j.exists("short"));
        Thread.sleep(400);
        assertNull(j.get("short"));
        assertFalse(j.exists("short"));
        assertEquals(-2, j.ttl("short"));
    }

    @Test
    void msetMgetMsetnxStrlenTypeExistsDelUnlink() {
        Jedis j = jedis();
        assertEquals("OK", j.mset("a", "1", "b", "22", "c", "333"));
        assertEquals(java.util.Arrays.asList("1", null, "22", "333", null), j.mget("a", "nope", "b", "c", "nope2"));
        assertEquals(0, j.msetnx("a", "x", "fresh", "y"));
        assertFalse(j.exists("fresh"));
        assertEquals("1", j.get("a"));
        assertEquals(1, j.msetnx("m1", "x", "m2", "y"));
        assertEquals(List.of("x", "y"), j.mget("m1", "m2"));
        assertEquals(3, j.strlen("c"));
        assertEquals(0, j.strlen("nope"));
        assertEquals("string", j.type("a"));
        assertEquals("none", j.type("nope"));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            many.add(i % 3 == 0 ? "nope" + i : "a");
        }
        many.add("b");
        many.add("m1");
        assertEquals(40 + 2, j.exists(many.toArray(new String[0])), "every key counted as often as given");
        assertTrue(j.exists("a"));
        assertFalse(j.exists("nope"));
        assertEquals(2, j.del("a", "b", "nope"));
        assertEquals(0, j.del("a"));
        assertEquals(2, j.unlink("c", "m1", "nope"));
        assertEquals(1, j.unlink("m2"));
        assertEquals(0, j.dbSize());
        j.set("twice", "x");
        assertEquals(1, j.del("twice", "twice"), "a key given twice is deleted once (Redis: 1)");
        assertEquals("ERR wrong number of arguments for 'mset' command",
                error(() -> j.sendCommand(Protocol.Command.MSET, "a", "1", "b")));
    }

    // ------------------------------------------------------------------ keys and expiry

    @Test
    void ttlAndExpiry() {
        Jedis j = jedis();
        long now = System.currentTimeMillis();
        assertEquals(-2, j.ttl("k"));
        assertEquals(-2, j.pttl("k"));
        j.set("k", "v");
        assertEquals(-1, j.ttl("k"));
        assertEquals(-1, j.pttl("k"));
        assertEquals(1, j.expire("k", 100));
        assertEquals(100, j.ttl("k"));
        assertEquals(0, j.expire("nope", 100));
        assertEquals(1, j.pexpire("k", 80_000));
        assertBetween(79_000, 80_000, j.pttl("k"));
        assertEquals(80, j.ttl("k"));
        assertEquals(1, j.expireAt("k", now / 1000 + 3000));
        assertBetween(2998, 3000, j.ttl("k"));
        assertEquals(1, j.pexpireAt("k", now + 60_000));
        assertBetween(58_000, 60_000, j.pttl("k"));
        assertEquals(0, j.pexpireAt("nope", now + 60_000));
        assertEquals(1, j.persist("k"));
        assertEquals(0, j.persist("k"));
        assertEquals(0, j.persist("nope"));
        assertEquals(-1, j.ttl("k"));
        assertEquals("v", j.get("k"));
        // A time already past deletes the key (1 when there was one).
        assertEquals(1, j.expire("k", -1));
        assertFalse(j.exists("k"));
        j.set("k", "v");
        assertEquals(1, j.pexpire("k", 0));
        assertFalse(j.exists("k"));
        j.set("k", "v");
        assertEquals(1, j.expireAt("k", 1));
        assertFalse(j.exists("k"));
        j.set("k", "v");
        assertEquals(1, j.pexpireAt("k", 1));
        assertFalse(j.exists("k"));
        assertEquals(0, j.expire("k", 0));
        assertEquals("ERR value is not an integer or out of range",
                error(() -> j.sendCommand(Protocol.Command.EXPIRE, "k", "soon")));
        assertEquals("ERR invalid expire time in 'expire' command",
                error(() -> j.sendCommand(Protocol.Command.EXPIRE, "k", "18446744073709552")));
    }

    @Test
    void scanKeysRandomkey() {
        Jedis j = jedis();
        assertNull(j.randomKey());
        assertEquals(Set.of(), j.keys("*"));
        Set<String> scanKeys = new HashSet<>();
        Map<String, String> pairs = new LinkedHashMap<>();
        for (int i = 0; i < 300; i++) {
            scanKeys.add("scan:" + i);
            pairs.put("scan:" + i, "v" + i);
        }
        for (int i = 0; i < 20; i++) {
            pairs.put("other:" + i, "o");
        }
        List<String> flat = new ArrayList<>();
        pairs.forEach((k, v) -> {
            flat.add(k);
            flat.add(v);
        });
        j.mset(flat.toArray(new String[0]));
        assertEquals(scanKeys, scanAll(j, new ScanParams().match("scan:*").count(50), null));
        assertEquals(pairs.keySet(), scanAll(j, new ScanParams().count(1000), "string"));
        assertEquals(pairs.keySet(), scanAll(j, new ScanParams(), null));
        assertEquals(Set.of(), scanAll(j, new ScanParams().count(100), "list"));
        Set<String> seventies = new HashSet<>();
        for (int i = 70; i < 80; i++) {
            seventies.add("scan:" + i);
        }
        assertEquals(seventies, scanAll(j, new ScanParams().match("scan:7?").count(7), null));
        Set<String> ones = new HashSet<>();
        for (String k : scanKeys) {
            if (k.startsWith("scan:1")) {
                ones.add(k);
            }
        }
        assertEquals(ones, j.keys("scan:1*"));
        assertEquals(pairs.keySet(), j.keys("*"));
        assertEquals(Set.of("other:10", "other:11"), j.keys("other:1[01]*"));
        assertEquals(Set.of("scan:5"), j.keys("scan:5"));
        for (int i = 0; i < 20; i++) {
            assertTrue(pairs.containsKey(j.randomKey()));
        }
        assertEquals("ERR syntax error", error(() -> j.sendCommand(Protocol.Command.SCAN, "0", "COUNT", "0")));
        assertEquals("ERR invalid cursor", error(() -> j.sendCommand(Protocol.Command.SCAN, "x")));
    }

    /** SCAN from 0 until the cursor is 0 again (bounded), every key seen. */
    private static Set<String> scanAll(Jedis j, ScanParams params, String type) {
        Set<String> seen = new HashSet<>();
        String cursor = ScanParams.SCAN_POINTER_START;
        for (int calls = 0; calls < 100_000; calls++) {
            ScanResult<String> r = type == null ? j.scan(cursor, params) : j.scan(cursor, params, type);
            seen.addAll(r.getResult());
            cursor = r.getCursor();
            if (r.isCompleteIteration()) {
                return seen;
            }
        }
        throw new AssertionError("SCAN did not come back to 0");
    }

    // ------------------------------------------------------------------ cluster

    @Test
    void clusterCommandsAsOneNodeWithEverySlot() {
        Jedis j = jedis();
        String id = j.clusterMyId();
        assertTrue(id.matches("[0-9a-f]{40}"), id);
        int port = address.getPort();
        List<Object> slots = j.clusterSlots();
        assertEquals(1, slots.size());
        List<?> range = (List<?>) slots.getFirst();
        assertEquals(3, range.size(), "start, end, master");
        assertEquals(0L, range.get(0));
        assertEquals(16383L, range.get(1));
        List<?> node = (List<?>) range.get(2);
        assertEquals(List.of("127.0.0.1", (long) port, id, List.of()), text(node));
        List<ClusterShardInfo> shards = j.clusterShards();
        assertEquals(1, shards.size());
        assertEquals(List.of(List.of(0L, 16383L)), shards.getFirst().getSlots());
        assertEquals(1, shards.getFirst().getNodes().size());
        ClusterShardNodeInfo n = shards.getFirst().getNodes().getFirst();
        assertEquals(id, n.getId());
        assertEquals("127.0.0.1", n.getIp());
        assertEquals("127.0.0.1", n.getEndpoint());
        assertEquals((long) port, n.getPort());
        assertEquals("master", n.getRole());
        assertEquals("online", n.getHealth());
        assertEquals(0L, n.getReplicationOffset());
        assertEquals(id + " 127.0.0.1:" + port + "@" + (port + 10000 > 65535 ? 0 : port + 10000)
                + " myself,master - 0 0 1 connected 0-16383\n", j.clusterNodes());
        Map<String, String> info = fields(j.clusterInfo());
        assertEquals("ok", info.get("cluster_state"));
        assertEquals("16384", info.get("cluster_slots_assigned"));
        assertEquals("16384", info.get("cluster_slots_ok"));
        assertEquals("0", info.get("cluster_slots_fail"));
        assertEquals("1", info.get("cluster_known_nodes"));
        assertEquals("1", info.get("cluster_size"));
        // KEYSLOT: the slot Jedis's cluster client computes, for random keys and hash tags.
        Random r = new Random(42);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[1 + r.nextInt(40)];
            for (int k = 0; k < b.length; k++) {
                b[k] = (byte) (0x21 + r.nextInt(94)); // printable, '{' and '}' among them
            }
            keys.add(new String(b, StandardCharsets.US_ASCII));
        }
        keys.addAll(List.of("foo", "{user1}.following", "{user1}.followers", "foo{}{bar}", "foo{{bar}}zap",
                "foo{bar}{zap}", "{}", "{", "}", "a{b", "a}b{c}", "{{}}", "", "123456789", "user:{42}:name"));
        for (int i = 0; i < 300; i++) {
            keys.add("x" + r.nextInt(1000) + "{tag" + r.nextInt(50) + "}" + r.nextInt());
        }
        Pipeline p = j.pipelined();
        List<Response<Object>> got = new ArrayList<>();
        for (String k : keys) {
            got.add(p.sendCommand(Protocol.Command.CLUSTER, "KEYSLOT", k));
        }
        p.sync();
        for (int i = 0; i < keys.size(); i++) {
            assertEquals((long) JedisClusterCRC16.getSlot(keys.get(i)), got.get(i).get(), keys.get(i));
        }
        assertEquals(12182, j.clusterKeySlot("foo"), "Redis's own example");
        assertEquals(j.clusterKeySlot("{user1}.a"), j.clusterKeySlot("{user1}.b"));
        assertEquals("OK", j.readonly());
        assertEquals("OK", j.readwrite());
        assertEquals("ERR wrong number of arguments for 'cluster|keyslot' command",
                error(() -> j.sendCommand(Protocol.Command.CLUSTER, "KEYSLOT")));
        assertEquals("ERR unknown subcommand 'NOSUCH'. Try CLUSTER HELP.",
                error(() -> j.sendCommand(Protocol.Command.CLUSTER, "NOSUCH")));
    }

    // ------------------------------------------------------------------ errors

    @Test
    void unknownCommandAndWrongArity() {
        Jedis j = jedis();
        assertEquals("ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b c' ",
                error(() -> j.sendCommand(command("NOSUCH"), "a", "b c")));
        assertEquals("ERR unknown command 'frob', with args beginning with: ",
                error(() -> j.sendCommand(command("frob"))));
        String[][] wrong = {
            {"get"}, {"GET", "a", "b"}, {"set", "k"}, {"setex", "k", "1"}, {"psetex", "k", "1"}, {"setnx", "k"},
            {"getdel"}, {"getex"}, {"strlen"}, {"mget"}, {"mset", "k"}, {"msetnx", "k"}, {"del"}, {"unlink"},
            {"exists"}, {"type"}, {"ttl"}, {"pttl"}, {"expire", "k"}, {"pexpire", "k"}, {"expireat", "k"},
            {"pexpireat", "k"}, {"persist"}, {"scan"}, {"keys"}, {"keys", "a", "b"}, {"randomkey", "x"},
            {"dbsize", "x"}, {"echo"}, {"echo", "a", "b"}, {"ping", "a", "b"}, {"select"}, {"client"}, {"config"},
            {"cluster"}, {"time", "x"}, {"readonly", "x"}, {"readwrite", "x"}, {"auth"}, {"type", "a", "b"},
            {"mset", "a", "1", "b"}, {"msetnx", "a", "1", "b"},
        };
        for (String[] req : wrong) {
            String name = req[0].toLowerCase(java.util.Locale.ROOT);
            String[] rest = java.util.Arrays.copyOfRange(req, 1, req.length);
            assertEquals("ERR wrong number of arguments for '" + name + "' command",
                    error(() -> j.sendCommand(command(req[0]), rest)), String.join(" ", req));
        }
        String[][] wrongSub = {
            {"CLIENT", "ID", "x"}, {"client|id"}, {"CLIENT", "SETNAME"}, {"client|setname"},
            {"CLIENT", "GETNAME", "x"}, {"client|getname"}, {"CLIENT", "SETINFO", "lib-name"}, {"client|setinfo"},
            {"CLUSTER", "KEYSLOT"}, {"cluster|keyslot"}, {"CONFIG", "GET"}, {"config|get"},
            {"COMMAND", "GETKEYS"}, {"command|getkeys"},
        };
        for (int i = 0; i < wrongSub.length; i += 2) {
            String[] req = wrongSub[i];
            String[] rest = java.util.Arrays.copyOfRange(req, 1, req.length);
            assertEquals("ERR wrong number of arguments for '" + wrongSub[i + 1][0] + "' command",
                    error(() -> j.sendCommand(command(req[0]), rest)), String.join(" ", req));
        }
        assertEquals("PONG", j.ping(), "the connection goes on after errors");
    }

    // ------------------------------------------------------------------ pipelines

    /**
     * Pipelines of SET, GET and DEL on several connections from several threads at once (the loop
     * batches them across connections): every reply is the one a request at a time would get.
     */
    @Test
    void pipelinesFromManyConnectionsAndThreads() throws Exception {
        int threads = 4;
        int connectionsEach = 3;
        int rounds = 6;
        int keysEach = 150;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    List<Jedis> conns = new ArrayList<>();
                    for (int c = 0; c < connectionsEach; c++) {
                        synchronized (opened) {
                            conns.add(jedis());
                        }
                    }
                    int checked = 0;
                    for (int round = 0; round < rounds; round++) {
                        for (int c = 0; c < connectionsEach; c++) {
                            Pipeline p = conns.get(c).pipelined();
                            List<Response<String>> sets = new ArrayList<>();
                            List<Response<String>> gets = new ArrayList<>();
                            List<Response<Long>> dels = new ArrayList<>();
                            List<Response<String>> afterDel = new ArrayList<>();
                            for (int i = 0; i < keysEach; i++) {
                                String key = "t" + thread + ":c" + c + ":k" + i;
                                String value = value(thread, c, i, round);
                                sets.add(p.set(key, value));
                                gets.add(p.get(key));
                                if (i % 3 == 0) {
                                    dels.add(p.del(key));
                                    afterDel.add(p.get(key));
                                }
                            }
                            p.sync();
                            for (int i = 0, d = 0; i < keysEach; i++) {
                                assertEquals("OK", sets.get(i).get());
                                assertEquals(value(thread, c, i, round), gets.get(i).get());
                                if (i % 3 == 0) {
                                    assertEquals(1L, dels.get(d).get());
                                    assertNull(afterDel.get(d).get());
                                    d++;
                                }
                                checked++;
                            }
                        }
                    }
                    return checked;
                }));
            }
            int checked = 0;
            for (Future<Integer> f : done) {
                checked += f.get(90, TimeUnit.SECONDS);
            }
            assertEquals(threads * connectionsEach * rounds * keysEach, checked);
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
        // What stands: each key's last value, or nothing for the deleted ones.
        Jedis j = jedis();
        for (int t = 0; t < threads; t++) {
            for (int c = 0; c < connectionsEach; c++) {
                String[] keys = new String[keysEach];
                for (int i = 0; i < keysEach; i++) {
                    keys[i] = "t" + t + ":c" + c + ":k" + i;
                }
                List<String> values = j.mget(keys);
                for (int i = 0; i < keysEach; i++) {
                    assertEquals(i % 3 == 0 ? null : value(t, c, i, rounds - 1), values.get(i), keys[i]);
                }
            }
        }
        assertEquals((long) threads * connectionsEach * (keysEach - (keysEach + 2) / 3), j.dbSize());
        assertNotEquals(0, j.dbSize());
    }

    private static String value(int thread, int conn, int i, int round) {
        return "v" + round + "-" + thread + "-" + conn + "-" + i + "-" + "x".repeat(i % 50);
    }
}
