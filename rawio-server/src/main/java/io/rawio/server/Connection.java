package io.rawio.server;

import io.rawio.nativeio.Errno;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import io.rawio.server.resp.ReplyWriter;
import io.rawio.server.resp.RequestParser;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One client connection of an event loop: the bytes it sent and not yet parsed (the query buffer), the
 * requests parsed and not yet run, the replies not yet sent, and whether it is to be closed once they
 * are. Requests run in the order they arrived; while replies wait for the socket, no further request is
 * parsed, so a client that does not read cannot make the server hold more than one round of its replies.
 * The epoll loop moves bytes between the socket and the heap buffers directly (no copy through native
 * memory); the io_uring and threads loops receive into and send from native memory ({@link #received},
 * {@link ReplyQueue#unsentInto}). Used by its loop's thread only (by the threads loop under its one lock).
 */
final class Connection {
    /** Replies held unsent past which no further request is parsed until they are sent. */
    static final int OUT_SOFT_LIMIT = 64 * 1024;
    /** Requests parsed at most per round (the loop runs them, then parses more). */
    static final int MAX_BATCH = 256;
    /** Buffers larger than this are given back once empty and idle ({@link #trim()}). */
    static final int SHRINK_ABOVE = 64 * 1024;
    /** The least a read asks the socket for. */
    private static final int READ_AT_LEAST = 16 * 1024;

    final int fd;
    private final long maxQuery;
    /** Received, not yet parsed: in[start, end). */
    private byte[] in = new byte[READ_AT_LEAST];
    /** Bytes received in all (for a loop's counters). */
    private long receivedBytes;
    /** The unparsed request needs at least this many bytes before it is worth parsing again. */
    private long needAtLeast;
    private int start;
    private int end;
    /** What is left unparsed is not a whole request: nothing to parse before more bytes arrive. */
    private boolean starved = true;
    /** Parsed and not yet run: pending[next, size). */
    private final List<List<byte[]>> pending = new ArrayList<>();
    private int next;
    /** The peer closed its side, or a read failed. */
    private boolean eof;
    /** Close once the replies are sent (QUIT, a protocol error, a query too large, CLIENT KILL). */
    private boolean closing;
    /** Whether the loop asked epoll for EPOLLOUT on it. */
    boolean watchingWrite;
    /** A SHUTDOWN came on this connection. */
    boolean shutdown;
    /** The socket failed or a limit was passed: the loop closes it at the end of the round. */
    boolean dead;
    /** Set by the loop while it is in this round's list of connections to run. */
    boolean inRound;

    /**
     * Its SETs' started putManys not yet over (the io_uring loop, {@link RoundBatcher}): their values are
     * views into the query buffer, which is then never written over in place, and their replies are held
     * in its {@link ReplyQueue#deferred} until the writes end.
     */
    int writesInFlight;
    /**
     * Its next request waits for device reads (its own to complete, or buffers to free): the loop makes
     * it ready when they do, so it is neither run again nor left over in this round.
     */
    boolean waitsForDevice;

    /** Who the client is and what its commands changed about it. */
    final Session session;
    /** Its replies not yet sent, heap and device, in its commands' order. */
    final ReplyQueue replies;
    /** Where its commands write their replies ({@link ReplyQueue#out}). */
    final ReplyWriter out;
    /** Large SET values received straight into the store's buffers; null: none are. */
    final ValueLanding landing;

    Connection(int fd, long maxQuery, Session session) {
        this(fd, maxQuery, session, null);
    }

    Connection(int fd, long maxQuery, Session session, ValueLanding landing) {
        this.fd = fd;
        this.maxQuery = maxQuery;
        this.session = session;
        this.landing = landing;
        this.replies = new ReplyQueue(session);
        this.out = replies.out;
    }

    /**
     * Reads until the socket has nothing more (edge-triggered). Returns false when the connection is to
     * be dropped at once (a read error).
     */
    boolean readAll() {
        rewind();
        while (true) {
            // A large value's bytes go straight from the socket to its store buffer; the rest to the query
            // buffer, a piece at a time with landing on, so that a large value found in a piece goes to its
            // buffer by the next read, not through the query buffer.
            int wants = landing == null ? 0 : landing.wants();
            if (wants == 0 && in.length - end < READ_AT_LEAST) {
                makeRoom();
            }
            int room = wants > 0 ? wants : landing == null ? in.length - end : Math.min(in.length - end, LANDING_READ);
            long r = wants > 0 ? Sockets.recv(fd, landing.target(), wants, NetConstants.MSG_DONTWAIT)
                    : Sockets.recvNow(fd, in, end, room);
            if (r == -Errno.EAGAIN) {
                return true;
            }
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r <= 0) {
                return ended(r);
            }
            if (wants > 0) {
                landed((int) r);
            } else if (!took((int) r)) {
                return true;
            } else {
                probe();
            }
            if (r < room) {
                return true; // a short read: the socket is empty (edge-triggered needs no further EAGAIN)
            }
        }
    }

    /** The most one read puts in the query buffer while large values may land in store buffers. */
    private static final int LANDING_READ = 64 * 1024;

    /** Large SET values whose headers just arrived go to store buffers ({@link ValueLanding#probe}). */
    private void probe() {
        if (landing != null && !closing) {
            int e = landing.probe(in, start, end, session == null || session.authenticated);
            if (e != end) {
                end = e;
                needAtLeast = 0; // what the last parse said the request needs is in its buffer now
            }
        }
    }

    /**
     * The bytes the request being received still lacks, at least, as its last parse found (0 when none is
     * known to lack any): a loop may read that many straight from the socket, as none of them is a later
     * request's.
     */
    long shortfall() {
        if (closing || eof) {
            return 0;
        }
        int wants = landing == null ? 0 : landing.wants();
        return wants > 0 ? wants : Math.max(0, needAtLeast - (end - start));
    }

    /** Bytes the large value being received into a store buffer still lacks (0: none is). */
    int landingWants() {
        return landing == null || closing ? 0 : landing.wants();
    }

    /**
     * Where a RECV in the io_uring loop's ring puts the rest of the large value being received
     * ({@link #landingWants()} bytes); {@link #landedInRing} once it ended.
     */
    MemorySegment landingRingTarget() {
        return landing.ringTarget();
    }

    /** The RECV {@link #landingRingTarget} was given for ended with {@code n} bytes (0: none). */
    void landedInRing(int n) {
        landing.ringDone(n);
        if (n > 0) {
            receivedBytes += n;
            if (landing.wants() == 0) {
                starved = false;
            }
        }
    }

    /** {@code n} bytes of a large value arrived in its store buffer ({@link ValueLanding}). */
    private void landed(int n) {
        landing.took(n);
        receivedBytes += n;
        if (landing.wants() == 0) {
            starved = false; // the value is whole: its request may parse once its CRLF is here
        }
    }

    /** Whether parsed requests waiting to run, or values being written, are views into {@link #in}. */
    private boolean viewsHeld() {
        return next < pending.size() || writesInFlight > 0;
    }

    /** All parsed and run: the next bytes go to the start (no request holds views here). */
    private void rewind() {
        if (!viewsHeld()) {
            if (landing != null) {
                landing.releaseHeld();
            }
            if (start == end) {
                start = 0;
                end = 0;
                if (landing != null) {
                    landing.rewound();
                }
            }
        }
    }

    /**
     * {@code n} bytes more are in {@code in[end, end + n)}. Returns false when they took the query
     * buffer past its limit (then the connection is closing and the buffer emptied).
     */
    private boolean took(int n) {
        end += n;
        receivedBytes += n;
        starved = false;
        if ((long) end - start > maxQuery) {
            // Redis: "closing client that reached max query buffer length". The requests parsed and not
            // run go too (else the connection would wait for them forever, never done).
            closing = true;
            pending.clear();
            next = 0;
            start = 0;
            end = 0;
            in = new byte[READ_AT_LEAST];
            if (landing != null) {
                landing.dropUnparsed();
            }
            return false;
        }
        return true;
    }

    /**
     * The socket said end of stream ({@code r} 0) or failed (-errno). Returns false when the connection
     * is to be dropped at once (a read error; a reset is taken as the end of the stream).
     */
    boolean ended(long r) {
        eof = true;
        return r == 0 || r == -Errno.ECONNRESET;
    }

    /**
     * Bytes a loop received into native memory (a ring's buffer, a blocking read's): appended to the
     * query buffer as {@link #readAll()} appends what it reads.
     */
    void received(MemorySegment from, long offset, int n) {
        rewind();
        while (n > 0) {
            int wants = landing == null ? 0 : landing.wants();
            if (wants > 0) {
                // A large value's bytes go to its store buffer, not the query buffer.
                int k = Math.min(n, wants);
                MemorySegment.copy(from, offset, landing.target(), 0, k);
                landed(k);
                offset += k;
                n -= k;
                continue;
            }
            if (in.length - end < READ_AT_LEAST) {
                makeRoom();
            }
            int k = Math.min(n, in.length - end);
            if (landing != null) {
                k = Math.min(k, LANDING_READ); // a value found in these goes to its buffer with the rest
            }
            MemorySegment.copy(from, ValueLayout.JAVA_BYTE, offset, in, end, k);
            offset += k;
            n -= k;
            if (!took(k)) {
                return; // past the limit: closing, the rest dropped
            }
            probe();
        }
    }

    /**
     * Room for at least READ_AT_LEAST more bytes: compacts, or grows to what the request needs. While
     * parsed requests wait to run, their arguments are views into this array ({@code RequestArgs}), as
     * are the values of SETs being written, so it is never compacted in place then: the unparsed bytes
     * move to a new array.
     */
    private void makeRoom() {
        int live = end - start;
        // What a request says it needs counts only up to twice what has arrived: a header announcing a
        // huge bulk or count makes the buffer grow as its bytes come, never ahead of them.
        long want = Math.max((long) live + READ_AT_LEAST,
                Math.min(Math.min(needAtLeast, maxQuery + 1), 2L * live + READ_AT_LEAST));
        if (want <= in.length && !viewsHeld()) {
            System.arraycopy(in, start, in, 0, live); // compact
        } else {
            long size = in.length;
            if (want > in.length) {
                size = Math.max(want, Math.min((long) in.length * 2, maxQuery + READ_AT_LEAST));
                // Room for at least one more byte: a read of 0 bytes would look like the end of the stream.
                size = Math.min(Integer.MAX_VALUE - 8L, Math.max(size, live + 1L));
            }
            // Only the unparsed bytes move (not the rest of the old array, parsed or never written).
            byte[] moved = new byte[(int) size];
            System.arraycopy(in, start, moved, 0, live);
            in = moved;
        }
        if (landing != null) {
            landing.moved(-start);
        }
        start = 0;
        end = live;
    }

    /**
     * Parses the whole requests received, up to {@link #MAX_BATCH}, unless replies wait to be sent
     * ({@link #hasWork()} then says whether more is left to parse). A protocol error queues Redis's error
     * reply after the requests before it, and closes the connection.
     */
    void parse(RequestParser parser) {
        if (next == pending.size()) {
            pending.clear();
            next = 0;
        }
        if (landing != null && !viewsHeld()) {
            landing.releaseHeld(); // the requests that held them have run, their writes are over
        }
        if (closing || replies.heapUnsent() >= OUT_SOFT_LIMIT) {
            return;
        }
        // Before AUTH, one request at a time, parsed with the tighter limits (it may be the AUTH that
        // lifts them for the next).
        boolean authenticated = session == null || session.authenticated;
        int limit = authenticated ? MAX_BATCH : 1;
        while (pending.size() - next < limit) {
            if (start >= end || end - start < needAtLeast || (landing != null && landing.blocks(start))) {
                starved = true;
                break;
            }
            RequestParser.Landed landed = landing == null ? null : landing.landed(start);
            RequestParser.Result r = parser.parse(in, start, end, authenticated, landed);
            if (r.needsMore()) {
                needAtLeast = r.needAtLeast();
                starved = true;
                break;
            }
            if (landed != null && r.args() instanceof io.rawio.server.resp.RequestArgs a && a.hasLanded()) {
                landing.parsed();
            }
            needAtLeast = 0;
            if (r.isError()) {
                pending.add(List.of(PROTOCOL_ERROR, r.error().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                start = end;
                break;
            }
            start += r.consumed();
            if (!r.args().isEmpty()) {
                pending.add(r.args());
            }
        }
    }

    /**
     * The marker a request list starts with for a protocol error (an array no parser makes: requests
     * are the client's bytes), followed by the message.
     */
    static final byte[] PROTOCOL_ERROR = new byte[0];

    /** The next request to run, or null. */
    List<byte[]> peek() {
        return next < pending.size() && !closing ? pending.get(next) : null;
    }

    /** The request {@link #peek()} gave is taken. */
    void take() {
        pending.set(next++, null);
    }

    /** What a command asked of the connection: to close after its replies, or to stop the server. */
    void after(Commands.After after) {
        if (after == Commands.After.CLOSE || after == Commands.After.SHUTDOWN) {
            closing = true;
            shutdown |= after == Commands.After.SHUTDOWN;
            pending.clear();
            next = 0;
            start = 0;
            end = 0;
            if (landing != null) {
                landing.dropUnparsed();
            }
            if (writesInFlight > 0) {
                in = new byte[READ_AT_LEAST]; // the values being written stay as they are
            }
        }
    }

    /**
     * Gives back buffers grown past {@link #SHRINK_ABOVE} while they are empty: the loop calls it for connections
     * idle a while, so a client sending 1 MiB values keeps its buffers between requests, an idle one not.
     */
    void trim() {
        if (landing != null && !viewsHeld()) {
            landing.releaseHeld();
        }
        // A value announced and not sent for a second: its buffer goes back, and what came of it so far to the
        // query buffer, which grows only as bytes arrive.
        unland(landing == null ? -1 : landing.stalled());
        if (start == end && in.length > SHRINK_ABOVE) {
            start = 0;
            end = 0;
            in = new byte[READ_AT_LEAST];
        }
        replies.trim(SHRINK_ABOVE);
    }

    /** The sweep of one not idle: a large value coming at under 64 KiB a second goes back ({@link ValueLanding#slow}). */
    void unlandIfSlow(long nowMs) {
        unland(landing == null || closing ? -1 : landing.slow(nowMs));
    }

    /** The value being received, {@code filled} bytes of it so far, goes back to the query buffer (none if negative). */
    private void unland(int filled) {
        if (filled < 0) {
            return;
        }
        if (in.length - end < filled) {
            byte[] moved = new byte[end - start + filled + READ_AT_LEAST];
            System.arraycopy(in, start, moved, 0, end - start);
            landing.moved(-start);
            in = moved;
            end -= start;
            start = 0;
        }
        landing.unland(in, end);
        end += filled;
        needAtLeast = 0;
        starved = false;
    }

    /** Requests parsed and not run, or bytes enough for the next one to be parsed. */
    boolean hasWork() {
        return !closing && (next < pending.size() || !starved);
    }

    /** The peer closed its side, or a read failed: nothing more is to be read. */
    boolean atEof() {
        return eof;
    }

    /** Bytes received since it was opened. */
    long receivedBytes() {
        return receivedBytes;
    }

    /** Bytes received and not yet parsed. */
    int queryBytes() {
        return end - start;
    }

    /**
     * The connection is closed: the store buffers it holds go back (a put still writing one keeps it until
     * it is over). Call where no request of it is about to run (after a round).
     */
    void release() {
        if (landing != null) {
            landing.release();
        }
    }

    /** Closes once its replies are sent (CLIENT KILL, a limit). */
    void closeSoon() {
        after(Commands.After.CLOSE);
    }

    /** Nothing more to do: closing or the peer gone, and every reply sent. */
    boolean done() {
        return (closing || eof) && !replies.hasUnsent() && next == pending.size();
    }
}
