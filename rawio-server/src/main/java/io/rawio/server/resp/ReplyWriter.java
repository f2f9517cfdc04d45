package io.rawio.server.resp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Where a RESP reply is written: byte-exact RESP2 (what Redis 7 sends a client that did not ask for
 * RESP3), and the RESP3 forms that differ (null, map, set, double, boolean) after {@code HELLO 3}.
 * Appends to a growable buffer that the connection sends and then {@link #clear()}s. Clients check
 * replies byte for byte ({@code +OK\r\n}, {@code $-1\r\n}, {@code :1\r\n}), so every form is here once.
 * Not thread-safe: one per connection.
 */
public final class ReplyWriter {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL_BULK = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL_ARRAY = "*-1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL3 = "_\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TXT = "txt:".getBytes(StandardCharsets.US_ASCII);

    private byte[] buf;
    private int size;
    private int protocol = 2;

    public ReplyWriter() {
        this(256);
    }

    public ReplyWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    /** 2 (the default) or 3, as HELLO set it. */
    public void protocol(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("RESP version 2 or 3: " + version);
        }
        protocol = version;
    }

    public int protocol() {
        return protocol;
    }

    /** {@code +OK}. */
    public ReplyWriter ok() {
        return raw(OK, 0, OK.length);
    }

    /** A simple string: {@code +text} (no CR or LF in it). */
    public ReplyWriter simple(String text) {
        return line('+', text);
    }

    /**
     * An error: {@code -CODE message}. {@code message} starts with its code ("ERR ...", "WRONGTYPE ...");
     * CR and LF in it become spaces, as Redis does, so a reply is always one line.
     */
    public ReplyWriter error(String message) {
        return error(message.getBytes(StandardCharsets.UTF_8));
    }

    /** The same, of bytes as they are (a client's own, not text of ours): CR and LF become spaces. */
    public ReplyWriter error(byte[] message) {
        put((byte) '-');
        int at = size;
        raw(message, 0, message.length);
        for (int i = at; i < size; i++) {
            if (buf[i] == '\r' || buf[i] == '\n') {
                buf[i] = ' ';
            }
        }
        return raw(CRLF, 0, 2);
    }

    /**
     * Text meant for people (INFO, CLIENT LIST, CLUSTER NODES): a verbatim string {@code =len txt:...} in
     * RESP3, as Redis 7 sends it, a bulk string in RESP2.
     */
    public ReplyWriter verbatim(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (protocol != 3) {
            return bulk(b);
        }
        header('=', b.length + 4L);
        raw(TXT, 0, TXT.length);
        raw(b, 0, b.length);
        return raw(CRLF, 0, 2);
    }

    /** An integer: {@code :n}. */
    public ReplyWriter integer(long n) {
        put((byte) ':');
        ascii(Long.toString(n));
        return raw(CRLF, 0, 2);
    }

    /** A bulk string: {@code $len}, the bytes, CRLF. */
    public ReplyWriter bulk(byte[] value) {
        return bulk(value, 0, value.length);
    }

    public ReplyWriter bulk(byte[] value, int from, int length) {
        bulkHeader(length);
        raw(value, from, length);
        return raw(CRLF, 0, 2);
    }

    /** A bulk string from native memory (a value read from the store). */
    public ReplyWriter bulk(MemorySegment value) {
        int n = Math.toIntExact(value.byteSize());
        bulkHeader(n);
        ensure(n + 2);
        MemorySegment.copy(value, ValueLayout.JAVA_BYTE, 0, buf, size, n);
        size += n;
        return raw(CRLF, 0, 2);
    }

    /** Fills {@code space} with a value; see {@link #bulkFilled}. */
    @FunctionalInterface
    public interface Filler {
        /** The value's length once copied into {@code space}; -2 - length when it does not fit; or another negative. */
        long fill(MemorySegment space);
    }

    /** The longest bulk header: '$', 19 digits, CRLF. */
    private static final int BULK_HEADER_MAX = 22;

    /**
     * A bulk string whose bytes {@code filler} copies straight into this buffer (no copy in between):
     * the value lands past room for the longest header, then moves back behind its real header. Returns
     * the length written, or the filler's negative answer (other than "too small") with nothing written.
     */
    public long bulkFilled(Filler filler, int expected) {
        ensure(BULK_HEADER_MAX + Math.max(0, expected) + 2);
        for (int attempt = 0; ; attempt++) {
            int at = size + BULK_HEADER_MAX;
            long r = filler.fill(MemorySegment.ofArray(buf).asSlice(at, buf.length - at));
            if (r < -1 && r != Long.MIN_VALUE && attempt == 0) {
                long need = -2 - r;
                if (need > Integer.MAX_VALUE - 64) {
                    throw new IllegalStateException("reply larger than 2 GiB");
                }
                ensure(BULK_HEADER_MAX + (int) need + 2);
                continue;
            }
            if (r < 0) {
                return r;
            }
            int n = (int) r;
            int h = size;
            buf[h++] = '$';
            h = digits(n, h);
            buf[h++] = '\r';
            buf[h++] = '\n';
            System.arraycopy(buf, at, buf, h, n);
            size = h + n;
            ensure(2);
            buf[size++] = '\r';
            buf[size++] = '\n';
            return r;
        }
    }

    /** Writes the decimal digits of {@code n} (not negative) at {@code at}; returns the index past them. */
    private int digits(int n, int at) {
        int len = 1;
        for (int t = n; t >= 10; t /= 10) {
            len++;
        }
        for (int i = at + len - 1; i >= at; i--) {
            buf[i] = (byte) ('0' + n % 10);
            n /= 10;
        }
        return at + len;
    }

    public ReplyWriter bulk(String value) {
        return bulk(value.getBytes(StandardCharsets.UTF_8));
    }

    /** Only the header {@code $len\r\n} of a bulk string whose bytes (and CRLF) the caller sends itself. */
    public ReplyWriter bulkHeader(long length) {
        put((byte) '$');
        ascii(Long.toString(length));
        return raw(CRLF, 0, 2);
    }

    /** No value: {@code $-1} in RESP2, {@code _} in RESP3. */
    public ReplyWriter nullBulk() {
        return protocol == 3 ? raw(NULL3, 0, NULL3.length) : raw(NULL_BULK, 0, NULL_BULK.length);
    }

    /** No array: {@code *-1} in RESP2, {@code _} in RESP3. */
    public ReplyWriter nullArray() {
        return protocol == 3 ? raw(NULL3, 0, NULL3.length) : raw(NULL_ARRAY, 0, NULL_ARRAY.length);
    }

    /** An array of {@code n} elements follows: {@code *n}. */
    public ReplyWriter array(int n) {
        return header('*', n);
    }

    /** A map of {@code n} pairs follows: {@code %n} in RESP3, a flat array of 2n in RESP2. */
    public ReplyWriter map(int n) {
        return protocol == 3 ? header('%', n) : header('*', 2L * n);
    }

    /** A set of {@code n} elements follows: {@code ~n} in RESP3, an array in RESP2. */
    public ReplyWriter set(int n) {
        return protocol == 3 ? header('~', n) : header('*', n);
    }

    /** A double: {@code ,d} in RESP3, a bulk string in RESP2. */
    public ReplyWriter doubleValue(double d) {
        String s = Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : Double.isNaN(d) ? "nan"
                : d == Math.rint(d) && Math.abs(d) < 1e17 ? Long.toString((long) d) : Double.toString(d);
        return protocol == 3 ? line(',', s) : bulk(s);
    }

    /** A boolean: {@code #t}/{@code #f} in RESP3, {@code :1}/{@code :0} in RESP2. */
    public ReplyWriter bool(boolean b) {
        return protocol == 3 ? line('#', b ? "t" : "f") : integer(b ? 1 : 0);
    }

    /** The buffer: its first {@link #size()} bytes are what was written since the last clear. */
    public byte[] buffer() {
        return buf;
    }

    public int size() {
        return size;
    }

    /** A copy of what was written (for tests and small replies). */
    public byte[] toBytes() {
        return Arrays.copyOf(buf, size);
    }

    /** After {@link #clear()}: gives back a buffer larger than {@code above} bytes (a large reply went). */
    public void shrink(int above) {
        if (size == 0 && buf.length > above) {
            buf = new byte[256];
        }
    }

    /** Forgets what was written (it was sent); keeps the buffer. */
    public void clear() {
        size = 0;
    }

    private ReplyWriter header(char type, long n) {
        put((byte) type);
        ascii(Long.toString(n));
        return raw(CRLF, 0, 2);
    }

    private ReplyWriter line(char type, String text) {
        put((byte) type);
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        raw(b, 0, b.length);
        return raw(CRLF, 0, 2);
    }

    private void ascii(String s) {
        ensure(s.length());
        for (int i = 0; i < s.length(); i++) {
            buf[size++] = (byte) s.charAt(i);
        }
    }

    private void put(byte b) {
        ensure(1);
        buf[size++] = b;
    }

    private ReplyWriter raw(byte[] b, int from, int n) {
        ensure(n);
        System.arraycopy(b, from, buf, size, n);
        size += n;
        return this;
    }

    private void ensure(int more) {
        long need = (long) size + more;
        if (need > buf.length) {
            if (need > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("reply larger than 2 GiB");
            }
            buf = Arrays.copyOf(buf, (int) Math.max(need, Math.min(Integer.MAX_VALUE - 8L, buf.length * 2L)));
        }
    }
}
