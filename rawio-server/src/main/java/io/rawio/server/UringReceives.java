package io.rawio.server;

import io.rawio.nativeio.Errno;
import io.rawio.net.NetConstants;
import io.rawio.uring.BufferRing;
import io.rawio.uring.SocketSqes;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The io_uring loop's receives ({@link UringServer}): each connection has one RECV in the ring, taking
 * buffers from the ring of provided buffers (multishot where the kernel has it) or, without that ring,
 * receiving into the connection's own native buffer; the bytes are copied into the connection's query
 * buffer and the provided buffer goes straight back. A RECV that ended is submitted again at the end of
 * the next reap ({@link #rearmEnded}). With {@link UringFeatures#directRead} on, a connection whose
 * request lacks that many bytes has its RECV cancelled and a POLL armed in its place, and reads what the
 * socket holds straight into the query buffer ({@link UringLink#direct}). Used by the loop's thread only.
 */
final class UringReceives {
    /** A plain RECV's own buffer, per connection. */
    static final int RECV_BUFFER = 16 * 1024;

    /** What the receives need of their loop. */
    interface Loop {
        /** The next free SQE's offset in {@code sqes}. */
        long sqe();

        /** The user_data of a receive (RECV or POLL) of {@code l}. */
        long recvTag(UringLink l);

        /** The user_data of a cancel of {@code l}'s receive. */
        long cancelTag(UringLink l);

        /** {@code c} has something to do again. */
        void ready(Connection c);

        /** {@code c}'s socket failed. */
        void fail(Connection c);

        /** {@code l}'s connection is closed and nothing of it is in the ring any more. */
        void forget(UringLink l);

        /** The loop's clock for this round (ms). */
        long nowMs();

        /** The features now (the loop turns one off when the kernel refuses it). */
        UringFeatures features();

        /** The kernel refused a feature: from now on these. */
        void features(UringFeatures f);
    }

    private final MemorySegment sqes;
    private final Loop loop;
    /** The ring of provided buffers, or null (each connection receives into its own buffer). */
    private BufferRing buffers;
    /** Links whose RECV ended, to be submitted again. */
    private final List<UringLink> toRearm = new ArrayList<>();
    /** {@link #directReadBytes()}; written by the loop thread (INFO runs there too, a test reads it after). */
    private volatile long directBytes;
    /** Bytes landing RECVs put straight into store buffers ({@link #landIfLarge}); as {@link #directBytes}. */
    private volatile long landingBytes;

    /** Receives into the SQE array {@code sqes}, from {@code buffers} (null: into each link's own buffer). */
    UringReceives(MemorySegment sqes, BufferRing buffers, Loop loop) {
        this.sqes = sqes;
        this.buffers = buffers;
        this.loop = loop;
    }

    /** Bytes read straight into query buffers after a POLL. */
    long landingRecvBytes() {
        return landingBytes;
    }

    long directReadBytes() {
        return directBytes;
    }

    /** A new connection: its own buffer where there is no buffer ring, and its first RECV. */
    void open(UringLink l) {
        if (buffers == null) {
            l.recvBuffer = l.arena.allocate(RECV_BUFFER, 64);
        }
        arm(l);
    }

    private void arm(UringLink l) {
        long at = loop.sqe();
        int wants = loop.features().landingRecv() > 0 ? l.c.landingWants() : 0;
        if (wants > 0) {
            // The rest of a large SET value, straight into the store buffer it is written from.
            SocketSqes.recv(sqes, at, l.c.fd, l.c.landingRingTarget(), wants, NetConstants.MSG_WAITALL,
                    loop.recvTag(l));
            l.landingRecv = true;
            l.polling = false;
            l.recvArmed = true;
            return;
        }
        l.polling = l.direct;
        if (l.direct) {
            SocketSqes.poll(sqes, at, l.c.fd, NetConstants.POLLIN, loop.recvTag(l));
        } else if (buffers != null) {
            SocketSqes.recvSelect(sqes, at, l.c.fd, buffers.group(), 0,
                    loop.features().multishotRecv() && !l.landingMode, loop.recvTag(l));
        } else {
            SocketSqes.recv(sqes, at, l.c.fd, l.recvBuffer, RECV_BUFFER, 0, loop.recvTag(l));
        }
        l.recvArmed = true;
    }

    /** A receive's completion ({@code l} null: its connection is gone). */
    void completed(UringLink l, int res, int flags) {
        int bid = SocketSqes.bufferId(flags);
        boolean more = SocketSqes.more(flags);
        if (l == null) {
            recycle(bid);
            return;
        }
        if (l.landingRecv) {
            landingDone(l, res);
            return;
        }
        boolean polled = l.polling;
        if (!more) {
            l.recvArmed = false;
            l.polling = false;
            l.cancelledForLanding = false;
        }
        if (l.closed) {
            recycle(bid);
            if (l.idle()) {
                loop.forget(l);
            }
            return;
        }
        Connection c = l.c;
        if (polled) {
            pollDone(l, res);
            return;
        }
        if (res > 0) {
            c.session.lastActiveMs = loop.nowMs();
            try {
                if (bid >= 0) {
                    c.received(buffers.memory(), (long) bid * buffers.bufferSize(), res);
                } else {
                    c.received(l.recvBuffer, 0, res);
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                c.dead = true; // a query it cannot hold: that client's connection, no one else's
            } finally {
                recycle(bid);
            }
            goDirectIfLarge(l);
            landIfLarge(l);
            if (l.landingMode && c.landingWants() == 0 && ++l.quietRecvs >= UringLink.QUIET_RECVS) {
                l.landingMode = false; // its large values stopped: multishot again
            }
            rearmIfEnded(l);
            loop.ready(c);
            return;
        }
        recycle(bid);
        if (res == -Errno.ECANCELED && !more) {
            rearmIfEnded(l); // the RECV cancelled for direct reads or a landing RECV: that goes in its place
            return;
        }
        if (res == 0) {
            c.session.lastActiveMs = loop.nowMs();
            c.ended(0); // the peer closed: the round sends what is left, then closes
            loop.ready(c);
        } else if (res == -Errno.ENOBUFS || res == -Errno.EINTR || res == -Errno.EAGAIN) {
            rearmIfEnded(l); // the buffer ring ran dry: buffers come back as they are copied out
        } else if (res == -Errno.EINVAL && loop.features().multishotRecv() && !more) {
            loop.features(loop.features().withoutMultishotRecv("multishot recv refused (EINVAL): one RECV per arrival"));
            rearmIfEnded(l);
        } else if (c.ended(res)) {
            loop.ready(c); // a reset: the end of the stream
        } else {
            loop.fail(c);
        }
    }

    /**
     * A cancel of {@code l}'s RECV completed with {@code res}. -EALREADY: the RECV could not be stopped and
     * goes on, so {@code l} is not direct after all (a later large request cancels again); -ENOENT: it had
     * ended already, and its last CQE armed what comes next.
     */
    void cancelled(UringLink l, int res) {
        if (l != null && res == -Errno.EALREADY && l.direct && l.recvArmed && !l.polling) {
            l.direct = false;
        }
        if (l != null && res == -Errno.EALREADY) {
            l.cancelledForLanding = false; // the RECV goes on; a later large value may cancel it again
        }
    }

    /**
     * A large SET value of {@code l} lands in a store buffer and lacks {@link UringFeatures#landingRecv}
     * bytes or more: its RECV is cancelled, and once it ended a RECV of the rest straight into that
     * buffer takes its place ({@link #arm}).
     */
    void landIfLarge(UringLink l) {
        int landing = loop.features().landingRecv();
        if (landing <= 0 || l.closed || l.landingRecv || l.c.landingWants() < landing) {
            return;
        }
        l.landingMode = true;
        l.quietRecvs = 0;
        if (l.recvArmed && !l.polling && !l.cancelledForLanding) {
            l.cancelledForLanding = true; // a multishot RECV goes on: it makes way (a one-shot one has ended)
            cancel(l);
        }
    }

    /** A landing RECV ({@link UringLink#landingRecv}) ended with {@code res}. */
    private void landingDone(UringLink l, int res) {
        l.landingRecv = false;
        l.recvArmed = false;
        Connection c = l.c;
        c.landedInRing(Math.max(0, res)); // (a closed connection's buffer goes back here)
        if (l.closed) {
            if (l.idle()) {
                loop.forget(l);
            }
            return;
        }
        if (res > 0) {
            landingBytes += res;
            c.session.lastActiveMs = loop.nowMs();
            loop.ready(c);
            rearmIfEnded(l); // the rest, if the RECV ended short; else the usual receive
        } else if (res == -Errno.ECANCELED || res == -Errno.EINTR || res == -Errno.EAGAIN) {
            rearmIfEnded(l);
        } else if (res == 0) {
            c.session.lastActiveMs = loop.nowMs();
            c.ended(0);
            loop.ready(c);
        } else if (c.ended(res)) {
            loop.ready(c);
        } else {
            loop.fail(c);
        }
    }

    /**
     * A request of {@code l} lacks {@link UringFeatures#directRead} bytes or more (a large value on its
     * way): from now on its bytes are read straight into the query buffer ({@link UringLink#direct}). The
     * RECV in the ring is cancelled first; what it took before that comes in its CQEs, before its last,
     * whose end arms a POLL in its place ({@link #arm}).
     */
    void goDirectIfLarge(UringLink l) {
        int directRead = loop.features().directRead();
        if (l.direct || l.closed || l.landingRecv || directRead <= 0 || l.c.shortfall() < directRead) {
            return;
        }
        l.direct = true;
        l.smallPolls = 0;
        if (l.recvArmed && !l.polling) {
            cancel(l);
        }
    }

    /** Cancels {@code l}'s receive in the ring (its connection is closing, or goes direct). */
    void cancel(UringLink l) {
        SocketSqes.cancel(sqes, loop.sqe(), loop.recvTag(l), loop.cancelTag(l));
    }

    /**
     * The POLL armed in place of a RECV ({@link UringLink#direct}) completed: what the socket holds is
     * read straight into the query buffer (nothing else reads it meanwhile). Another POLL follows, until
     * {@link UringLink#SMALL_POLLS} polls in a row brought less than {@link UringFeatures#directRead} bytes
     * while no request lacked that many: then the RECV again, as the large values have stopped coming.
     */
    private void pollDone(UringLink l, int res) {
        Connection c = l.c;
        if (res < 0 && res != -Errno.EINTR && res != -Errno.EAGAIN && res != -Errno.ECANCELED) {
            if (c.ended(res)) {
                loop.ready(c);
            } else {
                loop.fail(c);
            }
            return;
        }
        long read = 0;
        if (res > 0) {
            long before = c.receivedBytes();
            boolean ok;
            try {
                ok = c.readAll();
            } catch (RuntimeException | OutOfMemoryError e) {
                ok = false;
            }
            if (!ok) {
                loop.fail(c);
                return;
            }
            read = c.receivedBytes() - before;
            if (read > 0) {
                c.session.lastActiveMs = loop.nowMs();
                directBytes += read;
            }
            loop.ready(c); // what it read, the end of the stream, or a limit passed: the round sees to it
            if (c.atEof()) {
                return; // as after a RECV's 0: nothing more to wait for
            }
        }
        int directRead = loop.features().directRead();
        if (read >= directRead || c.shortfall() >= directRead) {
            l.smallPolls = 0;
        } else if (++l.smallPolls >= UringLink.SMALL_POLLS) {
            l.direct = false;
        }
        rearmIfEnded(l);
    }

    private void rearmIfEnded(UringLink l) {
        if (!l.recvArmed && !l.rearm) {
            l.rearm = true;
            toRearm.add(l);
        }
    }

    private void recycle(int bid) {
        if (bid >= 0 && buffers != null) {
            buffers.recycle(bid);
        }
    }

    /** After a reap: the buffers copied out go back to the kernel, and the receives that ended go in again. */
    void rearmEnded() {
        publish();
        for (UringLink l : toRearm) {
            l.rearm = false;
            if (!l.closed && !l.recvArmed) {
                arm(l);
            }
        }
        toRearm.clear();
    }

    /** While draining at the end: the buffers go back, and nothing is received again. */
    void drop() {
        publish();
        toRearm.clear();
    }

    private void publish() {
        if (buffers != null) {
            buffers.publish();
        }
    }

    /**
     * The loop is done with the buffer ring: unregistered and freed when {@code free} (no request can
     * write into it any more), else left mapped, as one may still.
     */
    void closeBuffers(boolean free) {
        if (free && buffers != null) {
            buffers.close();
        }
        buffers = null;
    }
}
