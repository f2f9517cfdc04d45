package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A client that sends a large SET value a few bytes at a time, never quiet for a second, does not keep a
 * buffer of the store's value budget ({@link ValueLanding#slow}): within the sweeps of two seconds the value
 * goes back to the query buffer, and the SET, once its last byte comes, stores every byte.
 */
@Timeout(60)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class SlowLargeValueTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    @Test
    void aValueTrickledInGivesItsStoreBufferBack() throws Exception {
        assumeTrue(!loop.equals("uring") || Integer.getInteger("rawio.uring.landingRecv", 0) == 0,
                "with -Drawio.uring.landingRecv a RECV in the ring fills the value, and keeps its buffer until it ends");
        try (RunningServer rs = new RunningServer(loop, dir, 32L << 20, 512L << 10);
                Socket slow = new Socket(rs.server.address().getAddress(), rs.server.address().getPort());
                RespClient other = new RespClient(rs.server.address())) {
            slow.setSoTimeout(20_000);
            byte[] v = new byte[256 << 10];
            new SplittableRandom(7).nextBytes(v);
            byte[] header = ("*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$" + v.length + "\r\n").getBytes(StandardCharsets.US_ASCII);
            OutputStream o = slow.getOutputStream();
            o.write(header);
            o.write(v, 0, 1_000);
            o.flush();
            int at = 1_000;
            long until = System.nanoTime() + 2_000_000_000L;
            while (rs.store.valueBuffers().lent() == 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            boolean landed = rs.store.valueBuffers().lent() == 1;
            // 100 bytes every 200 ms: never quiet for a second, far below 64 KiB a second.
            until = System.nanoTime() + 5_000_000_000L;
            while (rs.store.valueBuffers().lent() > 0 && System.nanoTime() < until) {
                o.write(v, at, 100);
                o.flush();
                at += 100;
                Thread.sleep(200);
            }
            assertTrue(landed, "the value was received into a store buffer at first");
            assertEquals(0, rs.store.valueBuffers().lent(), "its buffer went back while the client was still sending");
            for (int i = 0; i < 3; i++) {
                o.write(v, at, 100);
                o.flush();
                at += 100;
                Thread.sleep(200);
                assertEquals(0, rs.store.valueBuffers().lent(), "the value is not landed again");
            }
            assertEquals("+PONG\r\n", other.call("PING"), "the others are served meanwhile");
            o.write(v, at, v.length - at);
            o.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            o.flush();
            DataInputStream in = new DataInputStream(slow.getInputStream());
            byte[] ok = new byte[5];
            in.readFully(ok);
            assertEquals("+OK\r\n", new String(ok, StandardCharsets.US_ASCII));
            String got = other.call("GET", "slow");
            String head = "$" + v.length + "\r\n";
            assertTrue(got.startsWith(head), got.substring(0, Math.min(40, got.length())));
            assertArrayEquals(v, got.substring(head.length(), head.length() + v.length)
                    .getBytes(StandardCharsets.ISO_8859_1), "every byte of the value");
        }
    }
}
