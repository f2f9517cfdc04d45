package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A client that sends its request one byte at a time never holds up the others: the loop reads what
 * it has and moves on. While a slow client trickles one PING (a byte every 150 ms), a fast client's
 * 200 round trips all complete; the slow client's PING is answered once its last byte arrives.
 */
@Timeout(60)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class SlowClientTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    private static String line(DataInputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new AssertionError("closed after: " + b);
            }
            b.append((char) c);
        }
        return b.toString().stripTrailing();
    }

    @Test
    void aClientSendingOneByteAtATimeDelaysNoOne() throws Exception {
        try (RunningServer rs = new RunningServer(loop, dir, 32L << 20, 64L << 10);
                Socket slow = new Socket(rs.server.address().getAddress(), rs.server.address().getPort());
                Socket fast = new Socket(rs.server.address().getAddress(), rs.server.address().getPort())) {
            slow.setSoTimeout(20_000);
            fast.setSoTimeout(20_000);
            byte[] request = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
            AtomicInteger bytesSent = new AtomicInteger();
            Thread trickle = Thread.ofPlatform().start(() -> {
                try {
                    OutputStream o = slow.getOutputStream();
                    for (byte b : request) {
                        o.write(b);
                        o.flush();
                        bytesSent.incrementAndGet();
                        Thread.sleep(150);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            while (bytesSent.get() < 2) {
                Thread.sleep(5); // the slow request has begun
            }
            OutputStream fo = fast.getOutputStream();
            DataInputStream fin = new DataInputStream(fast.getInputStream());
            for (int i = 0; i < 200; i++) {
                fo.write(("*2\r\n$4\r\nECHO\r\n$" + String.valueOf(i).length() + "\r\n" + i + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertEquals("$" + String.valueOf(i).length(), line(fin));
                assertEquals(String.valueOf(i), line(fin));
            }
            int sentWhenFastWasDone = bytesSent.get();
            assertTrue(sentWhenFastWasDone < request.length,
                    "the fast client finished while the slow request was still incomplete (" + sentWhenFastWasDone
                            + " of " + request.length + " bytes sent)");
            trickle.join(20_000);
            assertEquals("+PONG", line(new DataInputStream(slow.getInputStream())));
        }
    }
}
