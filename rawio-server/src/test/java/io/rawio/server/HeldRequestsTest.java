package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests parsed and held (their connection's replies wait for a client that does not read) keep their
 * arguments while more bytes arrive and the query buffer must make room: the arguments are views into
 * that buffer, so it must not be compacted under them. A client pipelines large GETs (its replies pass
 * the soft limit and fill the socket) then SETs of distinct values, sent in pieces while it reads
 * nothing; every SET must store exactly its own value.
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class HeldRequestsTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    private static byte[] set(String key, byte[] value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("*3\r\n$3\r\nSET\r\n$" + key.length() + "\r\n" + key + "\r\n$" + value.length + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(value);
        b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    private static String line(DataInputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new AssertionError("connection closed after: " + b);
            }
            b.append((char) c);
        }
        return b.toString().stripTrailing();
    }

    @Test
    void setsParsedWhileRepliesWaitKeepTheirValuesAsMoreBytesArrive() throws Exception {
        try (RunningServer rs = new RunningServer(loop, dir, 128L << 20,
                io.rawio.store.SlotClasses.ofEqualSpace(java.util.List.of(4096L, 256L << 10)), 1L << 20, o -> o)) {
            byte[] big = new byte[200_000];
            new Random(1).nextBytes(big);
            rs.store.put("big".getBytes(StandardCharsets.UTF_8), big);
            int gets = 40; // 8 MB of replies: far more than the socket buffers hold while nothing is read
            int sets = 300;
            Random r = new Random(7);
            byte[][] values = new byte[sets][];
            try (Socket s = new Socket(rs.server.address().getAddress(), rs.server.address().getPort())) {
                s.setSoTimeout(30_000);
                OutputStream o = s.getOutputStream();
                // Burst 1: the GETs (their replies block the connection) and SETs that are all parsed and
                // then held; burst 2, once those are held: more SETs, whose bytes must not land on theirs.
                ByteArrayOutputStream first = new ByteArrayOutputStream();
                for (int i = 0; i < gets; i++) {
                    first.writeBytes("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                ByteArrayOutputStream second = new ByteArrayOutputStream();
                for (int i = 0; i < sets; i++) {
                    values[i] = new byte[500 + r.nextInt(1000)]; // the 4 KiB class: thousands of slots
                    r.nextBytes(values[i]);
                    (i < 100 ? first : second).writeBytes(set("k" + i, values[i]));
                }
                o.write(first.toByteArray());
                o.flush();
                Thread.sleep(300); // parsed, the GETs answered into a full socket, the SETs held
                byte[] bytes = second.toByteArray();
                Thread writer = Thread.ofPlatform().start(() -> {
                    try {
                        for (int at = 0; at < bytes.length; at += 7_000) {
                            o.write(bytes, at, Math.min(7_000, bytes.length - at));
                            o.flush();
                            Thread.sleep(2);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                Thread.sleep(500); // nothing read yet: the replies pile up
                DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream()));
                for (int i = 0; i < gets; i++) {
                    assertEquals("$" + big.length, line(in));
                    byte[] v = new byte[big.length];
                    in.readFully(v);
                    assertArrayEquals(big, v);
                    assertEquals("", line(in));
                }
                for (int i = 0; i < sets; i++) {
                    assertEquals("+OK", line(in), "SET " + i);
                }
                writer.join(30_000);
            }
            for (int i = 0; i < sets; i++) {
                assertArrayEquals(values[i], rs.store.get(("k" + i).getBytes(StandardCharsets.UTF_8)), "k" + i);
            }
        }
    }
}
