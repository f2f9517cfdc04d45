package io.rawio.server;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A raw RESP connection for tests: sends a request as a multibulk array and reads one whole reply
 * (nested arrays, maps and sets included) as the exact bytes the server sent, so a test can compare
 * with what redis-server gives byte for byte. Connecting and each read time out after 10 s.
 */
final class RespClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;

    RespClient(InetSocketAddress address) throws IOException {
        socket = new Socket();
        socket.connect(address, 10_000);
        socket.setSoTimeout(10_000);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
    }

    static byte[] encode(String... args) {
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

    /** Sends one request and returns its whole reply, raw. */
    String call(String... args) throws IOException {
        send(args);
        return reply();
    }

    /** Sends several requests in one write (a pipeline). */
    void sendAll(String[]... requests) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String[] r : requests) {
            b.writeBytes(encode(r));
        }
        out.write(b.toByteArray());
        out.flush();
    }

    /** Sends {@code b[off, off + len)} as it is (a request in pieces, a malformed one). */
    void sendRaw(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        out.flush();
    }

    /** Closes the sending side: the server reads the end of the stream. */
    void halfClose() throws IOException {
        socket.shutdownOutput();
    }

    void send(String... args) throws IOException {
        out.write(encode(args));
        out.flush();
    }

    /** True when the server closed the connection (reads end of stream within the timeout). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    /** One whole reply, raw (ISO-8859-1, so every byte is one char). */
    String reply() throws IOException {
        StringBuilder sb = new StringBuilder();
        readInto(sb);
        return sb.toString();
    }

    private void readInto(StringBuilder sb) throws IOException {
        String line = line();
        sb.append(line).append("\r\n");
        char type = line.charAt(0);
        switch (type) {
            case '$', '=', '!' -> {
                int n = Integer.parseInt(line.substring(1));
                if (n >= 0) {
                    byte[] body = new byte[n + 2];
                    in.readFully(body);
                    sb.append(new String(body, StandardCharsets.ISO_8859_1));
                }
            }
            case '*', '~', '>', '%', '|' -> {
                int n = Integer.parseInt(line.substring(1));
                int elements = type == '%' || type == '|' ? 2 * n : n;
                for (int i = 0; i < elements; i++) {
                    readInto(sb);
                }
            }
            default -> {
                // a simple string, error, integer, null, boolean, double or big number: the line is all
            }
        }
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("closed by the server after: " + line);
            }
            line.append((char) c);
        }
        if (in.read() != '\n') {
            throw new IOException("CR without LF after: " + line);
        }
        return line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
