package io.rawio.server;

import io.rawio.server.resp.RequestParser;
import io.rawio.store.ValueBuffers;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a connection receives large SET values straight into the store's memory. As bytes arrive, the
 * request they begin is looked at ({@link #probe}): once the header of a plain {@code SET key value} says
 * the value has {@link #MIN_BYTES} bytes or more, the value's bytes go into a {@link ValueBuffers} buffer
 * instead of the query buffer, and the store writes the slot from that buffer: no copy of the value into
 * a write buffer (and the epoll loop's recv puts the bytes there itself). The request is then parsed with
 * the value as a view of that buffer ({@link RequestParser.Landed}). Pipelined large SETs land one after
 * another; what follows something else waits until the requests before it are parsed.
 *
 * <p>In the query buffer, a landed request keeps its header and the CRLF after its value, the value's
 * bytes left out; positions here are indexes into that buffer, moved with it ({@link #moved}). A buffer
 * stays with the request parsed from it until the connection holds no views of it (checked as bytes
 * arrive, as the next requests are parsed, and when the connection has been idle a second:
 * {@link #releaseHeld}), or goes back when the connection closes ({@link #release}) or drops what it has
 * not parsed ({@link #dropUnparsed}). A value whose connection sends nothing for a second goes back to
 * the query buffer with the bytes it has ({@link #stalled}, {@link #unland}): a value announced and not
 * sent keeps no buffer; so does one that comes at less than {@link #SLOW_BYTES_PER_SECOND} ({@link #slow}).
 * (A value an opt-in landing RECV is filling in the io_uring loop's ring stays where it is until that RECV
 * ends: the kernel may be writing into its buffer.) The first piece of a value (up to 64 KiB, what one read put in the
 * query buffer with its header) is copied into the buffer; the rest goes there directly. The store's budget bounds the buffers lent over all connections; once it is
 * spent, values are received into the query buffer as before. Used by its connection's loop only.
 */
final class ValueLanding {
    /**
     * The least value received into a store buffer ({@code -Drawio.server.landAbove}, bytes; 0 turns it
     * off). Below it, a value is copied from the query buffer as before: one copy of a small value costs
     * less than taking a buffer for it.
     */
    static final int MIN_BYTES = Integer.getInteger("rawio.server.landAbove", 64 << 10);

    /** A value being received, or received, whose request is not parsed yet. */
    private static final class Entry {
        final ValueBuffers.Buffer buffer;
        /** Where its request starts, and where its value's body would start, in the query buffer. */
        int requestAt;
        int bodyAt;
        int filled;
        /** {@link #filled} at the sweep that last measured it ({@link #slow}), or -1 before the first; and when. */
        int filledAtSweep = -1;
        long sweptAtMs;

        Entry(ValueBuffers.Buffer buffer, int requestAt, int bodyAt, int filled) {
            this.buffer = buffer;
            this.requestAt = requestAt;
            this.bodyAt = bodyAt;
            this.filled = filled;
        }

        int length() {
            return (int) buffer.value().byteSize();
        }

        boolean whole() {
            return filled == length();
        }
    }

    private final ValueBuffers pool;
    private final RequestParser parser;
    /** Told of each value received this way (INFO's count). */
    private final Runnable onLanded;
    /** Values whose requests are not parsed yet, in the order they came; only the last may be filling. */
    private final ArrayDeque<Entry> unparsed = new ArrayDeque<>(2);
    /** Buffers of requests parsed, held until the connection holds no views. */
    private final List<ValueBuffers.Buffer> held = new ArrayList<>(2);
    /** The value a RECV in a ring is filling ({@link #ringTarget}), or null. */
    private Entry inRing;
    /** A request found not to be landed (not a large plain SET, or no buffer for it): not looked at again. */
    private int notHere = -1;
    /** The connection closed: nothing more is taken. */
    private boolean released;

    ValueLanding(ValueBuffers pool, RequestParser parser, Runnable onLanded) {
        this.pool = pool;
        this.parser = parser;
        this.onLanded = onLanded;
    }

    /** Bytes the value being received still lacks (0 when none is being received). */
    int wants() {
        Entry e = unparsed.peekLast();
        return e == null ? 0 : e.length() - e.filled;
    }

    /** Where the next bytes of the value go ({@link #wants()} of them). */
    MemorySegment target() {
        Entry e = unparsed.getLast();
        return e.buffer.value().asSlice(e.filled);
    }

    /** {@code n} bytes were put at {@link #target()}. */
    void took(int n) {
        unparsed.getLast().filled += n;
    }

    /**
     * Where a RECV in a ring is to put the rest of the value being received ({@link #wants()} bytes): its
     * buffer is then not given back, even when the connection closes, until {@link #ringDone}.
     */
    MemorySegment ringTarget() {
        inRing = unparsed.getLast();
        return target();
    }

    /**
     * The RECV {@link #ringTarget} was given for ended, having put {@code n} bytes there (0 for none): they
     * count, or, when the value was dropped meanwhile (the connection closed), its buffer goes back now.
     */
    void ringDone(int n) {
        Entry e = inRing;
        inRing = null;
        if (e == null) {
            return;
        }
        if (unparsed.peekLast() == e) {
            e.filled += n;
        } else {
            pool.give(e.buffer);
        }
    }

    /**
     * After bytes were appended to the query buffer ({@code in[start, end)} unparsed): lands the value of
     * each large plain SET from where the last one landed ends (or {@code start}), as far as the bytes go.
     * Returns the new end: the value bytes that were in {@code in} moved to their buffers.
     */
    int probe(byte[] in, int start, int end, boolean authenticated) {
        while (!released && MIN_BYTES > 0 && authenticated) {
            Entry last = unparsed.peekLast();
            if (last != null && !last.whole()) {
                return end; // the bytes go to its buffer first
            }
            int at = last == null ? start : last.bodyAt + 2;
            if (at >= end || at == notHere) {
                return end;
            }
            if (!plainSet(in, at, end)) {
                if (end - at >= 13) {
                    notHere = at; // another command: it and what follows it wait for the parse
                }
                return end;
            }
            // The key's and the value's headers, read here first: a small or whole value is left alone
            // without a parse (a pipeline of 4 KiB SETs is looked at once per arrival, not parsed twice).
            long key = header(in, at + 13, end);
            if (key == NOT_HERE) {
                return end;
            }
            long keyLength = key < 0 ? 0 : key >>> 32;
            long keyEnd = (key & 0xffffffffL) + keyLength; // a long: a huge announced key cannot wrap
            long val = key < 0 || keyLength < 1 ? MALFORMED : keyEnd + 2 > end ? NOT_HERE
                    : header(in, (int) keyEnd + 2, end);
            if (val == NOT_HERE) {
                return end;
            }
            int length = (int) (val >>> 32);
            if (val < 0 || length < MIN_BYTES || end - (int) val >= length + 2) {
                notHere = at; // malformed (the parse says so), small, or whole already: it stays
                return end;
            }
            // The parser has the last word on the request (the limits, the CRLFs).
            RequestParser.Result r = parser.parse(in, at, end, true);
            ValueBuffers.Buffer b = !r.needsMore() || r.lastBodyAt() != (int) val || r.lastBodyLength() != length ? null
                    : pool.take((int) keyLength, length);
            if (b == null) {
                notHere = at; // refused, or no room: it stays in the query buffer
                return end;
            }
            int bodyAt = (int) val;
            int have = Math.min(end - bodyAt, length);
            MemorySegment.copy(in, bodyAt, b.value(), ValueLayout.JAVA_BYTE, 0, have);
            // What came after the value (its CRLF, the next request) moves to where the value was.
            System.arraycopy(in, bodyAt + have, in, bodyAt, end - bodyAt - have);
            end -= have;
            unparsed.add(new Entry(b, at, bodyAt, have));
        }
        return end;
    }

    /** {@link #header}: the header has not all arrived. */
    private static final long NOT_HERE = -1;
    /** {@link #header}: not a bulk header. */
    private static final long MALFORMED = -2;

    /**
     * A bulk header {@code $<n>\r\n} at {@code in[at]}, before {@code end}: n and where its body starts,
     * as {@code n << 32 | body}; {@link #NOT_HERE} or {@link #MALFORMED}.
     */
    static long header(byte[] in, int at, int end) {
        if (at >= end) {
            return NOT_HERE;
        }
        if (in[at] != '$') {
            return MALFORMED;
        }
        long n = 0;
        // At most 11 digits (leading zeros too): a longer header is not one this looks at, however it goes
        // on, so a client cannot make every arrival read it again from its start.
        for (int i = at + 1; i < end; i++) {
            if (i - at > 12) {
                return MALFORMED;
            }
            int c = in[i];
            if (c == '\r') {
                if (i == at + 1) {
                    return MALFORMED;
                }
                return i + 1 >= end ? NOT_HERE : in[i + 1] == '\n' ? n << 32 | (i + 2) : MALFORMED;
            }
            int d = c - '0';
            if (d < 0 || d > 9 || n > Integer.MAX_VALUE / 10) {
                return MALFORMED;
            }
            n = n * 10 + d;
        }
        return NOT_HERE;
    }

    /** {@code *3\r\n$3\r\nSET\r\n} at {@code in[at]}, any case. */
    static boolean plainSet(byte[] in, int at, int end) {
        if (end - at < 13) {
            return false;
        }
        return in[at] == '*' && in[at + 1] == '3' && in[at + 2] == '\r' && in[at + 3] == '\n'
                && in[at + 4] == '$' && in[at + 5] == '3' && in[at + 6] == '\r' && in[at + 7] == '\n'
                && (in[at + 8] | 0x20) == 's' && (in[at + 9] | 0x20) == 'e' && (in[at + 10] | 0x20) == 't'
                && in[at + 11] == '\r' && in[at + 12] == '\n';
    }

    /** The request at {@code start} is one whose value is still coming: it cannot be parsed yet. */
    boolean blocks(int start) {
        Entry e = unparsed.peekFirst();
        return e != null && e.requestAt == start && !e.whole();
    }

    /** The value of the request at {@code start}, when it landed whole; else null. */
    RequestParser.Landed landed(int start) {
        Entry e = unparsed.peekFirst();
        if (e == null || e.requestAt != start || !e.whole()) {
            return null;
        }
        return new RequestParser.Landed(e.bodyAt, e.length(), e.buffer.value());
    }

    /** The request {@link #landed} gave the value of was parsed: its buffer goes with it until {@link #releaseHeld}. */
    void parsed() {
        held.add(unparsed.removeFirst().buffer);
        onLanded.run();
    }

    /** The query buffer's bytes moved {@code delta} places (to its start, or to a new array). */
    void moved(int delta) {
        for (Entry e : unparsed) {
            e.requestAt += delta;
            e.bodyAt += delta;
        }
        if (notHere >= 0) {
            notHere += delta;
        }
    }

    /** The bytes not parsed are dropped (the connection is closing): their buffers go back. */
    void dropUnparsed() {
        for (Entry e : unparsed) {
            if (e != inRing) {
                pool.give(e.buffer); // (the one a RECV in a ring fills goes back when it ends: ringDone)
            }
        }
        unparsed.clear();
        notHere = -1;
    }

    /**
     * Bytes of the value being received so far when it is to go back to the query buffer (its connection
     * has sent nothing for a second: a value announced and not sent keeps no buffer); -1 when none is
     * being received, or a RECV in a ring is filling it.
     */
    int stalled() {
        Entry e = fillingHere();
        return e == null ? -1 : e.filled;
    }

    /** The value being received, unless a RECV in a ring is filling it ({@link #ringTarget}); null when none. */
    private Entry fillingHere() {
        Entry e = unparsed.peekLast();
        return e == null || e.whole() || e == inRing ? null : e;
    }

    /** Below this pace (bytes a second, measured over a second or more) a value is slow ({@link #slow}). */
    static final int SLOW_BYTES_PER_SECOND = 64 << 10;

    /**
     * Called by the once-a-second sweep of a connection that is not idle, at {@code nowMs}: the bytes of
     * the value being received so far when, over the second or more since it last measured, they came at
     * less than {@link #SLOW_BYTES_PER_SECOND} (a client that sends a large value a few bytes at a time
     * does not keep a buffer of the store's budget for it), else -1, as {@link #stalled}. Such a value goes
     * back to the query buffer ({@link #unland}), which grows only as the bytes arrive.
     */
    int slow(long nowMs) {
        Entry e = fillingHere();
        if (e == null) {
            return -1;
        }
        if (e.filledAtSweep < 0) {
            e.filledAtSweep = e.filled;
            e.sweptAtMs = nowMs;
            return -1;
        }
        long ms = nowMs - e.sweptAtMs;
        if (ms < 1000) {
            return -1; // (sweeps closer together than a second, after a long round): the next one measures
        }
        boolean slow = (e.filled - e.filledAtSweep) * 1000L < SLOW_BYTES_PER_SECOND * ms;
        e.filledAtSweep = e.filled;
        e.sweptAtMs = nowMs;
        return slow ? e.filled : -1;
    }

    /**
     * The value {@link #stalled} (or {@link #slow}) named goes back to the query buffer: its bytes so far to
     * {@code in[end]} (where they would have been, right after its header), its buffer to the pool; the
     * request is then received and parsed as any other, and not landed again.
     */
    void unland(byte[] in, int end) {
        Entry e = unparsed.removeLast();
        MemorySegment.copy(e.buffer.value(), ValueLayout.JAVA_BYTE, 0, in, end, e.filled);
        pool.give(e.buffer);
        notHere = e.requestAt;
    }

    /** The query buffer starts again at 0 with nothing unparsed. */
    void rewound() {
        notHere = -1;
    }

    /** No request parsed from them waits to run or to be written: their buffers go back. */
    void releaseHeld() {
        for (int i = 0; i < held.size(); i++) {
            pool.give(held.get(i));
        }
        held.clear();
    }

    /**
     * The connection closes: every buffer goes back (a put still writing one holds it in the store), and
     * none is taken from now on. Call where no request of it is about to run.
     */
    void release() {
        released = true;
        releaseHeld();
        dropUnparsed();
    }
}
