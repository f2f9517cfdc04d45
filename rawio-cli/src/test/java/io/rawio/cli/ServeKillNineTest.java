package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.FormatProgress;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of {@code rawio serve --durability=durable} in the middle of pipelined SETs from four clients,
 * three times, on each loop: after each, every key the server answered +OK for reads back exactly from
 * the store. And SIGTERM in the same place: serve stops by itself, exits 0 with the store closed, and
 * loses nothing it acknowledged.
 */
@Timeout(180)
class ServeKillNineTest {
    @TempDir
    Path dir;

    private static byte[] value(String key) {
        byte[] v = new byte[100 + Math.floorMod(key.hashCode(), 5000)];
        new java.util.SplittableRandom(key.hashCode()).nextBytes(v);
        return v;
    }

    private static byte[] set(String key) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value(key);
        b.writeBytes(("*3\r\n$3\r\nSET\r\n$" + k.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(k);
        b.writeBytes(("\r\n$" + v.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(v);
        b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    private static String line(DataInputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("closed");
            }
            b.append((char) c);
        }
        return b.toString().strip();
    }

    /**
     * The epoll loop on psync waits for each wave's putMany; the io_uring loop on the io_uring engine puts
     * it into its ring and holds the +OKs until its group commit (the held replies of RoundBatcher); the
     * threads loop writes each connection's SETs from its own thread.
     */
    @ParameterizedTest(name = "{2} of the {1} loop on {0}")
    @CsvSource({"psync, epoll, KILL", "uring, uring, KILL", "psync, threads, KILL",
        "psync, epoll, TERM", "uring, uring, TERM", "psync, threads, TERM"})
    void everyOkdDurableSetSurvives(String engine, String loop, String signal) throws Exception {
        assumeTrue(!engine.equals("uring") || io.rawio.uring.IoUring.available(), "io_uring unavailable");
        boolean term = signal.equals("TERM");
        Path store = dir.resolve("s.store");
        StoreOptions o = StoreOptions.defaults().withEngine(engine);
        // Room for every key the rounds write (about 10,400 slots a class): nothing acknowledged is evicted.
        SlotStore.format(store, 1L << 30, io.rawio.store.SlotClasses.forMaxValue(64 << 10), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        List<String> acked = new ArrayList<>();
        long[] killAfterMs = {150, 250, 100}; // four clients: about 6,000-9,000 keys at 300, 500, 200 ms
        for (int round = 0; round < killAfterMs.length; round++) {
            Path out = dir.resolve("serve-" + round + ".out");
            String java = ProcessHandle.current().info().command().orElse("java");
            Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), Main.class.getName(), "serve", store.toString(), "--port=0",
                    "--durability=durable", "--engine=" + engine, "--loop=" + loop)
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                Pattern ready = Pattern.compile("ready on 127\\.0\\.0\\.1:(\\d+)");
                Matcher m;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!(m = ready.matcher(Files.readString(out))).find()) {
                    assertTrue(child.isAlive(), "serve died: " + Files.readString(out));
                    assertTrue(System.nanoTime() < deadline, "ready within 60 s");
                    Thread.sleep(10);
                }
                int port = Integer.parseInt(m.group(1));
                long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(killAfterMs[round]);
                // Four clients, each pipelining 16 SETs before any reads its replies: several waves (and
                // on io_uring several putManys, their +OKs held) are in flight when the kill comes.
                List<Socket> clients = new ArrayList<>();
                try {
                    for (int c = 0; c < 4; c++) {
                        Socket s = new Socket("127.0.0.1", port);
                        s.setSoTimeout(10_000);
                        clients.add(s);
                    }
                    int batch = 0;
                    boolean killed = false;
                    while (!killed) {
                        List<List<String>> sent = new ArrayList<>();
                        for (int c = 0; c < clients.size(); c++) {
                            List<String> keys = new ArrayList<>();
                            ByteArrayOutputStream b = new ByteArrayOutputStream();
                            for (int i = 0; i < 16; i++) {
                                String k = "r" + round + "-" + batch + "-" + c + "-" + i;
                                keys.add(k);
                                b.writeBytes(set(k));
                            }
                            OutputStream os = clients.get(c).getOutputStream();
                            os.write(b.toByteArray());
                            os.flush();
                            sent.add(keys);
                        }
                        batch++;
                        if (System.nanoTime() > killAt) {
                            if (term) {
                                child.destroy(); // SIGTERM while these batches are in flight
                            } else {
                                child.destroyForcibly(); // SIGKILL while these batches are in flight
                            }
                            killed = true;
                        }
                        for (int c = 0; c < clients.size(); c++) {
                            DataInputStream in = new DataInputStream(clients.get(c).getInputStream());
                            try {
                                for (String k : sent.get(c)) {
                                    if (line(in).equals("+OK")) {
                                        acked.add(k);
                                    }
                                }
                            } catch (IOException e) {
                                killed = true; // the server is gone: the rest of the batch is unanswered
                            }
                        }
                    }
                } finally {
                    for (Socket s : clients) {
                        s.close();
                    }
                }
            } finally {
                if (term) {
                    // It stops by itself: what it parsed is answered, the store checkpointed and closed.
                    boolean stopped = child.waitFor(60, TimeUnit.SECONDS);
                    child.destroyForcibly();
                    assertTrue(stopped, "serve stops on SIGTERM: " + Files.readString(out));
                } else {
                    child.destroyForcibly();
                }
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            }
            if (term) {
                String said = Files.readString(out);
                assertEquals(0, child.exitValue(), "SIGTERM is a clean stop: " + said);
                assertTrue(said.contains("stopped; the store is closed"), said);
            }
            try (SlotStore s = SlotStore.open(store, o)) {
                for (String k : acked) {
                    byte[] got = s.get(k.getBytes(StandardCharsets.UTF_8));
                    assertNotNull(got, "round " + round + ": +OK'd key lost: " + k);
                    assertArrayEquals(value(k), got, "round " + round + ": value of " + k);
                }
            }
        }
        assertTrue(acked.size() > 100, "the server acknowledged SETs before it was killed: " + acked.size());
        assertTrue(acked.size() < 10_000, "fewer keys than a class has slots (else eviction, not loss): " + acked.size());
        assertEquals(acked.size(), acked.stream().distinct().count());
    }
}
