package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cases where a run of the same bytes against redis-server 7 and this server once differed: each
 * expected reply is what redis-server sent, and each effect (what is stored after) what it did.
 */
@Timeout(60)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class RedisParityTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;
    RunningServer running;
    RespClient c;

    private static final String OK = "+OK\r\n";
    private static final String NIL = "$-1\r\n";
    private static final String SYNTAX = "-ERR syntax error\r\n";
    private static final String NOT_INTEGER = "-ERR value is not an integer or out of range\r\n";

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

    private static String wrongArgs(String cmd) {
        return "-ERR wrong number of arguments for '" + cmd + "' command\r\n";
    }

    private void script(String[][] script) throws Exception {
        for (int i = 0; i < script.length; i += 2) {
            assertEquals(script[i + 1][0], c.call(script[i]), String.join(" ", script[i]));
        }
    }

    /** SHUTDOWN with an argument Redis does not know is a syntax error, and the server goes on. */
    @Test
    void shutdownChecksItsArguments() throws Exception {
        script(new String[][] {
            {"SHUTDOWN", "FOO"}, {SYNTAX},
            {"SHUTDOWN", "a", "b", "c"}, {SYNTAX},
            {"SHUTDOWN", "NOSAVE", "SAVE"}, {SYNTAX},
            {"SHUTDOWN", "ABORT", "NOW"}, {SYNTAX},
            {"SHUTDOWN", "ABORT"}, {"-ERR No shutdown in progress.\r\n"},
            {"PING"}, {"+PONG\r\n"},
        });
        try (RespClient other = new RespClient(running.server.address())) {
            assertEquals("+PONG\r\n", other.call("PING"), "the server still serves");
        }
    }

    /**
     * An MSET or MSETNX with one pair the store cannot take (an empty key, a key too long, a value larger
     * than a slot) is an error, and none of its pairs is stored.
     */
    @Test
    void anMsetWithAPairTheStoreRefusesStoresNothing() throws Exception {
        assertEquals("-ERR empty key\r\n", c.call("MSET", "a", "1", "", "2", "c", "3"));
        String longKey = "k".repeat(1025);
        assertTrue(c.call("MSETNX", "x", "1", longKey, "2").startsWith("-ERR key too long"));
        String big = "v".repeat(70_000); // the store's largest value is about 64 KiB
        assertTrue(c.call("MSET", "d", "1", "e", big).startsWith("-ERR value larger than a slot holds"));
        assertEquals(":0\r\n", c.call("EXISTS", "a", "c", "x", "d", "e"));
        assertEquals(":0\r\n", c.call("DBSIZE"));
        assertEquals(OK, c.call("MSET", "a", "1", "c", "3"));
        assertEquals(":2\r\n", c.call("EXISTS", "a", "c"));
    }

    /**
     * GETEX reads its options first (a syntax error whatever the key), then the key (nil when absent,
     * whatever the time), then the time; an expiry option and PERSIST may repeat, the last time wins.
     */
    @Test
    void getexReadsOptionsThenTheKeyThenTheTime() throws Exception {
        script(new String[][] {
            {"GETEX", "nokey", "EX", "0"}, {NIL},
            {"GETEX", "nokey", "PX", "-1"}, {NIL},
            {"GETEX", "nokey", "EX", "x"}, {NIL},
            {"GETEX", "nokey", "EX", "10", "PX", "10"}, {SYNTAX},
            {"GETEX", "nokey", "FOO"}, {SYNTAX},
            {"SET", "k", "v", "EX", "100"}, {OK},
            {"GETEX", "k", "PERSIST", "PERSIST"}, {bulk("v")},
            {"TTL", "k"}, {":-1\r\n"},
            {"GETEX", "k", "PERSIST", "x"}, {SYNTAX},
            {"GETEX", "k", "PERSIST", "EX", "10"}, {SYNTAX},
            {"GETEX", "k", "EX", "10", "PERSIST"}, {SYNTAX},
            {"GETEX", "k", "EX"}, {SYNTAX},
            {"GETEX", "k", "EX", "10", "EX", "20"}, {bulk("v")},
            {"TTL", "k"}, {":20\r\n"},
            {"GETEX", "k", "EX", "10", "EX", "x"}, {NOT_INTEGER},
            {"GETEX", "k", "EX", "0"}, {"-ERR invalid expire time in 'getex' command\r\n"},
            {"GETEX", "k", "PXAT", "1"}, {bulk("v")},
            {"EXISTS", "k"}, {":0\r\n"},
        });
    }

    /** SCAN reads its cursor as Redis's strtoul does: "", "-1" and 2^64 - 1 are cursors. */
    @Test
    void scanTakesTheCursorsRedisTakes() throws Exception {
        String end = "*2\r\n" + bulk("0") + "*0\r\n";
        script(new String[][] {
            {"SCAN", ""}, {end},
            {"SCAN", "-1"}, {end},
            {"SCAN", "18446744073709551615"}, {end},
            {"SCAN", "18446744073709551616"}, {"-ERR invalid cursor\r\n"},
            {"SCAN", " 1"}, {"-ERR invalid cursor\r\n"},
            {"SCAN", "+"}, {"-ERR invalid cursor\r\n"},
            {"SCAN", "1x"}, {"-ERR invalid cursor\r\n"},
            {"SET", "k", "v"}, {OK},
            {"SCAN", ""}, {"*2\r\n" + bulk("0") + "*1\r\n" + bulk("k")},
            {"SCAN", "+0"}, {"*2\r\n" + bulk("0") + "*1\r\n" + bulk("k")},
            {"SCAN", "-1"}, {end}, // past the index's 32 bits: a scan that is over
        });
    }

    /** PEXPIREAT takes the smallest long (a time long past: the key is deleted); EXPIREAT's bounds hold. */
    @Test
    void pexpireatOfTheSmallestLongDeletesTheKey() throws Exception {
        script(new String[][] {
            {"SET", "k", "v"}, {OK},
            {"PEXPIREAT", "k", "-9223372036854775808"}, {":1\r\n"},
            {"EXISTS", "k"}, {":0\r\n"},
            {"SET", "k", "v"}, {OK},
            {"PEXPIREAT", "k", "-9223372036854775808", "LT"}, {":1\r\n"},
            {"EXISTS", "k"}, {":0\r\n"},
            {"SET", "k", "v"}, {OK},
            {"EXPIREAT", "k", "-9223372036854775808"}, {"-ERR invalid expire time in 'expireat' command\r\n"},
            {"EXPIRE", "k", "9223372036854775807"}, {"-ERR invalid expire time in 'expire' command\r\n"},
            {"EXISTS", "k"}, {":1\r\n"},
        });
    }

    /**
     * A key without an expiry lives forever to GT and LT: LT always sets one, GT never, even at the largest
     * time (found by sending the same random commands to both servers).
     */
    @Test
    void gtAndLtTakeAKeyWithoutExpiryAsLivingForever() throws Exception {
        script(new String[][] {
            {"SET", "k", "v"}, {OK},
            {"PEXPIREAT", "k", "9223372036854775807", "GT"}, {":0\r\n"},
            {"TTL", "k"}, {":-1\r\n"},
            {"PEXPIREAT", "k", "9223372036854775807", "LT"}, {":1\r\n"},
            {"PEXPIREAT", "k", "9223372036854775807", "LT"}, {":0\r\n"},
            {"PEXPIREAT", "k", "9223372036854775806", "LT"}, {":1\r\n"},
            {"PEXPIREAT", "k", "9223372036854775807", "GT"}, {":1\r\n"},
            {"PERSIST", "k"}, {":1\r\n"},
            {"EXPIRE", "k", "100", "GT"}, {":0\r\n"},
            {"EXPIRE", "k", "100", "LT"}, {":1\r\n"},
            {"TTL", "k"}, {":100\r\n"},
        });
    }

    /**
     * A key whose expiry passed leaves DBSIZE without anyone looking it up (the sweep drops it within a
     * few seconds, as Redis's active expiry does), and FLUSHALL leaves none behind.
     */
    @Test
    void expiredKeysLeaveWithoutALookupAndFlushallLeavesNone() throws Exception {
        assertEquals(OK, c.call("SET", "gone", "v", "PX", "1"));
        assertEquals(OK, c.call("SET", "stays", "v"));
        long deadline = System.nanoTime() + 10_000_000_000L;
        String size;
        do {
            Thread.sleep(100);
            size = c.call("DBSIZE");
        } while (!size.equals(":1\r\n") && System.nanoTime() < deadline);
        assertEquals(":1\r\n", size, "the expired key left DBSIZE with no lookup of it");
        assertEquals(OK, c.call("SET", "k2", "v", "PX", "1"));
        Thread.sleep(20);
        assertEquals(OK, c.call("FLUSHALL"));
        assertEquals(":0\r\n", c.call("DBSIZE"));
    }

    /**
     * COMMAND INFO of an unknown command is a nil bulk; a subcommand's own number of arguments is checked,
     * as Redis's subcommand arity; COMMAND LIST and CLIENT LIST take no other argument here.
     */
    @Test
    void subcommandsCheckTheirArguments() throws Exception {
        script(new String[][] {
            {"COMMAND", "INFO", "nosuch"}, {"*1\r\n" + NIL},
            {"COMMAND", "COUNT", "x"}, {wrongArgs("command|count")},
            {"COMMAND", "HELP", "x"}, {wrongArgs("command|help")},
            {"COMMAND", "LIST", "x"}, {SYNTAX},
            {"CLIENT", "INFO", "x"}, {wrongArgs("client|info")},
            {"CLIENT", "HELP", "x"}, {wrongArgs("client|help")},
            {"CLIENT", "KILL"}, {wrongArgs("client|kill")},
            {"CLIENT", "SETNAME"}, {wrongArgs("client|setname")},
            {"CONFIG", "HELP", "x"}, {wrongArgs("config|help")},
            {"CLIENT", "LIST", "x"}, {SYNTAX},
            {"CLIENT", "LIST", "TYPE", "master"}, {"$0\r\n\r\n"},
            {"CLIENT", "LIST", "TYPE", "x"}, {"-ERR Unknown client type 'x'\r\n"},
            {"CLIENT", "LIST", "ID", "0"}, {"$0\r\n\r\n"},
            {"CLIENT", "LIST", "ID", "-3"}, {"$0\r\n\r\n"},
            {"CLIENT", "LIST", "ID", "x"}, {"-ERR Invalid client ID\r\n"},
            {"CLIENT", "LIST", "ID", "999999"}, {"$0\r\n\r\n"},
            {"CONFIG", "SET", "timeout"}, {wrongArgs("config|set")},
            {"CONFIG", "SET", "a", "b", "c"}, {SYNTAX},
            {"PING"}, {"+PONG\r\n"},
        });
    }

    /**
     * CLIENT LIST TYPE normal and ID list this connection; ID lists the clients in the order of the ids
     * given, one as often as its id is (redis-server 7.0).
     */
    @Test
    void clientListFilters() throws Exception {
        String id = c.call("CLIENT", "ID").substring(1).strip();
        assertTrue(c.call("CLIENT", "LIST", "TYPE", "normal").contains("id=" + id + " "));
        String mine = c.call("CLIENT", "LIST", "ID", id, "424242");
        assertTrue(mine.contains("id=" + id + " ") && mine.lines().filter(l -> l.startsWith("id=")).count() == 1, mine);
        try (RespClient other = new RespClient(running.server.address())) {
            String otherId = other.call("CLIENT", "ID").substring(1).strip();
            String both = c.call("CLIENT", "LIST", "ID", otherId, id, otherId);
            assertEquals(List.of(otherId, id, otherId), both.lines().filter(l -> l.startsWith("id="))
                    .map(l -> l.substring(l.indexOf("id=") + 3, l.indexOf(' ', l.indexOf("id=")))).toList(), both);
        }
    }

    /** CONFIG GET of a plain name answers with the name as sent; the server's own settings are there. */
    @Test
    void configGetEchoesTheNameAndGivesTheServersSettings() throws Exception {
        int port = running.server.address().getPort();
        script(new String[][] {
            {"CONFIG", "GET", "MAXMEMORY"}, {"*2\r\n" + bulk("MAXMEMORY") + bulk("0")},
            {"CONFIG", "GET", "port"}, {"*2\r\n" + bulk("port") + bulk(Integer.toString(port))},
            {"CONFIG", "GET", "bind"}, {"*2\r\n" + bulk("bind") + bulk("127.0.0.1")},
            {"CONFIG", "GET", "MAXCLIENTS", "maxclients"}, {"*2\r\n" + bulk("MAXCLIENTS")
                    + bulk(Integer.toString(ServerOptions.loopback(0, 1).maxClients()))},
            {"CONFIG", "GET", "requirepass"}, {"*0\r\n"},
        });
        assertTrue(c.call("CONFIG", "GET", "proto-max-*").startsWith("*2\r\n" + bulk("proto-max-bulk-len")));
        // The eviction CONFIG GET names is INFO's: each class is a ring whose writes evict the oldest written.
        assertEquals("*2\r\n" + bulk("maxmemory-policy") + bulk("rawio-fifo"), c.call("CONFIG", "GET", "maxmemory-policy"));
        assertTrue(c.call("INFO", "memory").contains("\r\nmaxmemory_policy:rawio-fifo\r\n"));
    }

    /**
     * A '-' just before ']' makes a range that ends at ']', and the set goes on to the next ']' (or the
     * pattern's end), as in Redis: "h[a-]llo" is 'h' and one byte of ']'..'a' or "llo", so it matches "h_"
     * and not "hallo" (redis-server 7 answered these two KEYS so).
     */
    @Test
    void aRangeMayEndAtTheClosingBracket() throws Exception {
        assertEquals(OK, c.call("MSET", "hallo", "1", "h-llo", "2", "h_x", "3", "h_", "4", "hx", "5"));
        assertEquals("*1\r\n" + bulk("h_"), c.call("KEYS", "h[a-]llo"));
        String two = c.call("KEYS", "h[a-]x]");
        assertTrue(two.startsWith("*2\r\n") && two.contains(bulk("h_")) && two.contains(bulk("hx")), two);
    }
}
