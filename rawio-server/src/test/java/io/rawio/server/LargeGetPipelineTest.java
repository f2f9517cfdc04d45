package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A deep pipeline of GETs of large values is read a few values at a time, as its replies are sent: a
 * client that sends 200 GETs of a 1 MiB value and reads nothing holds a few MiB of replies, not 200, and
 * once it reads, it gets every one of them.
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class LargeGetPipelineTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    @Test
    void aDeepPipelineOfLargeGetsIsReadAsItsRepliesAreSent() throws Exception {
        int size = 1 << 20;
        int gets = 200;
        byte[] value = new byte[size];
        for (int i = 0; i < size; i++) {
            value[i] = (byte) ('a' + i % 26);
        }
        try (RunningServer running = new RunningServer(loop, dir, 64L << 20, 2L << 20);
                RespClient other = new RespClient(running.server.address());
                Socket s = new Socket()) {
            assertEquals("+OK\r\n", other.call("SET", "big", new String(value, StandardCharsets.ISO_8859_1)));
            s.setReceiveBufferSize(4096);
            s.connect(running.server.address(), 10_000);
            s.setSoTimeout(30_000);
            OutputStream o = s.getOutputStream();
            o.write("CLIENT SETNAME piped\r\n".getBytes(StandardCharsets.US_ASCII));
            o.write("GET big\r\n".repeat(gets).getBytes(StandardCharsets.US_ASCII));
            o.flush();
            Thread.sleep(1_000); // the server reads what it will of the pipeline
            String list = other.call("CLIENT", "LIST");
            Matcher m = Pattern.compile("name=piped .*?omem=(\\d+) ").matcher(list);
            assertTrue(m.find(), list);
            long held = Long.parseLong(m.group(1));
            assertTrue(held < 16L << 20, "a client that reads nothing holds a few values' replies, not "
                    + gets + " MiB: omem=" + held);
            assertEquals("+PONG\r\n", other.call("PING"));
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(), 1 << 16));
            assertEquals("+OK\r\n", new String(in.readNBytes(5), StandardCharsets.US_ASCII));
            byte[] header = ("$" + size + "\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] got = new byte[size];
            for (int i = 0; i < gets; i++) {
                assertArrayEquals(header, in.readNBytes(header.length), "reply " + i);
                in.readFully(got);
                assertArrayEquals(value, got, "reply " + i);
                assertEquals('\r', in.read());
                assertEquals('\n', in.read());
            }
        }
    }
}
