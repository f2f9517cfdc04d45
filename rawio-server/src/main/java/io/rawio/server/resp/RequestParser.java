package io.rawio.server.resp;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * Where a client's request is parsed: the Redis protocol's two request forms, read from the bytes a
 * connection has received so far. A RESP multibulk ({@code *<n>\r\n} then n bulk strings
 * {@code $<len>\r\n<bytes>\r\n}: what every client library sends) or an inline command (a line of
 * words, as typed into telnet; double- and single-quoted words as redis-cli reads them).
 *
 * <p>Stateless: each call parses from the start of the unconsumed bytes, and returns {@link #NEED_MORE}
 * (nothing consumed) until a whole request is there; a caller appends what arrives and asks again. Only
 * a header is re-read: the bytes of a bulk string are looked at once, when all of them have arrived.
 * Nothing is allocated for a bulk string before all of its bytes are received: a client announcing
 * {@code $2147483647} makes the server reserve nothing (the length is checked against the limit first).
 * Errors carry Redis's own messages, and after one the connection is closed. A multibulk request's
 * arguments are {@link RequestArgs}: views into {@code buf}, copied only when asked for.
 */
public final class RequestParser {
    /** The longest inline request, and the longest header line, Redis reads (PROTO_INLINE_MAX_SIZE). */
    public static final int MAX_INLINE = 64 * 1024;
    /** The most arguments one request may have (Redis: 1024 * 1024). */
    public static final int MAX_ARGS = 1024 * 1024;
    /** The default largest bulk string (Redis's proto-max-bulk-len, 512 MiB). */
    public static final long DEFAULT_MAX_BULK = 512L << 20;

    /** Not a whole request yet: nothing consumed (and no lower bound on what it still needs). */
    public static final Result NEED_MORE = new Result(null, 0, null, 0);

    /**
     * One call's outcome: a request ({@code args}, maybe empty for a blank line or {@code *0}, which the
     * caller skips) and the bytes it took; or {@link #NEED_MORE}; or a protocol error. When more is needed
     * within the body of the request's last argument, whose header is whole, {@code lastBodyAt} is where
     * that body starts in the buffer and {@code lastBodyLength} its length (else -1 and 0): a caller may
     * receive that body elsewhere ({@link Landed}).
     */
    public record Result(List<byte[]> args, int consumed, String error, long needAtLeast, int lastBodyAt,
            int lastBodyLength) {
        Result(List<byte[]> args, int consumed, String error) {
            this(args, consumed, error, 0);
        }

        Result(List<byte[]> args, int consumed, String error, long needAtLeast) {
            this(args, consumed, error, needAtLeast, -1, 0);
        }

        public boolean isError() {
            return error != null;
        }

        /** Not a whole request yet; {@link #needAtLeast} bytes (from where it starts) are the least it needs. */
        public boolean needsMore() {
            return args == null && error == null;
        }
    }

    /**
     * NEED_MORE, knowing the request needs at least {@code bytes} from its start: the caller need not
     * parse again before it has that many, so a request trickling in one argument at a time is not
     * re-read from its start at every arrival (which would cost the square of its length).
     */
    private static Result needAtLeast(long bytes) {
        return new Result(null, 0, null, bytes);
    }

    /**
     * The body of a request's last argument, received somewhere else than the buffer ({@code value}, of
     * {@code length} bytes): in the buffer, only the CRLF after it follows its header, at {@code bodyAt}.
     */
    public record Landed(int bodyAt, int length, MemorySegment value) {
        public Landed {
            if (value.byteSize() != length) {
                throw new IllegalArgumentException("landed value of " + value.byteSize() + " bytes, not " + length);
            }
        }
    }

    private final long maxBulk;

    /** A parser that refuses bulk strings longer than {@code maxBulk} bytes. */
    public RequestParser(long maxBulk) {
        if (maxBulk < 1) {
            throw new IllegalArgumentException("maxBulk must be positive: " + maxBulk);
        }
        this.maxBulk = maxBulk;
    }

    public RequestParser() {
        this(DEFAULT_MAX_BULK);
    }

    /** The most arguments a request of a client that has not authenticated may have (Redis: 10). */
    public static final int UNAUTHENTICATED_MAX_ARGS = 10;
    /** The longest bulk string a client that has not authenticated may send (Redis: 16 KiB). */
    public static final int UNAUTHENTICATED_MAX_BULK = 16 * 1024;

    /** The next request in {@code buf[from, to)}. */
    public Result parse(byte[] buf, int from, int to) {
        return parse(buf, from, to, true);
    }

    /**
     * The next request of a client that has ({@code authenticated}) or has not yet passed AUTH: before it,
     * a request of more than {@link #UNAUTHENTICATED_MAX_ARGS} arguments or a bulk string longer than
     * {@link #UNAUTHENTICATED_MAX_BULK} is a protocol error, as in Redis, so a client without the
     * password cannot make the server take in much of anything.
     */
    public Result parse(byte[] buf, int from, int to, boolean authenticated) {
        return parse(buf, from, to, authenticated, null);
    }

    /**
     * {@link #parse(byte[], int, int, boolean)} of a request whose last argument's body was received
     * elsewhere ({@code landed}, null for none: a request it does not fit is parsed as without it).
     */
    public Result parse(byte[] buf, int from, int to, boolean authenticated, Landed landed) {
        if (from >= to) {
            return NEED_MORE;
        }
        return buf[from] == '*' ? multibulk(buf, from, to, authenticated, landed) : inline(buf, from, to);
    }

    private static Result error(String message) {
        return new Result(null, 0, "Protocol error: " + message);
    }

    /** Index of the '\r' of the first CRLF in [from, to), or -1. */
    private static int crlf(byte[] buf, int from, int to) {
        for (int i = from; i + 1 < to; i++) {
            if (buf[i] == '\r' && buf[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** A decimal number (optional '-') in buf[from, end), or Long.MIN_VALUE when it is not one. */
    private static long number(byte[] buf, int from, int end) {
        if (from >= end || end - from > 18) {
            return Long.MIN_VALUE; // more digits than any length or count the server takes (and no overflow)
        }
        boolean negative = buf[from] == '-';
        int i = negative ? from + 1 : from;
        if (i >= end) {
            return Long.MIN_VALUE;
        }
        long v = 0;
        for (; i < end; i++) {
            int d = buf[i] - '0';
            if (d < 0 || d > 9) {
                return Long.MIN_VALUE;
            }
            v = v * 10 + d;
        }
        return negative ? -v : v;
    }

    private Result multibulk(byte[] buf, int from, int to, boolean authenticated, Landed landed) {
        int eol = crlf(buf, from, Math.min(to, from + MAX_INLINE + 2));
        if (eol < 0) {
            return to - from > MAX_INLINE ? error("too big mbulk count string") : NEED_MORE;
        }
        long n = number(buf, from + 1, eol);
        if (n == Long.MIN_VALUE || n > MAX_ARGS) {
            return error("invalid multibulk length");
        }
        if (!authenticated && n > UNAUTHENTICATED_MAX_ARGS) {
            return error("unauthenticated multibulk length");
        }
        int at = eol + 2;
        if (n <= 0) {
            return new Result(List.of(), at - from, null);
        }
        // First every header and length, without allocating: then the arguments, all present.
        int[] starts = new int[(int) Math.min(n, 1024)];
        int[] lengths = new int[starts.length];
        int count = 0;
        for (long k = 0; k < n; k++) {
            // The least the rest can take: "$0\r\n\r\n" per argument still to come.
            long least = (long) at - from + 6 * (n - k);
            if (at >= to) {
                return needAtLeast(least);
            }
            if (buf[at] != '$') {
                return error("expected '$', got '" + (char) (buf[at] & 0xff) + "'");
            }
            int e = crlf(buf, at, Math.min(to, at + MAX_INLINE + 2));
            if (e < 0) {
                return to - at > MAX_INLINE ? error("too big bulk count string") : needAtLeast(least);
            }
            long len = number(buf, at + 1, e);
            if (len == Long.MIN_VALUE || len < 0 || len > maxBulk || len > Integer.MAX_VALUE - 16) {
                return error("invalid bulk length");
            }
            if (!authenticated && len > UNAUTHENTICATED_MAX_BULK) {
                return error("unauthenticated bulk length");
            }
            int body = e + 2;
            if (landed != null && k == n - 1 && body == landed.bodyAt() && len == landed.length()) {
                // The body is elsewhere: here only its CRLF.
                if (to - body < 2) {
                    return needAtLeast((long) body - from + 2);
                }
                if (buf[body] != '\r' || buf[body + 1] != '\n') {
                    return error("bulk string not followed by CRLF");
                }
                if (count == starts.length) {
                    starts = Arrays.copyOf(starts, count + 1);
                    lengths = Arrays.copyOf(lengths, count + 1);
                }
                starts[count] = body;
                lengths[count] = (int) len;
                count++;
                return new Result(new RequestArgs(buf, starts, lengths, count, landed.value()), body + 2 - from, null);
            }
            if ((long) to - body < len + 2) {
                long need = (long) body - from + len + 2 + 6 * (n - k - 1);
                return k == n - 1 ? new Result(null, 0, null, need, body, (int) len) : needAtLeast(need);
            }
            if (buf[body + (int) len] != '\r' || buf[body + (int) len + 1] != '\n') {
                return error("bulk string not followed by CRLF");
            }
            if (count == starts.length) {
                starts = Arrays.copyOf(starts, count * 2);
                lengths = Arrays.copyOf(lengths, count * 2);
            }
            starts[count] = body;
            lengths[count] = (int) len;
            count++;
            at = body + (int) len + 2;
        }
        return new Result(new RequestArgs(buf, starts, lengths, count), at - from, null);
    }

    private static Result inline(byte[] buf, int from, int to) {
        int nl = -1;
        for (int i = from; i < to && i - from <= MAX_INLINE; i++) {
            if (buf[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            return to - from > MAX_INLINE ? error("too big inline request") : NEED_MORE;
        }
        int end = nl > from && buf[nl - 1] == '\r' ? nl - 1 : nl;
        List<byte[]> args = InlineWords.split(buf, from, end);
        if (args == null) {
            return error("unbalanced quotes in request");
        }
        return new Result(args, nl + 1 - from, null);
    }
}
