package io.rawio.server.cluster;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A small blocking RESP2 client for the tools (cluster check): sends a command, reads its reply as a
 * String (simple and bulk strings), Long, List, null, or an {@link Error} value for a {@code -ERR} reply.
 * Connecting and each read time out. Not for the server's hot paths.
 */
public final class RespConnection implements AutoCloseable {
    /** An error reply: its text without the '-'. */
    public record Error(String message) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    public RespConnection(String host, int port, int timeoutMs) throws IOException {
        socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), timeoutMs);
            socket.setSoTimeout(timeoutMs);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends {@code args} as one command and returns its reply. */
    public Object call(String... args) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String a : args) {
            byte[] x = a.getBytes(StandardCharsets.UTF_8);
            b.writeBytes(("$" + x.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(x);
            b.writeBytes(new byte[] {'\r', '\n'});
        }
        out.write(b.toByteArray());
        out.flush();
        return read();
    }

    private Object read() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new IOException("the server closed the connection");
        }
        String line = line();
        return switch (type) {
            case '+' -> line;
            case '-' -> new Error(line);
            case ':' -> Long.parseLong(line);
            case '$' -> {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    yield null;
                }
                byte[] v = in.readNBytes(n);
                if (v.length < n || in.read() != '\r' || in.read() != '\n') {
                    throw new IOException("a bulk string cut short");
                }
                yield new String(v, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    yield null;
                }
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(read());
                }
                yield items;
            }
            default -> throw new IOException("not a RESP2 reply: '" + (char) type + line + "'");
        };
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("the server closed the connection");
            }
            b.write(c);
        }
        if (in.read() != '\n') {
            throw new IOException("a reply line without LF");
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
