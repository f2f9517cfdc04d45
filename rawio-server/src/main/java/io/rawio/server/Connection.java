package io.rawio.server;

import io.rawio.nativeio.Errno;
import io.rawio.net.Sockets;
import io.rawio.server.resp.ReplyWriter;
import io.rawio.server.resp.RequestParser;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One client connection of the event loop: the bytes it sent and not yet parsed (the query buffer),
 * the replies not yet sent, and whether it is to be closed once they are. Requests run in the order
 * they arrived; while replies wait for the socket, no further request runs, so a client that does not
 * read cannot make the server hold more than one round of its replies. Used by the loop's thread only.
 */
final class Connection {
    final int fd;
    private final long maxQuery;
    /** Received, not yet parsed: in[start, end). */
    private byte[] in = new byte[4096];
    /** The unparsed request needs at least this many bytes before it is worth parsing again. */
    private long needAtLeast;
    private int start;
    private int end;
    private final ReplyWriter out = new ReplyWriter(4096);
    /** Bytes of {@link #out} already sent. */
    private int sent;
    /** The peer closed its side, or a read failed. */
    private boolean eof;
    /** Close once the replies are sent (QUIT, a protocol error, a query too large). */
    private boolean closing;
    /** Whether the loop asked epoll for EPOLLOUT on it. */
    boolean watchingWrite;
    /** A SHUTDOWN came on this connection. */
    boolean shutdown;

    /** What its commands changed about it (authenticated or not). */
    final Session session;

    Connection(int fd, long maxQuery, boolean authenticated) {
        this.fd = fd;
        this.maxQuery = maxQuery;
        this.session = new Session(authenticated);
    }

    /**
     * Reads until the socket has nothing more (edge-triggered), through {@code chunk}. Returns false
     * when the connection is to be dropped at once (a read error).
     */
    boolean readAll(MemorySegment chunk) {
        while (true) {
            long r = Sockets.recv(fd, chunk, chunk.byteSize(), 0);
            if (r == -Errno.EAGAIN) {
                return true;
            }
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r <= 0) {
                eof = true;
                return r == 0 || r == -Errno.ECONNRESET;
            }
            if ((long) end - start + r > maxQuery) {
                // Redis: "closing client that reached max query buffer length".
                closing = true;
                start = end;
                return true;
            }
            ensure((int) r);
            MemorySegment.copy(chunk, ValueLayout.JAVA_BYTE, 0, in, end, (int) r);
            end += (int) r;
        }
    }

    private void ensure(int more) {
        if (end + more <= in.length) {
            return;
        }
        int live = end - start;
        if (live + more <= in.length / 2) {
            System.arraycopy(in, start, in, 0, live); // compact
        } else {
            long want = Math.max((long) live + more, in.length * 2L);
            in = Arrays.copyOfRange(in, start, start + (int) Math.min(Integer.MAX_VALUE - 8L, want));
        }
        start = 0;
        end = live;
    }

    /** Replies held unsent past which no further request runs until they are sent. */
    static final int OUT_SOFT_LIMIT = 64 * 1024;
    /** Requests parsed and run together at most (the store batches runs of GETs and SETs among them). */
    static final int MAX_BATCH = 256;

    /**
     * Runs the whole requests received, in order (a pipeline), a batch at a time through
     * {@code batcher}, until replies of {@link #OUT_SOFT_LIMIT} wait to be sent. Returns true when it
     * stopped for that with requests left, so the caller sends and runs again. A protocol error is
     * answered after the requests before it, and closes the connection.
     */
    boolean runRequests(RequestParser parser, PipelineBatcher batcher) {
        while (!closing && start < end) {
            if (out.size() - sent >= OUT_SOFT_LIMIT) {
                return true;
            }
            java.util.List<java.util.List<byte[]>> batch = new java.util.ArrayList<>();
            String protocolError = null;
            while (start < end && batch.size() < MAX_BATCH && end - start >= needAtLeast) {
                RequestParser.Result r = parser.parse(in, start, end);
                if (r.needsMore()) {
                    needAtLeast = r.needAtLeast();
                    break;
                }
                needAtLeast = 0;
                if (r.isError()) {
                    protocolError = r.error();
                    break;
                }
                start += r.consumed();
                if (!r.args().isEmpty()) {
                    batch.add(r.args());
                }
            }
            if (!batch.isEmpty()) {
                Commands.After after = batcher.run(batch, out, session);
                if (after == Commands.After.CLOSE) {
                    closing = true;
                } else if (after == Commands.After.SHUTDOWN) {
                    closing = true;
                    shutdown = true;
                }
            }
            if (protocolError != null && !closing) {
                out.error("ERR " + protocolError);
                closing = true;
                start = end;
            }
            if (batch.isEmpty() && protocolError == null) {
                break; // the rest is an incomplete request
            }
        }
        if (start == end) {
            start = 0;
            end = 0;
            if (in.length > SHRINK_ABOVE) {
                in = new byte[4096]; // a large request came and went: do not keep its buffer
            }
        }
        return false;
    }

    /** Buffers larger than this are given back once empty. */
    static final int SHRINK_ABOVE = 64 * 1024;

    /**
     * Sends what the replies hold, through {@code chunk}, until done or the socket is full. Returns
     * false when the connection is to be dropped (the peer is gone).
     */
    boolean flush(MemorySegment chunk) {
        while (sent < out.size()) {
            int n = (int) Math.min(chunk.byteSize(), out.size() - sent);
            MemorySegment.copy(out.buffer(), sent, chunk, ValueLayout.JAVA_BYTE, 0, n);
            long w = Sockets.send(fd, chunk, n, 0);
            if (w == -Errno.EAGAIN) {
                return true;
            }
            if (w == -Errno.EINTR) {
                continue;
            }
            if (w < 0) {
                return false;
            }
            sent += (int) w;
        }
        out.clear();
        out.shrink(SHRINK_ABOVE);
        sent = 0;
        return true;
    }

    /** Replies are waiting for the socket. */
    boolean wantsWrite() {
        return sent < out.size();
    }

    /** Nothing more to do: closing or the peer gone, and every reply sent. */
    boolean done() {
        return (closing || eof) && !wantsWrite();
    }
}
