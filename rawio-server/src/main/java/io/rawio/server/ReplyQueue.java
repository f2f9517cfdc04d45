package io.rawio.server;

import io.rawio.nativeio.Errno;
import io.rawio.net.Sockets;
import io.rawio.server.resp.ReplyWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The replies of one connection not yet sent, in its commands' order: the heap replies commands write
 * ({@link #out}), and between them the device replies whose bytes a read or a write brings
 * ({@link DeviceReply}, each at its position in {@link #out}). A loop sends them from the heap
 * ({@link #flush}), from native memory it copies them into ({@link #unsentInto}), or heap and device
 * replies together with one sendmsg ({@link #sentStream}); nothing after a device reply goes out before
 * its bytes are known. Sending counts as the client's activity (Redis: reading replies keeps a client
 * from the idle timeout). Used by its connection's loop thread only.
 */
final class ReplyQueue {
    /** Where commands write their replies. */
    final ReplyWriter out = new ReplyWriter(4096);
    /** Bytes of {@link #out} already sent. */
    private int sent;
    /** Device replies, in order, each at its position in {@link #out}. */
    final ArrayDeque<DeviceReply> deferred = new ArrayDeque<>();
    /** Of {@link #deferred}, those whose read has not completed (counted by {@link RingGets}). */
    int readsInFlight;
    /** Whose activity sending counts as; null: nobody's. */
    private final Session session;

    ReplyQueue(Session session) {
        this.session = session;
    }

    /**
     * Sends the heap replies on {@code fd} until done or the socket is full (a loop with no device
     * replies: epoll). Returns false when the peer is gone.
     */
    boolean flush(int fd) {
        while (sent < out.size()) {
            long w = Sockets.sendNow(fd, out.buffer(), sent, out.size() - sent);
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
            if (w > 0) {
                active();
            }
        }
        out.clear();
        sent = 0;
        return true;
    }

    /**
     * Copies heap replies not yet sent, from the first, into {@code to} (as many as fit): for a loop that
     * sends from native memory. Returns how many bytes; {@link #sentBytes(int)} counts them once sent.
     */
    int unsentInto(MemorySegment to) {
        int n = (int) Math.min(to.byteSize(), out.size() - sent);
        MemorySegment.copy(out.buffer(), sent, to, ValueLayout.JAVA_BYTE, 0, n);
        return n;
    }

    /** {@code n} bytes of the heap replies were sent (by a loop that sends them itself). */
    void sentBytes(int n) {
        sent += n;
        if (n > 0) {
            active();
        }
        clearIfSent();
    }

    /** {@code r}'s bytes go after the replies written so far and before those written next. */
    void defer(DeviceReply r) {
        r.at = out.size();
        deferred.add(r);
    }

    /**
     * {@code n} bytes of the replies were sent, heap and device replies in their order (a loop that sends
     * both with one sendmsg); each device reply sent whole leaves {@link #deferred} through {@code sentWhole}.
     *
     * @throws IllegalStateException if {@code n} goes past what was there to send
     */
    void sentStream(long n, Consumer<DeviceReply> sentWhole) {
        if (n > 0) {
            active();
        }
        while (n > 0) {
            DeviceReply r = deferred.peekFirst();
            long heap = (r == null ? out.size() : r.at) - sent;
            if (heap > 0) {
                int k = (int) Math.min(n, heap);
                sent += k;
                n -= k;
                continue;
            }
            if (r == null || !r.done) {
                throw new IllegalStateException("sent past the replies: " + n + " bytes more");
            }
            long k = Math.min(n, r.remaining());
            r.sent += k;
            n -= k;
            if (r.remaining() == 0) {
                deferred.pollFirst();
                sentWhole.accept(r);
            }
        }
        clearIfSent();
    }

    /**
     * Once every heap reply is sent the buffer starts again; device replies waiting (all at its end)
     * then sit at its start.
     */
    private void clearIfSent() {
        if (sent >= out.size()) {
            out.clear();
            sent = 0;
            for (DeviceReply r : deferred) {
                r.at = 0;
            }
        }
    }

    /** Where the first unsent byte of the heap replies is in {@link ReplyWriter#buffer()}. */
    int sentOffset() {
        return sent;
    }

    /** Heap reply bytes written and not yet sent. */
    int heapUnsent() {
        return out.size() - sent;
    }

    /** Replies are waiting for the socket. */
    boolean hasUnsent() {
        return sent < out.size() || !deferred.isEmpty();
    }

    /** Replies not yet sent, in bytes (a device reply whose read is not over counts what it will about be). */
    long unsentBytes() {
        long n = out.size() - sent;
        for (DeviceReply r : deferred) {
            n += r.remaining();
        }
        return n;
    }

    /** Gives back a heap buffer grown past {@code above} bytes if nothing is in it. */
    void trim(int above) {
        if (sent == 0 && out.size() == 0) {
            out.shrink(above);
        }
    }

    private void active() {
        if (session != null) {
            session.lastActiveMs = System.currentTimeMillis();
        }
    }
}
