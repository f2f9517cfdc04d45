package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SlotStore;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/** Each loop on loopback, spoken to in raw RESP: replies byte for byte, pipelines, bad input. */
@Timeout(60)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class EpollServerTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;
    RunningServer running;
    SlotStore store;
    ServerLoop server;

    @BeforeEach
    void start() throws Exception {
        running = new RunningServer(loop, dir, 96L << 20, 1L << 20);
        store = running.store;
        server = running.server;
    }

    @AfterEach
    void stop() throws Exception {
        running.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(server.address().getAddress(), server.address().getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static byte[] cmd(String... args) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.UTF_8));
        for (String a : args) {
            byte[] x = a.getBytes(StandardCharsets.UTF_8);
            b.writeBytes(("$" + x.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            b.writeBytes(x);
            b.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    /** One reply, as its raw bytes. */
    private static String reply(DataInputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("closed: " + line);
            }
            line.append((char) c);
        }
        String l = line + "\n";
        if ((l.charAt(0) == '$' || l.charAt(0) == '=') && !l.startsWith("$-1")) {
            byte[] body = new byte[Integer.parseInt(l.substring(1).strip()) + 2];
            in.readFully(body);
            return l + new String(body, StandardCharsets.ISO_8859_1);
        }
        return l;
    }

    @Test
    void commandsAnswerByteForByte() throws Exception {
        try (Socket s = connect()) {
            OutputStream o = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            String[][] script = {
                {"PING"}, {"+PONG\r\n"},
                {"SET", "k", "hello"}, {"+OK\r\n"},
                {"GET", "k"}, {"$5\r\nhello\r\n"},
                {"GET", "nope"}, {"$-1\r\n"},
                {"EXISTS", "k", "nope", "k"}, {":2\r\n"},
                {"SET", "k", "x", "NX"}, {"$-1\r\n"},
                {"SET", "k2", "y", "XX"}, {"$-1\r\n"},
                {"SET", "t", "v", "EX", "100"}, {"+OK\r\n"},
                {"TTL", "t"}, {":100\r\n"},
                {"PERSIST", "t"}, {":1\r\n"},
                {"TTL", "t"}, {":-1\r\n"},
                {"DBSIZE"}, {":2\r\n"},
                {"DEL", "k", "nope"}, {":1\r\n"},
                {"GET"}, {"-ERR wrong number of arguments for 'get' command\r\n"},
                {"SET", "k", "v", "EX", "soon"}, {"-ERR value is not an integer or out of range\r\n"},
                {"FROB", "a", "b"}, {"-ERR unknown command 'FROB', with args beginning with: 'a' 'b' \r\n"},
                {"SELECT", "0"}, {"+OK\r\n"},
                {"ECHO", "hi"}, {"$2\r\nhi\r\n"},
                {"MSET", "a", "1", "b", "22"}, {"+OK\r\n"},
                {"MGET", "a", "nope", "b"}, {"*3\r\n"},
                {"SETNX", "a", "9"}, {":0\r\n"},
                {"STRLEN", "b"}, {":2\r\n"},
                {"TYPE", "b"}, {"+string\r\n"},
                {"TYPE", "nope"}, {"+none\r\n"},
                {"SETEX", "e", "10", "v"}, {"+OK\r\n"},
                {"PTTL", "e"}, {":"},
                {"GETDEL", "b"}, {"$2\r\n22\r\n"},
                {"GET", "b"}, {"$-1\r\n"},
                {"MSET", "a"}, {"-ERR wrong number of arguments for 'mset' command\r\n"},
                {"HELLO", "4"}, {"-NOPROTO unsupported protocol version\r\n"},
                {"EXPIRE", "a", "18446744073709552"}, {"-ERR invalid expire time in 'expire' command\r\n"},
                {"SET", "a", "1", "EX", "9223372036854775"}, {"-ERR invalid expire time in 'set' command\r\n"},
                {"GET", "a"}, {"$1\r\n1\r\n"},
                {"MSETNX", "a", "x", "fresh", "y"}, {":0\r\n"},
                {"MSETNX", "m1", "x", "m2", "y"}, {":1\r\n"},
                {"GETEX", "m1", "EX", "100"}, {"$1\r\nx\r\n"},
                {"TTL", "m1"}, {":100\r\n"},
                {"GETEX", "m1", "PERSIST"}, {"$1\r\nx\r\n"},
                {"TTL", "m1"}, {":-1\r\n"},
                {"GETEX", "m1", "SOON", "1"}, {"-ERR syntax error\r\n"},
            };
            for (int i = 0; i < script.length; i += 2) {
                o.write(cmd(script[i]));
                o.flush();
                String r = reply(in);
                if (script[i + 1][0].equals(":")) {
                    assertTrue(r.startsWith(":") && Long.parseLong(r.substring(1).strip()) > 9_000, r);
                } else {
                    assertEquals(script[i + 1][0], r, String.join(" ", script[i]));
                }
                if (script[i][0].equals("MGET")) {
                    assertEquals("$1\r\n1\r\n", reply(in));
                    assertEquals("$-1\r\n", reply(in));
                    assertEquals("$2\r\n22\r\n", reply(in));
                }
            }
            o.write(cmd("HELLO", "3"));
            o.flush();
            assertEquals("%7\r\n", reply(in), "RESP3 after HELLO 3: a map");
            for (int i = 0; i < 14; i++) {
                reply(in);
            }
            o.write(cmd("GET", "nope"));
            o.flush();
            assertEquals("_\r\n", reply(in), "RESP3's null");
            o.write(cmd("RANDOMKEY"));
            o.flush();
            assertTrue(reply(in).startsWith("$"), "RANDOMKEY gives some key");
            o.write(cmd("INFO"));
            o.flush();
            String info = reply(in);
            assertTrue(info.startsWith("=") && info.contains("txt:# Server") && info.contains("redis_version:"),
                    "INFO: a verbatim string in RESP3");
            o.write("PING\r\n".getBytes(StandardCharsets.US_ASCII)); // inline, as telnet sends it
            o.flush();
            assertEquals("+PONG\r\n", reply(in));
        }
    }

    /** A thousand commands in one write: a thousand replies, in order. */
    @Test
    void aPipelineIsAnsweredInOrder() throws Exception {
        try (Socket s = connect()) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int i = 0; i < 500; i++) {
                b.writeBytes(cmd("SET", "p" + i, "v" + i));
                b.writeBytes(cmd("GET", "p" + i));
            }
            s.getOutputStream().write(b.toByteArray());
            s.getOutputStream().flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i < 500; i++) {
                assertEquals("+OK\r\n", reply(in));
                String v = "v" + i;
                assertEquals("$" + v.length() + "\r\n" + v + "\r\n", reply(in));
            }
        }
    }

    /**
     * Runs of SETs and GETs go to the store as batches; a request between them, and a key written twice
     * in one run, still give what one request at a time would.
     */
    @Test
    void batchedRunsKeepEveryRequestsMeaning() throws Exception {
        try (Socket s = connect()) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int i = 0; i < 60; i++) { // fewer than the smallest class's slots: nothing is evicted
                b.writeBytes(cmd("SET", "r" + i, "a" + i));
            }
            b.writeBytes(cmd("SET", "r7", "second"));          // the same key again in the run: the last wins
            for (int i = 0; i < 30; i++) {
                b.writeBytes(cmd("GET", "r" + i));
            }
            b.writeBytes(cmd("DEL", "r40"));                   // between two runs of GETs
            for (int i = 30; i < 60; i++) {
                b.writeBytes(cmd("GET", "r" + i));
            }
            s.getOutputStream().write(b.toByteArray());
            s.getOutputStream().flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i <= 60; i++) {
                assertEquals("+OK\r\n", reply(in));
            }
            for (int i = 0; i < 60; i++) {
                if (i == 30) {
                    assertEquals(":1\r\n", reply(in), "DEL r40");
                }
                String v = i == 7 ? "second" : "a" + i;
                assertEquals(i == 40 ? "$-1\r\n" : "$" + v.length() + "\r\n" + v + "\r\n", reply(in), "GET r" + i);
            }
        }
    }

    @Test
    void aLargeValueGoesInAndComesBackExactly() throws Exception {
        byte[] v = new byte[700_000];
        new java.util.Random(1).nextBytes(v);
        try (Socket s = connect()) {
            OutputStream o = s.getOutputStream();
            o.write("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$700000\r\n".getBytes(StandardCharsets.US_ASCII));
            o.write(v);
            o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            o.write(cmd("GET", "big"));
            o.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertEquals("+OK\r\n", reply(in));
            String head = "$700000\r\n";
            byte[] got = new byte[head.length() + v.length + 2];
            in.readFully(got);
            assertEquals(head, new String(got, 0, head.length(), StandardCharsets.US_ASCII));
            assertArrayEquals(v, Arrays.copyOfRange(got, head.length(), head.length() + v.length));
        }
    }

    /** Malformed input: Redis's protocol error, then the connection is closed; the server goes on. */
    @Test
    void aProtocolErrorClosesTheConnectionAndNothingElse() throws Exception {
        for (String bad : new String[] {"*1\r\n$2147483647\r\n", "*1\r\n+PING\r\n", "*x\r\n"}) {
            try (Socket s = connect()) {
                s.getOutputStream().write(bad.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                DataInputStream in = new DataInputStream(s.getInputStream());
                String r = reply(in);
                assertTrue(r.startsWith("-ERR Protocol error: "), bad + " -> " + r);
                assertEquals(-1, in.read(), "closed after a protocol error");
            }
        }
        try (Socket s = connect()) {
            s.getOutputStream().write(cmd("PING"));
            assertEquals("+PONG\r\n", reply(new DataInputStream(s.getInputStream())));
        }
    }

    /** With a password: nothing but AUTH (and QUIT) before it, a wrong one refused, then everything works. */
    @Test
    void aPasswordIsAskedForBeforeAnyCommand() throws Exception {
        try (ServerLoop locked = RunningServer.open(loop, store, ServerOptions.loopback(0, 1L << 20)
                .withPassword("s3cret".getBytes(StandardCharsets.UTF_8)))) {
            Thread t = Thread.ofPlatform().start(locked::run);
            try (Socket s = new Socket(locked.address().getAddress(), locked.address().getPort())) {
                s.setSoTimeout(10_000);
                OutputStream o = s.getOutputStream();
                DataInputStream in = new DataInputStream(s.getInputStream());
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                b.writeBytes(cmd("GET", "k"));
                b.writeBytes(cmd("GET", "k2"));
                b.writeBytes(cmd("AUTH", "wrong"));
                b.writeBytes(cmd("AUTH", "default", "s3cret"));
                b.writeBytes(cmd("SET", "k", "v"));
                b.writeBytes(cmd("GET", "k"));
                o.write(b.toByteArray());
                o.flush();
                assertEquals("-NOAUTH Authentication required.\r\n", reply(in));
                assertEquals("-NOAUTH Authentication required.\r\n", reply(in));
                assertEquals("-WRONGPASS invalid username-password pair or user is disabled.\r\n", reply(in));
                assertEquals("+OK\r\n", reply(in));
                assertEquals("+OK\r\n", reply(in));
                assertEquals("$1\r\nv\r\n", reply(in));
            } finally {
                locked.stop();
                t.join(10_000);
            }
        }
        try (Socket s = connect()) { // the server without a password refuses AUTH as Redis does
            s.getOutputStream().write(cmd("AUTH", "x"));
            assertTrue(reply(new DataInputStream(s.getInputStream())).startsWith("-ERR AUTH <password> called without"));
        }
    }

    @Test
    void quitAnswersThenCloses() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write(cmd("QUIT"));
            DataInputStream in = new DataInputStream(s.getInputStream());
            assertEquals("+OK\r\n", reply(in));
            assertEquals(-1, in.read());
        }
    }
}
