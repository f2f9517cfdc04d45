package io.rawio.server;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.net.Epoll;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import io.rawio.store.SlotStore;
import java.net.InetSocketAddress;

/**
 * The epoll event loop: one thread accepts connections, reads what each ready one has sent
 * (edge-triggered: until the socket has nothing more, so one wake-up per arrival and no wake-ups for
 * bytes already read), and runs the round: the whole requests of every connection that woke, together,
 * as store batches across connections ({@link RoundBatcher}); then writes each one's replies. A reply
 * the socket cannot take yet waits for EPOLLOUT, and the connection's further requests wait behind it.
 * A connection with more requests than one round takes goes on in the next round without waiting for
 * epoll. Runs until {@link #stop()} or a SHUTDOWN. The store is used from this thread only. What every
 * loop shares (accepting, the round, the sweep) is {@link LoopCore}'s.
 */
public final class EpollServer implements ServerLoop, LoopCore.Io {
    /** The token of the listening socket; connections get their descriptor as token. */
    private static final long LISTENER = -1;

    private final LoopCore core;
    private final Epoll epoll;
    /** When accepting stopped for lack of descriptors (EMFILE), when to try again (nanoTime), or 0. */
    private long acceptPausedUntil;

    /** Binds and listens (the loop starts with {@link #run()}). */
    public EpollServer(SlotStore store, ServerOptions options) throws NativeIoException {
        this.core = new LoopCore(store, options, false, "epoll");
        try {
            this.epoll = new Epoll(256);
        } catch (NativeIoException | RuntimeException e) {
            core.close();
            throw e;
        }
        core.io(this);
        epoll.add(core.listenFd, NetConstants.EPOLLIN, LISTENER);
    }

    /** Where it listens (the port chosen when asked for port 0). */
    @Override
    public InetSocketAddress address() {
        return core.address;
    }

    @Override
    public String name() {
        return "epoll";
    }

    /** Serves until {@link #stop()}; then closes every connection. */
    @Override
    public void run() {
        try {
            while (!core.stopped()) {
                if (acceptPausedUntil != 0 && System.nanoTime() - acceptPausedUntil >= 0) {
                    acceptPausedUntil = 0;
                    epoll.modify(core.listenFd, NetConstants.EPOLLIN, LISTENER);
                }
                int n = epoll.await(core.hasReady() ? 0 : 100);
                if (n < 0 && n != -Errno.EINTR) {
                    throw new IllegalStateException("epoll_wait: " + Errno.name(-n));
                }
                core.beginRound();
                long now = System.currentTimeMillis();
                for (int i = 0; i < n; i++) {
                    long token = epoll.token(i);
                    if (token == LISTENER) {
                        acceptAll(now);
                        continue;
                    }
                    Connection c = core.connections.get((int) token);
                    if (c == null) {
                        continue;
                    }
                    int events = epoll.events(i);
                    if ((events & (NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLHUP
                            | NetConstants.EPOLLERR)) != 0) {
                        c.session.lastActiveMs = now;
                        boolean alive;
                        try {
                            alive = c.readAll();
                        } catch (RuntimeException | OutOfMemoryError e) {
                            alive = false; // a query it cannot hold: that client's connection, no one else's
                        }
                        if (!alive) {
                            if (c.inRound) {
                                c.dead = true; // in this round already (left over): closed at its end
                            } else {
                                core.close(c);
                            }
                            continue;
                        }
                    }
                    core.ready(c);
                }
                core.runRound();
                core.sweepIfDue(now);
            }
        } finally {
            core.closeAll();
        }
    }

    @Override
    public boolean send(Connection c) {
        return c.replies.flush(c.fd);
    }

    /** A reply the socket could not take yet: EPOLLOUT is watched until it is sent. */
    @Override
    public void settle(Connection c) {
        if (c.replies.hasUnsent() != c.watchingWrite) {
            c.watchingWrite = c.replies.hasUnsent();
            epoll.modify(c.fd, NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLET
                    | (c.watchingWrite ? NetConstants.EPOLLOUT : 0), c.fd);
        }
    }

    @Override
    public void close(Connection c) {
        epoll.remove(c.fd);
        Sockets.close(c.fd);
    }

    /** Whether a client asked for SHUTDOWN (or {@link #stop()} was called). */
    @Override
    public boolean stopped() {
        return core.stopped();
    }

    /** Asks the loop to stop (from any thread); it does within 100 ms. */
    @Override
    public void stop() {
        core.stop();
    }

    private void acceptAll(long now) {
        while (true) {
            int fd = Sockets.accept4(core.listenFd, NetConstants.SOCK_NONBLOCK | NetConstants.SOCK_CLOEXEC);
            if (fd == -Errno.EAGAIN || fd == -Errno.EINTR || fd == -Errno.ECONNABORTED) {
                return; // none left (or one that went away): the next wake-up brings more
            }
            if (fd < 0) {
                // Out of descriptors or memory (EMFILE, ENFILE, ENOMEM): the listener stays readable, and
                // a level-triggered wait would wake at once, again and again. Stop watching it for 100 ms.
                epoll.modify(core.listenFd, 0, LISTENER);
                acceptPausedUntil = System.nanoTime() + 100_000_000L;
                return;
            }
            if (!core.admit(fd)) {
                continue;
            }
            if (epoll.add(fd, NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLET, fd) < 0) {
                Sockets.close(fd); // not watched, it would never be served
                continue;
            }
            core.open(fd, now);
        }
    }

    /** Stops listening and frees the loop's memory; call after {@link #run()} returned. */
    @Override
    public void close() {
        core.stop();
        epoll.close();
        core.close();
    }
}
