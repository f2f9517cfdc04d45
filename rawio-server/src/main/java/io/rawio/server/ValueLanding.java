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
 * stays with the request parsed from it until the connection holds no views ({@link #releaseHeld}), or
 * goes back when the connection closes ({@link #release}) or drops what it has not parsed
 * ({@link #dropUnparsed}). The store's budget bounds the buffers lent over all connections; once it is
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
            RequestParser.Result r = parser.parse(in, at, end, true);
            if (r.needsMore() && r.lastBodyAt() < 0) {
                return end; // the value's header is not all here yet
            }
            int keyLength = r.needsMore() ? keyLength(in, at + 13) : 0;
            ValueBuffers.Buffer b = keyLength < 1 || r.lastBodyLength() < MIN_BYTES ? null
                    : pool.take(keyLength, r.lastBodyLength());
            if (b == null) {
                notHere = at; // whole already, small, or no room: it stays in the query buffer
                return end;
            }
            int bodyAt = r.lastBodyAt();
            int have = Math.min(end - bodyAt, r.lastBodyLength());
            MemorySegment.copy(in, bodyAt, b.value(), ValueLayout.JAVA_BYTE, 0, have);
            // What came after the value (its CRLF, the next request) moves to where the value was.
            System.arraycopy(in, bodyAt + have, in, bodyAt, end - bodyAt - have);
            end -= have;
            unparsed.add(new Entry(b, at, bodyAt, have));
        }
        return end;
    }

    /** The length a bulk header {@code $<n>\r\n} at {@code in[at]} gives (one the parser took), or -1. */
    private static int keyLength(byte[] in, int at) {
        if (in[at] != '$') {
            return -1;
        }
        int n = 0;
        for (int i = at + 1; in[i] != '\r'; i++) {
            int d = in[i] - '0';
            if (d < 0 || d > 9 || n > 100_000_000) {
                return -1;
            }
            n = n * 10 + d;
        }
        return n;
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

    /** Buffers it holds, for tests. */
    int holding() {
        return held.size() + unparsed.size();
    }
}
