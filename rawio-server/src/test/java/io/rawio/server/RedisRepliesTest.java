package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Replies byte for byte as redis-server 7 gives them (each expected reply below is what a Redis 7
 * server sent for the same request), for the commands whose replies clients take apart by shape.
 */
@Timeout(60)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class RedisRepliesTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;
    RunningServer running;
    RespClient c;

    @BeforeEach
    void start() throws Exception {
        running = new RunningServer(loop, dir, 64L << 20, 64L << 10);
        c = new RespClient(running.server.address());
    }

    @AfterEach
    void stop() throws Exception {
        c.close();
        running.close();
    }

    private static String bulk(String s) {
        return "$" + s.length() + "\r\n" + s + "\r\n";
    }

    /**
     * After HELLO 3, text meant for people comes as Redis 7 sends it: a verbatim string ({@code =len},
     * {@code txt:}, the text) for INFO, CLIENT INFO and LIST, CLUSTER INFO and NODES; a bulk string in RESP2.
     */
    @Test
    void textRepliesAreVerbatimStringsInResp3() throws Exception {
        String two = c.call("CLUSTER", "INFO");
        assertTrue(two.startsWith("$") && two.contains("cluster_state:ok"), two);
        assertTrue(c.call("HELLO", "3").startsWith("%7\r\n"));
        for (String[] cmd : new String[][] {{"INFO", "server"}, {"CLIENT", "INFO"}, {"CLIENT", "LIST"},
                {"CLUSTER", "INFO"}, {"CLUSTER", "NODES"}}) {
            String r = c.call(cmd);
            int eol = r.indexOf("\r\n");
            int len = Integer.parseInt(r.substring(1, eol));
            assertTrue(r.startsWith("=") && r.startsWith("txt:", eol + 2), String.join(" ", cmd) + " -> " + r);
            assertEquals(eol + 2 + len + 2, r.length(), "the length counts txt: and the text: " + r);
        }
        String three = c.call("CLUSTER", "INFO");
        assertEquals(two.substring(two.indexOf("\r\n") + 2), three.substring(three.indexOf("\r\n") + 2 + 4),
                "the same text");
        assertEquals("+PONG\r\n", c.call("PING"));
    }

    /**
     * CLUSTER SLOTS: one range, and its entry is [start, end, master] (three elements, replicas would
     * follow); a wrong count makes a cluster client wait for an element that never comes.
     */
    @Test
    void clusterSlotsIsOneRangeOfThreeElements() throws Exception {
        String id = c.call("CLUSTER", "MYID"); // $40\r\n<id>\r\n
        assertEquals(3 + 2 + 40 + 2, id.length(), id);
        int port = running.server.address().getPort();
        assertEquals("*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n" + bulk("127.0.0.1") + ":" + port + "\r\n"
                + id + "*0\r\n", c.call("CLUSTER", "SLOTS"));
        assertEquals("+PONG\r\n", c.call("PING"), "nothing left over after the reply");
    }
    /** Runs a script of requests and the replies redis-server 7 gave them (whole, raw). */
    private void script(String[][] script) throws Exception {
        for (int i = 0; i < script.length; i += 2) {
            assertEquals(script[i + 1][0], c.call(script[i]), String.join(" ", script[i]));
        }
    }

    private static final String OK = "+OK\r\n";
    private static final String NIL = "$-1\r\n";
    private static final String SYNTAX = "-ERR syntax error\r\n";

    /** SET's GET (the old value) and KEEPTTL (the expiry stays), and its option rules. */
    @Test
    void setWithGetAndKeepTtl() throws Exception {
        script(new String[][] {
            {"SET", "k", "v", "GET"}, {NIL},
            {"SET", "k", "v2", "GET"}, {bulk("v")},
            {"SET", "k", "v3", "EX", "100"}, {OK},
            {"SET", "k", "v4", "KEEPTTL"}, {OK},
            {"TTL", "k"}, {":100\r\n"},
            {"SET", "k", "v5", "KEEPTTL", "GET"}, {bulk("v4")},
            {"TTL", "k"}, {":100\r\n"},
            {"GET", "k"}, {bulk("v5")},
            {"SET", "k", "v6"}, {OK},
            {"TTL", "k"}, {":-1\r\n"},
            {"SET", "k2", "x", "NX", "GET"}, {NIL},
            {"GET", "k2"}, {bulk("x")},
            {"SET", "k2", "y", "NX", "GET"}, {bulk("x")},
            {"GET", "k2"}, {bulk("x")},
            {"SET", "k3", "y", "XX", "GET"}, {NIL},
            {"EXISTS", "k3"}, {":0\r\n"},
            {"SET", "k", "v", "EX", "10", "EX", "20"}, {OK},
            {"TTL", "k"}, {":20\r\n"},
            {"SET", "k", "v", "EX", "10", "KEEPTTL"}, {SYNTAX},
            {"SET", "k", "v", "KEEPTTL", "EX", "10"}, {SYNTAX},
            {"SET", "k", "v", "EX", "10", "PX", "10"}, {SYNTAX},
            {"SET", "k", "v", "EX", "0", "NX", "XX"}, {SYNTAX},
            {"SET", "k", "v", "EX", "0", "GET"}, {"-ERR invalid expire time in 'set' command\r\n"},
            {"SET", "k", "v", "GET", "GET"}, {bulk("v")},
            {"SET", "k", "v", "NX", "NX"}, {NIL},
            {"SET", "k", "v", "PXAT", "1", "GET"}, {bulk("v")},
            {"EXISTS", "k"}, {":0\r\n"},
            {"SET", "k", "v", "EXAT", "x"}, {"-ERR value is not an integer or out of range\r\n"},
            {"SET", "k", "v", "EX", "9223372036854776"}, {"-ERR invalid expire time in 'set' command\r\n"},
            {"SET", "k", "v", "XX", "NX"}, {SYNTAX},
        });
    }
    private static String wrongArgs(String cmd) {
        return "-ERR wrong number of arguments for '" + cmd + "' command\r\n";
    }

    /** Every command's number of arguments is checked, as its COMMAND arity says. */
    @Test
    void theArityOfEveryCommandIsChecked() throws Exception {
        script(new String[][] {
            {"DBSIZE", "x"}, {wrongArgs("dbsize")},
            {"TIME", "x"}, {wrongArgs("time")},
            {"READONLY", "x"}, {wrongArgs("readonly")},
            {"RANDOMKEY", "x"}, {wrongArgs("randomkey")},
            {"CONFIG"}, {wrongArgs("config")},
            {"GetDel"}, {wrongArgs("getdel")},
            {"DBSIZE"}, {":0\r\n"},
        });
    }

    /** With a password, an unknown command and a wrong number of arguments are told before NOAUTH. */
    @Test
    void unknownAndWrongArityBeforeNoAuth() throws Exception {
        try (RunningServer locked = new RunningServer(loop, java.nio.file.Files.createDirectory(dir.resolve("locked")), 64L << 20, 64L << 10,
                        o -> o.withPassword("pw".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                RespClient l = new RespClient(locked.server.address())) {
            assertEquals("-ERR unknown command 'FOO', with args beginning with: \r\n", l.call("FOO"));
            assertEquals(wrongArgs("get"), l.call("GET"));
            assertEquals("-NOAUTH Authentication required.\r\n", l.call("GET", "k"));
            assertEquals(OK, l.call("AUTH", "pw"));
            assertEquals(NIL, l.call("GET", "k"));
        }
    }
    /** COMMAND GETKEYS wants a command and at least one argument (its arity is -4), then checks that command's. */
    @Test
    void commandGetKeys() throws Exception {
        script(new String[][] {
            {"COMMAND", "GETKEYS", "ping"}, {wrongArgs("command|getkeys")},
            {"COMMAND", "GETKEYS", "get"}, {wrongArgs("command|getkeys")},
            {"COMMAND", "GETKEYS"}, {wrongArgs("command|getkeys")},
            {"COMMAND", "GETKEYS", "ping", "x"}, {"-ERR The command has no key arguments\r\n"},
            {"COMMAND", "GETKEYS", "dbsize", "x"}, {"-ERR The command has no key arguments\r\n"},
            {"COMMAND", "GETKEYS", "get", "a", "b"}, {"-ERR Invalid number of arguments specified for command\r\n"},
            {"COMMAND", "GETKEYS", "set", "k"}, {"-ERR Invalid number of arguments specified for command\r\n"},
            {"COMMAND", "GETKEYS", "nosuch", "a"}, {"-ERR Invalid command specified\r\n"},
            {"COMMAND", "GETKEYS", "GET", "k"}, {"*1\r\n" + bulk("k")},
            {"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"}, {"*2\r\n" + bulk("a") + bulk("b")},
        });
    }
    /** Integers as Redis reads them: no '+', no leading zero, no "-0"; SELECT's own range and words. */
    @Test
    void integersAreReadAsRedisReadsThem() throws Exception {
        String notInteger = "-ERR value is not an integer or out of range\r\n";
        script(new String[][] {
            {"SET", "k", "v"}, {OK},
            {"EXPIRE", "k", "010"}, {notInteger},
            {"EXPIRE", "k", "+5"}, {notInteger},
            {"EXPIRE", "k", "-0"}, {notInteger},
            {"PEXPIRE", "k", "1_000"}, {notInteger},
            {"SET", "k", "v", "EX", "+5"}, {notInteger},
            {"SETEX", "k", "05", "v"}, {notInteger},
            {"GETEX", "k", "EX", "05"}, {notInteger},
            {"HELLO", "02"}, {"-ERR Protocol version is not an integer or out of range\r\n"},
            {"SELECT", "x"}, {notInteger},
            {"SELECT", "00"}, {notInteger},
            {"SELECT", "99999999999"}, {"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"},
            {"SELECT", "-1"}, {"-ERR DB index is out of range\r\n"},
            {"SELECT", "1"}, {"-ERR DB index is out of range\r\n"},
            {"SELECT", "0"}, {OK},
            {"EXPIRE", "k", "100"}, {":1\r\n"},
            {"EXPIRE", "k", "-9223372036854775808"}, {"-ERR invalid expire time in 'expire' command\r\n"},
            {"EXPIRE", "k", "-9223372036854775"}, {":1\r\n"},
            {"EXISTS", "k"}, {":0\r\n"},
        });
        assertTrue(c.call("SCAN", "00").startsWith("*2\r\n"), "a cursor is read as strtoul reads it");
    }
    /**
     * AUTH and HELLO AUTH on a server without a password: Redis's default user takes any password (the
     * one-argument AUTH alone is refused, with its hint); another user name is WRONGPASS.
     */
    @Test
    void authWithoutAPassword() throws Exception {
        String wrongPass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
        script(new String[][] {
            {"AUTH", "x"}, {"-ERR AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?\r\n"},
            {"AUTH", "default", "anything"}, {OK},
            {"AUTH", "other", "x"}, {wrongPass},
            {"AUTH", "DEFAULT", "x"}, {wrongPass},
            {"AUTH", "a", "b", "c"}, {SYNTAX},
            {"HELLO", "2", "AUTH", "other", "x"}, {wrongPass},
        });
        assertTrue(c.call("HELLO", "2", "AUTH", "default", "x").startsWith("*14\r\n$6\r\nserver\r\n"));
    }

    /** With a password: the user name is "default", case and all. */
    @Test
    void authWithAPassword() throws Exception {
        try (RunningServer locked = new RunningServer(loop, java.nio.file.Files.createDirectory(dir.resolve("locked")),
                        64L << 20, 64L << 10, o -> o.withPassword("pw".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                RespClient l = new RespClient(locked.server.address())) {
            String wrongPass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
            assertEquals(wrongPass, l.call("AUTH", "DEFAULT", "pw"));
            assertEquals(wrongPass, l.call("AUTH", "default", "PW"));
            assertEquals(SYNTAX, l.call("AUTH", "default", "pw", "x"));
            assertEquals("-NOAUTH Authentication required.\r\n", l.call("PING"));
            assertEquals(OK, l.call("AUTH", "default", "pw"));
            assertEquals("+PONG\r\n", l.call("PING"));
        }
    }
    /** CONFIG's errors in Redis's words; CONFIG GET as a map of the parameters that match. */
    @Test
    void configErrors() throws Exception {
        script(new String[][] {
            {"CONFIG", "GET"}, {wrongArgs("config|get")},
            {"CONFIG", "FOO"}, {"-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n"},
            {"CONFIG", "SET", "timeout"}, {wrongArgs("config|set")},
            {"CONFIG", "SET", "timeout", "0", "save"}, {"-ERR syntax error\r\n"}, // a name short of its value
            {"CONFIG", "RESETSTAT", "x"}, {wrongArgs("config|resetstat")},
            {"CONFIG", "get", "timeout"}, {"*2\r\n" + bulk("timeout") + bulk("0")},
            {"CONFIG", "GET", "appendonly", "save"}, {"*4\r\n" + bulk("appendonly") + bulk("no") + bulk("save") + bulk("")},
            {"CONFIG", "GET", "nosuch"}, {"*0\r\n"},
        });
    }
    /** CLIENT INFO and LIST name a connection's last command with its subcommand, as Redis 7 does. */
    @Test
    void clientListNamesSubcommands() throws Exception {
        try (RespClient other = new RespClient(running.server.address())) {
            assertEquals("*0\r\n", other.call("CONFIG", "GET", "nosuch"));
            String info = c.call("CLIENT", "INFO");
            assertTrue(info.contains(" cmd=client|info "), info);
            String list = c.call("CLIENT", "LIST");
            assertTrue(list.contains(" cmd=config|get "), list);
            assertTrue(list.contains(" cmd=client|list "), list);
            other.call("CLUSTER", "MYID");
            assertTrue(c.call("CLIENT", "LIST").contains(" cmd=cluster|myid "));
            other.call("COMMAND");
            assertTrue(c.call("CLIENT", "LIST").contains(" cmd=command "));
        }
    }
    /** INFO and CONFIG GET say what CLUSTER shows: cluster support is on (one node, every slot). */
    @Test
    void clusterSupportIsSaidToBeOn() throws Exception {
        assertEquals(bulk("# Cluster\r\ncluster_enabled:1\r\n"), c.call("INFO", "cluster"));
        assertEquals("*2\r\n" + bulk("cluster-enabled") + bulk("yes"), c.call("CONFIG", "GET", "cluster-enabled"));
    }
    /** CLUSTER INFO, COUNTKEYSINSLOT and GETKEYSINSLOT as a Redis 7 cluster node gives them. */
    @Test
    void clusterInfoAndKeysInSlot() throws Exception {
        String info = c.call("CLUSTER", "INFO");
        assertTrue(info.startsWith("$") && info.contains("\r\ncluster_state:ok\r\n"), info);
        assertEquals("cluster_state:ok", info.split("\r\n")[1], "the first field, as Redis's");
        String notInteger = "-ERR value is not an integer or out of range\r\n";
        script(new String[][] {
            {"SET", "foo", "v"}, {OK},
            {"CLUSTER", "COUNTKEYSINSLOT", "12182"}, {":1\r\n"},
            {"CLUSTER", "GETKEYSINSLOT", "12182", "10"}, {"*1\r\n" + bulk("foo")},
            {"CLUSTER", "GETKEYSINSLOT", "12182", "0"}, {"*0\r\n"},
            {"CLUSTER", "COUNTKEYSINSLOT", "16384"}, {"-ERR Invalid slot\r\n"},
            {"CLUSTER", "COUNTKEYSINSLOT", "-1"}, {"-ERR Invalid slot\r\n"},
            {"CLUSTER", "COUNTKEYSINSLOT", "x"}, {notInteger},
            {"CLUSTER", "GETKEYSINSLOT", "0", "-1"}, {"-ERR Invalid slot or number of keys\r\n"},
            {"CLUSTER", "GETKEYSINSLOT", "16384", "1"}, {"-ERR Invalid slot or number of keys\r\n"},
            {"CLUSTER", "GETKEYSINSLOT", "0", "x"}, {notInteger},
            {"CLUSTER", "GETKEYSINSLOT", "x", "1"}, {notInteger},
        });
    }
    /**
     * CLIENT NO-EVICT, NO-TOUCH and REPLY take ON or OFF (REPLY also SKIP), anything else is a syntax
     * error; REPLY OFF and SKIP are refused, as every request is answered here.
     */
    @Test
    void clientSwitchesTakeOnOrOff() throws Exception {
        script(new String[][] {
            {"CLIENT", "NO-EVICT", "on"}, {OK},
            {"CLIENT", "NO-EVICT", "OFF"}, {OK},
            {"CLIENT", "NO-EVICT", "maybe"}, {SYNTAX},
            {"CLIENT", "NO-TOUCH", "on"}, {OK},
            {"CLIENT", "NO-TOUCH", "sometimes"}, {SYNTAX},
            {"CLIENT", "REPLY", "ON"}, {OK},
            {"CLIENT", "REPLY", "maybe"}, {SYNTAX},
            {"CLIENT", "REPLY", "OFF"}, {"-ERR CLIENT REPLY OFF and SKIP are not supported\r\n"},
            {"CLIENT", "REPLY", "skip"}, {"-ERR CLIENT REPLY OFF and SKIP are not supported\r\n"},
            {"PING"}, {"+PONG\r\n"},
        });
    }
    /**
     * SCAN of an empty database ends at once; of a sparse one (thousands of keys written, all but three
     * deleted) it takes few calls, as Redis looks at up to 10 x COUNT entries per call.
     */
    @Test
    void scanEndsSoonOnAnEmptyOrSparseDatabase() throws Exception {
        // 8,192 slots of 4 KiB: the 3,000 SETs and their DELs' tombstones evict nothing.
        try (RunningServer big = new RunningServer(loop, java.nio.file.Files.createDirectory(dir.resolve("sparse")), 64L << 20,
                        io.rawio.store.SlotClasses.ofEqualSpace(java.util.List.of(4096L, 64L << 10)), 1L << 20, o -> o);
                RespClient c = new RespClient(big.server.address())) {
            sparseScan(c);
        }
    }

    private static void sparseScan(RespClient c) throws Exception {
        assertEquals("*2\r\n" + bulk("0") + "*0\r\n", c.call("SCAN", "0"));
        String[][] sets = new String[3000][];
        for (int i = 0; i < sets.length; i++) {
            sets[i] = new String[] {"SET", "sparse:" + i, "v"};
        }
        c.sendAll(sets);
        for (int i = 0; i < sets.length; i++) {
            assertEquals(OK, c.reply());
        }
        String[][] dels = new String[sets.length - 3][];
        for (int i = 3; i < sets.length; i++) {
            dels[i - 3] = new String[] {"DEL", "sparse:" + i};
        }
        c.sendAll(dels);
        for (String[] d : dels) {
            assertEquals(":1\r\n", c.reply(), d[1]);
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        String cursor = "0";
        int calls = 0;
        do {
            String r = c.call("SCAN", cursor);
            calls++;
            String[] lines = r.split("\r\n");
            cursor = lines[2];
            for (int i = 5; i < lines.length; i += 2) {
                seen.add(lines[i]);
            }
        } while (!cursor.equals("0") && calls < 10_000);
        assertEquals(java.util.Set.of("sparse:0", "sparse:1", "sparse:2"), seen);
        assertTrue(calls <= 60, calls + " calls to walk an index of a few thousand entries with 3 keys");
    }

    /** EXPIRE's NX, XX, GT and LT (Redis 7), replies as redis-server 7.0.15 gave them. */
    @Test
    void expireOptions() throws Exception {
        String one = ":1\r\n";
        String zero = ":0\r\n";
        script(new String[][] {
            {"SET", "k", "v"}, {OK},
            {"EXPIRE", "k", "100", "XX"}, {zero},
            {"EXPIRE", "k", "100", "nx"}, {one},
            {"EXPIRE", "k", "200", "GT"}, {one},
            {"TTL", "k"}, {":200\r\n"},
            {"EXPIRE", "k", "50", "GT"}, {zero},
            {"EXPIRE", "k", "50", "LT"}, {one},
            {"TTL", "k"}, {":50\r\n"},
            {"EXPIRE", "k", "60", "NX"}, {zero},
            {"EXPIRE", "k", "10", "NX", "XX"}, {"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"},
            {"EXPIRE", "k", "10", "GT", "LT"}, {"-ERR GT and LT options at the same time are not compatible\r\n"},
            {"EXPIRE", "k", "10", "foo"}, {"-ERR Unsupported option foo\r\n"},
            {"EXPIRE", "nokey", "10", "XX"}, {zero},
            {"PERSIST", "k"}, {one},
            {"EXPIRE", "k", "10", "LT"}, {one},
            {"TTL", "k"}, {":10\r\n"},
            {"PERSIST", "k"}, {one},
            {"EXPIRE", "k", "10", "GT"}, {zero},
            {"EXPIRE", "k", "10", "XX"}, {zero},
            {"PEXPIRE", "k", "10000", "NX"}, {one},
            {"TTL", "k"}, {":10\r\n"},
        });
    }

    /** INFO keyspace counts the keys that carry an expiry, as Redis's expires= does. */
    @Test
    void infoKeyspaceCountsExpiringKeys() throws Exception {
        script(new String[][] {
            {"SET", "a", "1"}, {OK},
            {"SET", "b", "2", "EX", "100"}, {OK},
            {"SET", "c", "3"}, {OK},
            {"EXPIRE", "c", "100"}, {":1\r\n"},
        });
        String info = c.call("INFO", "keyspace");
        org.junit.jupiter.api.Assertions.assertTrue(info.contains("db0:keys=3,expires=2,avg_ttl=0"), info);
        script(new String[][] {{"PERSIST", "b"}, {":1\r\n"}});
        info = c.call("INFO", "keyspace");
        org.junit.jupiter.api.Assertions.assertTrue(info.contains("db0:keys=3,expires=1,avg_ttl=0"), info);
    }
}
