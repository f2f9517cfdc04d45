package io.rawio.bench.lab.servers;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The service every model offers: a 16-byte request whose first 8 bytes are a sequence number, answered
 * by a 64-byte response that carries the same number and then a fixed value (a GET of one key). Requests
 * may come pipelined and split anywhere; one {@code Frames} per connection keeps the part of a request
 * that has come so far.
 *
 * <pre>
 * request  (16 bytes):  0 sequence u64 LE | 8 "GET key\n"
 * response (64 bytes):  0 sequence u64 LE | 8 the value, 56 bytes
 * </pre>
 */
final class Frames {
    static final int REQUEST_BYTES = 16;
    static final int RESPONSE_BYTES = 64;
    static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] REQUEST_TAIL = "GET key\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] VALUE = ("VALUE of key: the same 56 bytes for every request.....\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    static {
        if (VALUE.length != RESPONSE_BYTES - 8 || REQUEST_TAIL.length != REQUEST_BYTES - 8) {
            throw new AssertionError(VALUE.length + " " + REQUEST_TAIL.length);
        }
    }

    private final byte[] part = new byte[REQUEST_BYTES];
    private int have;

    /** Writes request {@code seq} at {@code at}. */
    static void request(byte[] b, int at, long seq) {
        LONG.set(b, at, seq);
        System.arraycopy(REQUEST_TAIL, 0, b, at + 8, REQUEST_TAIL.length);
    }

    /** Writes the response to request {@code seq} at {@code at}. */
    static void response(byte[] b, int at, long seq) {
        LONG.set(b, at, seq);
        System.arraycopy(VALUE, 0, b, at + 8, VALUE.length);
    }

    /** The most response bytes {@code n} request bytes can produce. */
    static int responseRoom(int n) {
        return (n / REQUEST_BYTES + 1) * RESPONSE_BYTES;
    }

    /**
     * Takes {@code in[off, off + len)}, writes a response for each request it completes into {@code out}
     * from {@code outAt} ({@link #responseRoom} of room), and returns where the responses end.
     */
    int respond(byte[] in, int off, int len, byte[] out, int outAt) {
        int end = off + len;
        int i = off;
        if (have > 0) {
            int take = Math.min(REQUEST_BYTES - have, len);
            System.arraycopy(in, i, part, have, take);
            have += take;
            i += take;
            if (have < REQUEST_BYTES) {
                return outAt;
            }
            response(out, outAt, (long) LONG.get(part, 0));
            outAt += RESPONSE_BYTES;
            have = 0;
        }
        while (end - i >= REQUEST_BYTES) {
            response(out, outAt, (long) LONG.get(in, i));
            outAt += RESPONSE_BYTES;
            i += REQUEST_BYTES;
        }
        if (i < end) {
            System.arraycopy(in, i, part, 0, end - i);
            have = end - i;
        }
        return outAt;
    }
}
