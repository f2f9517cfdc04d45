package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code rawio serve}: ready line, a client session, SHUTDOWN with the data kept, bad flags. */
@Timeout(120)
class ServeCommandTest {
    /**
     * The loop serve runs unless told: io_uring's, or epoll's where io_uring is refused (saying why; also
     * where the ring is there but lacks what the loop needs). Never a plain epoll loop.
     */
    private static final String DEFAULT_LOOP = io.rawio.uring.IoUring.available() ? "(?:uring|epoll \\(io_uring refused)"
            : "epoll \\(io_uring refused";
    @TempDir
    Path dir;

    private static int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** {@code rawio ARGS} on a thread of its own (a server, until it stops): its exit status. */
    private static CompletableFuture<Integer> serving(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        return CompletableFuture.supplyAsync(() -> run(out, err, args), r -> Thread.ofPlatform().start(r));
    }

    private static String line(DataInputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            assertTrue(c >= 0, "connection closed: " + b);
            b.append((char) c);
        }
        return b.toString();
    }

    /** Waits (60 s at most) for serve's ready line to match {@code ready}; fails if serve ends first. */
    private static Matcher awaitReady(Pattern ready, ByteArrayOutputStream out, ByteArrayOutputStream err,
            CompletableFuture<Integer> serving) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Matcher m;
        while (!(m = ready.matcher(out.toString(StandardCharsets.UTF_8))).find()) {
            assertFalse(serving.isDone(), "serve ended before it was ready: " + err.toString(StandardCharsets.UTF_8));
            assertTrue(System.nanoTime() < deadline, "ready within 60 s: " + out.toString(StandardCharsets.UTF_8));
            Thread.sleep(20);
        }
        return m;
    }

    @Test
    void servesAClientAndKeepsWhatItStoredAfterShutdown() throws Exception {
        String store = dir.resolve("s.store").toString();
        assertEquals(0, run(new ByteArrayOutputStream(), new ByteArrayOutputStream(), "store", "format", store,
                "--size=64m", "--max-value=1m", "--engine=psync"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> serving = serving(out, err, "serve", store, "--port=0", "--engine=psync");
        Pattern ready = Pattern.compile("ready on 127\\.0\\.0\\.1:(\\d+) \\(loop " + DEFAULT_LOOP);
        Matcher m = awaitReady(ready, out, err, serving);
        int port = Integer.parseInt(m.group(1));
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            o.write("*3\r\n$3\r\nSET\r\n$4\r\nname\r\n$5\r\nrawio\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+OK\r", line(in));
            // A second server on the same store is refused clearly, and the first goes on unharmed.
            ByteArrayOutputStream second = new ByteArrayOutputStream();
            assertEquals(1, run(new ByteArrayOutputStream(), second, "serve", store, "--port=0", "--engine=psync"));
            String refused = second.toString(StandardCharsets.UTF_8).strip();
            assertEquals(1, refused.lines().count(), refused);
            assertTrue(refused.startsWith("rawio serve: ") && refused.contains("in use"), refused);
            o.write("GET name\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("$5\r", line(in));
            assertEquals("rawio\r", line(in));
            o.write("SHUTDOWN\r\n".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            assertEquals(-1, in.read(), "SHUTDOWN closes the connection without a reply");
        }
        assertEquals(0, serving.get(60, TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("stopped; the store is closed"));
        try (io.rawio.store.SlotStore st = io.rawio.store.SlotStore.open(Path.of(store),
                io.rawio.store.StoreOptions.defaults().withEngine("psync"))) {
            assertEquals("rawio", new String(st.get("name".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
            assertEquals(0, st.stats().recoveredKeys(), "closed cleanly: a checkpoint, no scan needed");
        }
    }

    /**
     * --loop=uring and --loop=threads: the ready line names the loop (uring with what it uses, or epoll
     * and why io_uring was refused here; threads with its cap), a client is served, SHUTDOWN stops it.
     */
    @ParameterizedTest(name = "--loop={0}")
    @ValueSource(strings = {"uring", "threads"})
    void eachLoopSaysItsNameAndServes(String loop) throws Exception {
        String store = dir.resolve(loop + ".store").toString();
        assertEquals(0, run(new ByteArrayOutputStream(), new ByteArrayOutputStream(), "store", "format", store,
                "--size=32m", "--max-value=64k", "--engine=psync"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] args = loop.equals("threads")
                ? new String[] {"serve", store, "--port=0", "--engine=psync", "--loop=threads", "--threads=3"}
                : new String[] {"serve", store, "--port=0", "--engine=psync", "--loop=uring"};
        CompletableFuture<Integer> serving = serving(out, err, args);
        Pattern ready = Pattern.compile("ready on 127\\.0\\.0\\.1:(\\d+) \\(loop ([^\\n]*), store ");
        Matcher m = awaitReady(ready, out, err, serving);
        String named = m.group(2);
        if (loop.equals("threads")) {
            assertEquals("threads (at most 3 connections at once)", named);
        } else if (io.rawio.uring.IoUring.available()) {
            assertTrue(named.startsWith("uring ("), named);
        } else {
            assertTrue(named.startsWith("epoll (io_uring refused: "), named);
        }
        int port = Integer.parseInt(m.group(1));
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            o.write("SET k v\r\nGET k\r\nINFO server\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+OK\r", line(in));
            assertEquals("$1\r", line(in));
            assertEquals("v\r", line(in));
            String info = line(in);
            byte[] body = new byte[Integer.parseInt(info.substring(1).strip()) + 2];
            in.readFully(body);
            String api = named.startsWith("uring") ? "io_uring" : named.startsWith("threads") ? "threads" : "epoll";
            assertTrue(new String(body, StandardCharsets.US_ASCII).contains("multiplexing_api:" + api + "\r\n"));
            o.write("SHUTDOWN\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, in.read(), "SHUTDOWN closes the connection without a reply");
        }
        assertEquals(0, serving.get(60, TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("stopped; the store is closed"));
    }

    @Test
    void badFlagsAreOneLineAndExitTwo() {
        String store = dir.resolve("none.store").toString();
        String[][] cases = {
            {"serve", store, "--port=70000"},
            {"serve", store, "--bind=10.1.2.3"},
            {"serve", store, "--maxclients=0"},
            {"serve", store, "--max-bulk=lots"},
            {"serve", store, "--max-bulk=2047m"}, // a query buffer past what a Java array holds
            {"serve", store, "--max-bulk=0"},
            {"serve", store},
            {"serve", store, "--loop=select"},
            {"serve", store, "--idle-timeout=soon"},
            {"serve", store, "--client-output-limit=0"},
            {"serve", store, "--size=1g"},
            {"serve", store, "--create"},
            {"serve", store, "--classes=4k,64k"},
            {"serve", store, "--class-share=1,1"},
            {"serve", store, "--create", "--size=48m", "--classes=4k,64k", "--max-value=1m"},
            {"serve", store, "--create", "--size=48m", "--classes=4k,64k", "--class-share=1"},
            {"serve", store, "--create", "--size=48m", "--classes=4k,64k", "--class-share=1,-1"},
            {"serve", store, "--batch=0"},
            {"serve", store, "--loop=threads", "--threads=-1"},
            {"serve", store, "--threads=4"},
            {"serve", store, "--bogus"}, // picocli's own errors: one line too
            {"serve", store, "--port=abc"},
            {"serve"},
        };
        for (String[] c : cases) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(2, run(new ByteArrayOutputStream(), err, c), String.join(" ", c));
            String e = err.toString(StandardCharsets.UTF_8).strip();
            assertEquals(1, e.lines().count(), String.join(" ", c) + " -> " + e);
            assertTrue(e.startsWith("rawio serve: "), e);
            if (c.length > 2 && c[2].startsWith("--max-bulk")) {
                assertTrue(e.contains("--max-bulk"), "the flag is named, not the missing store: " + e);
            }
        }
    }

    @Test
    void createFormatsAMissingStoreAndAnIdleClientIsClosed() throws Exception {
        Path store = dir.resolve("new.store");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> serving = serving(out, err, "serve", store.toString(), "--port=0", "--engine=psync",
                "--create", "--size=48m", "--max-value=64k", "--idle-timeout=1s");
        Pattern ready = Pattern.compile("ready on 127\\.0\\.0\\.1:(\\d+) \\(loop " + DEFAULT_LOOP + ".*, store [^,]+, (\\d+) slot class");
        Matcher m = awaitReady(ready, out, err, serving);
        assertTrue(java.nio.file.Files.size(store) >= 48L << 20, "formatted to its size");
        assertTrue(Integer.parseInt(m.group(2)) > 1, "classes derived from --max-value: " + m.group());
        int port = Integer.parseInt(m.group(1));
        try (Socket idle = new Socket("127.0.0.1", port); Socket busy = new Socket("127.0.0.1", port)) {
            idle.setSoTimeout(10_000);
            busy.setSoTimeout(10_000);
            DataInputStream bin = new DataInputStream(busy.getInputStream());
            long start = System.nanoTime();
            // The busy client keeps talking for 3 s; the idle one says nothing and is closed after about 1 s.
            while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3)) {
                busy.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals("+PONG\r", line(bin));
                Thread.sleep(200);
            }
            assertEquals(-1, idle.getInputStream().read(), "the idle connection was closed");
            // A value larger than the store's largest (--max-value=64k) is refused by its length, before
            // the server takes its bytes: a protocol error, the connection closed, nothing stored.
            try (Socket big = new Socket("127.0.0.1", port)) {
                big.setSoTimeout(10_000);
                big.getOutputStream().write("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$200000\r\n".getBytes(StandardCharsets.US_ASCII));
                DataInputStream in = new DataInputStream(big.getInputStream());
                assertEquals("-ERR Protocol error: invalid bulk length\r", line(in));
                assertEquals(-1, in.read());
            }
            busy.getOutputStream().write("EXISTS big\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(":0\r", line(bin));
            busy.getOutputStream().write("SHUTDOWN\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, bin.read());
        }
        assertEquals(0, serving.get(60, TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void createTakesTheClassesAndTheirSharesAsStoreFormatDoes() throws Exception {
        Path store = dir.resolve("shares.store");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> serving = serving(out, err, "serve", store.toString(), "--port=0", "--engine=psync",
                "--create", "--size=48m", "--classes=4k,64k", "--class-share=3,1");
        Matcher m = awaitReady(Pattern.compile("ready on 127\\.0\\.0\\.1:(\\d+) .*, (\\d+) slot class"), out, err, serving);
        assertEquals("2", m.group(2), m.group());
        try (Socket s = new Socket("127.0.0.1", Integer.parseInt(m.group(1)))) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("SHUTDOWN\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, s.getInputStream().read());
        }
        assertEquals(0, serving.get(60, TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
        assertFalse(err.toString(StandardCharsets.UTF_8).contains("note:"), "9,000 small slots: nothing to say");
        try (io.rawio.store.SlotStore opened = io.rawio.store.SlotStore.open(store,
                io.rawio.store.StoreOptions.defaults().withEngine("psync"))) {
            var classes = opened.classStats();
            assertEquals(2, classes.size());
            assertEquals(4096, classes.get(0).slotSize());
            assertEquals(65536, classes.get(1).slotSize());
            double share = (double) (classes.get(0).slots() * classes.get(0).slotSize())
                    / (classes.get(1).slots() * classes.get(1).slotSize());
            assertTrue(share > 2.7 && share < 3.3, "the 4k class has three times the 64k class's space: " + share);
        }
    }

    @Test
    void unixSocketInsteadOfTcp() throws Exception {
        Path sock = dir.resolve("serve.sock");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> serving = serving(out, err, "serve", dir.resolve("u.store").toString(),
                "--engine=psync", "--create", "--size=32m", "--max-value=64k", "--unixsocket=" + sock);
        awaitReady(Pattern.compile(Pattern.quote("ready on unix:" + sock + " (loop ") + DEFAULT_LOOP), out, err, serving);
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(sock))) {
            ch.write(java.nio.ByteBuffer.wrap("PING\r\nSHUTDOWN\r\n".getBytes(StandardCharsets.US_ASCII)));
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
            while (ch.read(b) >= 0) {
                // until SHUTDOWN closes it
            }
            assertEquals("+PONG\r\n", new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII));
        }
        assertEquals(0, serving.get(60, TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
        assertFalse(java.nio.file.Files.exists(sock), "the socket file is removed at exit");
        // 32m over classes of 4 KiB to 68 KiB, as many slots each: a few hundred small values, and serve says so.
        String note = err.toString(StandardCharsets.UTF_8);
        Matcher few = Pattern.compile("rawio serve: note: the smallest slot class has (\\d+) slots of 4096 bytes, so past"
                + " \\1 small values the oldest are evicted; .*--class-share").matcher(note);
        assertTrue(few.find(), note);
        assertTrue(Long.parseLong(few.group(1)) < 1024, few.group());
        assertEquals(1, note.lines().filter(l -> l.contains("note:")).count(), note);
    }
}
