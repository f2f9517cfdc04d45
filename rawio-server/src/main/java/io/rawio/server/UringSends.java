package io.rawio.server;

import static io.rawio.uring.IoUringConstants.IORING_OP_SENDMSG_ZC;

import io.rawio.nativeio.Errno;
import io.rawio.net.NetConstants;
import io.rawio.uring.IoUring;
import io.rawio.uring.SocketSqes;
import java.lang.foreign.MemorySegment;

/**
 * The io_uring loop's sends ({@link UringServer}): a connection's replies go out with SEND when they are
 * all on the heap, with SENDMSG when device replies are among them ({@link UringLink#gather}), one send
 * in flight per connection, and their completions are counted back into the connection. Device replies
 * of at least {@link #zeroCopyAbove()} bytes in one send go with SENDMSG_ZC: the send then stays in
 * flight until the kernel's notification, and the buffers it sent from go back only then. Used by the
 * loop's thread only.
 */
final class UringSends {
    /**
     * The zero-copy threshold unless told: off. Measured over loopback (docs/PERFORMANCE.md) SENDMSG_ZC
     * was slower than SENDMSG at every size from 16 KiB to 1 MiB: the kernel copies for a local
     * receiver anyway, and the notification comes only once the client has read the bytes, so the
     * connection's next send waits for its client. A NIC that sends from the pages is where it pays.
     */
    static final long DEFAULT_ZERO_COPY_ABOVE = Long.MAX_VALUE;

    /** What the sends need of their loop. */
    interface Loop {
        /** The next free SQE's offset in {@code sqes}. */
        long sqe();

        /** The user_data of a send of {@code l}. */
        long tag(UringLink l);

        /** {@code c} has something to do again. */
        void ready(Connection c);

        /** {@code c}'s socket failed. */
        void fail(Connection c);

        /** {@code l}'s connection is closed and nothing of it is in the ring any more. */
        void forget(UringLink l);
    }

    private final MemorySegment sqes;
    private final RingGets gets;
    private final Loop loop;
    private long zeroCopyAbove = Long.MAX_VALUE;
    private String zeroCopyNote = "zero-copy send off";

    /**
     * Sends into the SQE array {@code sqes}; {@code gets} (null without store reads on the ring) takes
     * back the device replies sent. The zero-copy threshold comes from {@code -Drawio.uring.sendZc} and
     * {@code -Drawio.uring.sendZcThreshold=BYTES}, where the kernel has SENDMSG_ZC (6.1).
     */
    UringSends(MemorySegment sqes, RingGets gets, Loop loop) {
        this.sqes = sqes;
        this.gets = gets;
        this.loop = loop;
        if (gets == null) {
            return; // only device replies are ever sent zero-copy
        }
        if (!Boolean.parseBoolean(System.getProperty("rawio.uring.sendZc", "true"))) {
            zeroCopy(Long.MAX_VALUE, "zero-copy send off (-Drawio.uring.sendZc=false)");
        } else if (!IoUring.supports(IORING_OP_SENDMSG_ZC)) {
            zeroCopy(Long.MAX_VALUE, "zero-copy send needs Linux 6.1");
        } else {
            long above = Long.getLong("rawio.uring.sendZcThreshold", DEFAULT_ZERO_COPY_ABOVE);
            zeroCopy(above, above == Long.MAX_VALUE
                    ? "zero-copy send off (slower over loopback; -Drawio.uring.sendZcThreshold=BYTES turns it on)"
                    : "zero-copy send of device replies from " + (above >> 10) + " KiB");
        }
    }

    private void zeroCopy(long above, String note) {
        zeroCopyAbove = above;
        zeroCopyNote = note;
    }

    long zeroCopyAbove() {
        return zeroCopyAbove;
    }

    /** For the ready line: whether and from what size device replies go zero-copy. */
    String zeroCopyNote() {
        return zeroCopyNote;
    }

    /** Starts a send of what {@code l}'s connection can send now (none is in flight). */
    void start(UringLink l) {
        Connection c = l.c;
        if (!c.replies.deferred.isEmpty()) {
            MemorySegment msg = l.gather();
            if (msg == null) {
                return; // the first reply's read is still in flight: its completion brings the connection back
            }
            if (l.gatheredDeviceBytes >= zeroCopyAbove) {
                SocketSqes.sendmsgZc(sqes, loop.sqe(), c.fd, msg, NetConstants.MSG_NOSIGNAL, loop.tag(l));
                l.zeroCopy = true;
            } else {
                SocketSqes.sendmsg(sqes, loop.sqe(), c.fd, msg, NetConstants.MSG_NOSIGNAL, loop.tag(l));
            }
            l.streamSend = true;
        } else {
            int n = (int) Math.min(c.replies.unsentBytes(), UringLink.MAX_SEND);
            int k = c.replies.unsentInto(l.sendBuffer(n).asSlice(0, n));
            SocketSqes.send(sqes, loop.sqe(), c.fd, l.sendBuffer, k, NetConstants.MSG_NOSIGNAL, loop.tag(l));
        }
        l.sendInFlight = true;
    }

    /** A send's completion ({@code res} bytes or -errno; a zero-copy send's notification by its flags). */
    void completed(UringLink l, int res, int flags) {
        if (l.zeroCopy) {
            if (SocketSqes.notification(flags)) {
                zeroCopyDone(l); // the kernel is done with the memory: the buffers go back, the next send may start
                return;
            }
            if (SocketSqes.more(flags)) {
                // The result; the memory is the kernel's until the notification, so the send stays in flight.
                if (!l.closed && res >= 0) {
                    l.c.replies.sentStream(res, l.sentAwaitingNotif::add);
                } else if (res == -Errno.EOPNOTSUPP || res == -Errno.EINVAL) {
                    // Refused (a Unix socket, say): nothing was sent; after the notification the
                    // connection is ready again and its replies go with SENDMSG, copied.
                    zeroCopy(Long.MAX_VALUE, "zero-copy send refused (" + Errno.name(-res) + "): sendmsg");
                } else if (!l.closed && res != -Errno.EINTR && res != -Errno.EAGAIN) {
                    loop.fail(l.c);
                }
                return;
            }
            l.zeroCopy = false; // no notification follows (a failure): an ordinary completion
            if (res == -Errno.EOPNOTSUPP || res == -Errno.EINVAL) {
                zeroCopy(Long.MAX_VALUE, "zero-copy send refused (" + Errno.name(-res) + "): sendmsg");
                res = -Errno.EAGAIN; // sent again, copied
            }
        }
        l.sendInFlight = false;
        boolean stream = l.streamSend;
        l.streamSend = false;
        if (l.closed) {
            if (l.idle()) {
                loop.forget(l);
            }
            return;
        }
        Connection c = l.c;
        if (res >= 0) {
            if (stream) {
                c.replies.sentStream(res, gets::release);
            } else {
                c.replies.sentBytes(res);
            }
            loop.ready(c); // as EPOLLOUT: the rest of the replies, the requests behind them, or the close
        } else if (res == -Errno.EINTR || res == -Errno.EAGAIN) {
            loop.ready(c);
        } else {
            loop.fail(c);
        }
    }

    /** A zero-copy send's notification: what it sent whole goes back, and the connection goes on. */
    private void zeroCopyDone(UringLink l) {
        l.zeroCopy = false;
        l.sendInFlight = false;
        l.streamSend = false;
        for (DeviceReply r : l.sentAwaitingNotif) {
            gets.release(r);
        }
        l.sentAwaitingNotif.clear();
        if (l.closed) {
            if (l.idle()) {
                loop.forget(l);
            }
            return;
        }
        loop.ready(l.c);
    }
}
