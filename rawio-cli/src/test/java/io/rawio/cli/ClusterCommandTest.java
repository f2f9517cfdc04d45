package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --cluster} and {@code cluster check} from the command line: bad files, and two nodes checked. */
@Timeout(120)
class ClusterCommandTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aBadClusterFileIsOneLineAndExitTwo() throws Exception {
        String store = dir.resolve("s.store").toString();
        assertEquals(0, run("store", "format", store, "--size=16m", "--max-value=64k", "--engine=psync").exit());
        Path overlap = dir.resolve("overlap.conf");
        Files.writeString(overlap, "a 127.0.0.1:7001 0-100\nb 127.0.0.1:7002 100-16383\n");
        Path good = dir.resolve("good.conf");
        Files.writeString(good, "a 127.0.0.1:7001 0-16383\n");
        String[][] cases = {
            {"serve", store, "--cluster=" + overlap, "--engine=psync"},
            {"serve", store, "--cluster=" + dir.resolve("missing.conf"), "--engine=psync"},
            {"serve", store, "--cluster=" + good, "--cluster-node=z", "--engine=psync"},
            {"serve", store, "--cluster=" + good, "--port=7009", "--engine=psync"},
            {"serve", store, "--cluster-node=a", "--engine=psync"},
            {"cluster", "check", overlap.toString()},
            {"cluster", "check", dir.resolve("missing.conf").toString()},
            {"cluster"},
        };
        for (String[] c : cases) {
            Run r = run(c);
            assertEquals(2, r.exit(), String.join(" ", c) + ": " + r.err());
            String e = r.err().strip();
            assertTrue(e.lines().count() == 1 && e.startsWith("rawio " + c[0]), String.join(" ", c) + " -> " + e);
        }
        assertEquals("rawio serve: --cluster: " + overlap + ":2: slot 100 (in 100-16383) is already owned by node 'a'"
                + " on line 1", run(cases[0]).err().strip());
    }

    private static int[] freePorts(int n) throws Exception {
        ServerSocket[] s = new ServerSocket[n];
        int[] ports = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            ports[i] = s[i].getLocalPort();
        }
        for (ServerSocket x : s) {
            x.close();
        }
        return ports;
    }

    private static void shutdown(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream o = s.getOutputStream();
            o.write("SHUTDOWN\r\n".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            s.getInputStream().read();
        }
    }

    @Test
    void twoNodesServeTheirSlotsAndAreChecked() throws Exception {
        int[] ports = freePorts(2);
        Path conf = dir.resolve("cluster.conf");
        Files.writeString(conf, "# two nodes\na 127.0.0.1:" + ports[0] + " 0-8191\nb 127.0.0.1:" + ports[1]
                + " 8192-16000\n");
        @SuppressWarnings("unchecked")
        CompletableFuture<Run>[] serving = new CompletableFuture[2];
        ByteArrayOutputStream[] outs = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        ByteArrayOutputStream[] errs = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        for (int i = 0; i < 2; i++) {
            String store = dir.resolve("n" + i + ".store").toString();
            assertEquals(0, run("store", "format", store, "--size=16m", "--max-value=64k", "--engine=psync").exit());
            // Node a by its name (its port from the file), node b by its --port.
            String[] args = i == 0 ? new String[] {"serve", store, "--cluster=" + conf, "--cluster-node=a", "--engine=psync"}
                    : new String[] {"serve", store, "--cluster=" + conf, "--port=" + ports[1], "--engine=psync"};
            PrintStream o = new PrintStream(outs[i], true, StandardCharsets.UTF_8);
            PrintStream e = new PrintStream(errs[i], true, StandardCharsets.UTF_8);
            serving[i] = CompletableFuture.supplyAsync(() -> new Run(Main.run(args, o, e), "", ""),
                    r -> Thread.ofPlatform().start(r));
        }
        try {
            String[] names = {"a", "b"};
            for (int i = 0; i < 2; i++) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!outs[i].toString(StandardCharsets.UTF_8).contains("ready on")) {
                    assertFalse(serving[i].isDone(), errs[i].toString(StandardCharsets.UTF_8));
                    assertTrue(System.nanoTime() < deadline, "ready within 60 s");
                    Thread.sleep(20);
                }
                String ready = outs[i].toString(StandardCharsets.UTF_8);
                assertTrue(ready.contains("ready on 127.0.0.1:" + ports[i] + " as cluster node " + names[i] + " of 2"),
                        ready);
                assertTrue(errs[i].toString(StandardCharsets.UTF_8).contains("slots 16001-16383 have no node"));
            }
            Run check = run("cluster", "check", conf.toString());
            assertEquals(1, check.exit(), check.out());
            assertTrue(check.out().contains("PROBLEM: slots 16001-16383 have no node"), check.out());
            assertTrue(check.out().contains("2 of 2 nodes up, 0 keys in all; 1 problem"), check.out());
            // A changed file (the gap given to b) is another map than the one the nodes run.
            Path full = dir.resolve("full.conf");
            Files.writeString(full, Files.readString(conf).replace("8192-16000", "8192-16383"));
            check = run("cluster", "check", full.toString());
            assertEquals(1, check.exit(), check.out());
            assertTrue(check.out().contains("it runs another cluster map"), check.out());
            shutdown(ports[1]);
            assertEquals(0, serving[1].get(60, TimeUnit.SECONDS).exit());
            check = run("cluster", "check", conf.toString());
            assertEquals(1, check.exit());
            assertTrue(check.out().contains("node b 127.0.0.1:" + ports[1] + " slots 8192-16000 (7809): PROBLEM:"
                    + " unreachable"), check.out());
        } finally {
            for (int i = 0; i < 2; i++) {
                if (!serving[i].isDone()) {
                    shutdown(ports[i]);
                    serving[i].get(60, TimeUnit.SECONDS);
                }
            }
        }
    }
}
