package io.rawio.server;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.net.Epoll;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import io.rawio.server.resp.RequestParser;
import io.rawio.store.SlotStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The epoll event loop: one thread accepts connections, reads what each ready one has sent
 * (edge-triggered: until the socket has nothing more, so one wake-up per arrival and no wake-ups for
 * bytes already read), and runs the round: the whole requests of every connection that woke, together,
 * as store batches across connections ({@link RoundBatcher}); then writes each one's replies. A reply
 * the socket cannot take yet waits for EPOLLOUT, and the connection's further requests wait behind it.
 * A connection with more requests than one round takes goes on in the next round without waiting for
 * epoll. Runs until {@link #stop()} or a SHUTDOWN. The store is used from this thread only.
 */
public final class EpollServer implements AutoCloseable {
    /** The token of the listening socket; connections get their descriptor as token. */
    private static final long LISTENER = -1;
    /** Passes of parse, run and send per round before the loop looks at epoll again (fairness). */
    private static final int PASSES_PER_ROUND = 4;

    private final Commands commands;
    private final RoundBatcher batcher;
    private final RequestParser parser;
    private final ServerOptions options;
    private final int listenFd;
    private final InetSocketAddress address;
    private final Epoll epoll;
    private final Map<Integer, Connection> connections = new HashMap<>();
    /** This round's connections, and those with work left over for the next one. */
    private List<Connection> round = new ArrayList<>();
    private List<Connection> leftover = new ArrayList<>();
    private final Arena arena = Arena.ofShared();
    /** Redis's words to a client past maxclients (then the connection is closed). */
    private final MemorySegment tooMany = arena.allocateFrom("-ERR max number of clients reached\r\n");
    private final MemorySegment intOption = arena.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
    private volatile boolean stop;
    /** When accepting stopped for lack of descriptors (EMFILE), when to try again (nanoTime), or 0. */
    private long acceptPausedUntil;
    /** When the idle connections were last looked for (ms). */
    private long lastIdleCheckMs;

    /** Binds and listens (the loop starts with {@link #run()}). */
    public EpollServer(SlotStore store, ServerOptions options) throws NativeIoException {
        this.options = options;
        this.parser = new RequestParser(options.maxBulk());
        this.listenFd = Sockets.listenTcp(options.bind(), 511, false);
        try {
            this.address = Sockets.localAddress(listenFd);
            this.commands = new Commands(store, java.time.InstantSource.system(), options.password(),
                    new Commands.Clients(this::clients, this::kill), address.getPort());
            commands.port(address.getPort());
            this.batcher = new RoundBatcher(store, commands);
            this.epoll = new Epoll(256);
        } catch (NativeIoException | RuntimeException e) {
            Sockets.close(listenFd);
            arena.close();
            throw e;
        }
        epoll.add(listenFd, NetConstants.EPOLLIN, LISTENER);
    }

    /** Where it listens (the port chosen when asked for port 0). */
    public InetSocketAddress address() {
        return address;
    }

    private List<Session> clients() {
        List<Session> all = new ArrayList<>(connections.size());
        for (Connection c : connections.values()) {
            all.add(c.session);
        }
        return all;
    }

    /** CLIENT KILL: the connection closes once its replies are sent (at the end of this round). */
    private void kill(Session s) {
        Connection c = s.connection;
        if (c == null || !connections.containsKey(c.fd)) {
            return;
        }
        c.closeSoon();
        if (!c.inRound) {
            c.inRound = true;
            leftover.add(c);
        }
    }

    /** Serves until {@link #stop()}; then closes every connection. */
    public void run() {
        try {
            while (!stop) {
                if (acceptPausedUntil != 0 && System.nanoTime() - acceptPausedUntil >= 0) {
                    acceptPausedUntil = 0;
                    epoll.modify(listenFd, NetConstants.EPOLLIN, LISTENER);
                }
                int n = epoll.await(leftover.isEmpty() ? 100 : 0);
                if (n < 0 && n != -Errno.EINTR) {
                    throw new IllegalStateException("epoll_wait: " + Errno.name(-n));
                }
                List<Connection> swap = round;
                round = leftover;
                leftover = swap;
                long now = System.currentTimeMillis();
                for (int i = 0; i < n; i++) {
                    long token = epoll.token(i);
                    if (token == LISTENER) {
                        acceptAll(now);
                        continue;
                    }
                    Connection c = connections.get((int) token);
                    if (c == null) {
                        continue;
                    }
                    int events = epoll.events(i);
                    if ((events & (NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLHUP
                            | NetConstants.EPOLLERR)) != 0) {
                        c.session.lastActiveMs = now;
                        if (!c.readAll()) {
                            close(c);
                            continue;
                        }
                    }
                    if (!c.inRound) {
                        c.inRound = true;
                        round.add(c);
                    }
                }
                if (!round.isEmpty()) {
                    runRound();
                }
                if (now - lastIdleCheckMs >= 1000) {
                    lastIdleCheckMs = now;
                    sweep(now);
                }
            }
        } finally {
            for (Connection c : connections.values()) {
                Sockets.close(c.fd);
            }
            connections.clear();
        }
    }

    /** Parses, runs and sends, a few passes, for the connections of this round. */
    private void runRound() {
        boolean more = true;
        for (int pass = 0; more && pass < PASSES_PER_ROUND; pass++) {
            for (Connection c : round) {
                if (c.dead) {
                    continue;
                }
                try {
                    c.parse(parser);
                } catch (RuntimeException | OutOfMemoryError e) {
                    c.dead = true; // a request it cannot hold: that client's connection, no one else's
                }
            }
            try {
                batcher.run(round);
            } catch (RuntimeException | OutOfMemoryError e) {
                // Nothing a request does should get here (commands answer their failures as errors); if
                // something does, the connections of the round are dropped and the loop goes on.
                for (Connection c : round) {
                    c.dead = true;
                }
            }
            more = false;
            for (Connection c : round) {
                if (!c.dead && !c.flush()) {
                    c.dead = true;
                }
                if (!c.dead && c.unsentBytes() > options.maxOutputBytes()) {
                    c.dead = true; // Redis: client-output-buffer-limit
                }
                more |= !c.dead && !c.wantsWrite() && c.hasWork();
            }
        }
        for (Connection c : round) {
            c.inRound = false;
            if (c.dead) {
                close(c);
                continue;
            }
            if (c.wantsWrite() != c.watchingWrite) {
                c.watchingWrite = c.wantsWrite();
                epoll.modify(c.fd, NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLET
                        | (c.watchingWrite ? NetConstants.EPOLLOUT : 0), c.fd);
            }
            if (c.shutdown) {
                stop = true; // SHUTDOWN: the loop ends; the caller closes the store (a checkpoint)
            }
            if (c.done()) {
                close(c);
            } else if (!c.wantsWrite() && c.hasWork()) {
                c.inRound = true;
                leftover.add(c); // bytes already read wait for no epoll event: the next round runs them
            }
        }
        round.clear();
    }

    /**
     * Once a second: closes connections idle past the idle timeout (Redis closes them without a word),
     * and has those idle a second give back their grown buffers.
     */
    private void sweep(long now) {
        List<Connection> idle = new ArrayList<>();
        for (Connection c : connections.values()) {
            if (c.inRound) {
                continue;
            }
            long quiet = now - c.session.lastActiveMs;
            if (options.idleTimeoutMs() > 0 && quiet > options.idleTimeoutMs()) {
                idle.add(c);
            } else if (quiet >= 1000) {
                c.trim();
            }
        }
        for (Connection c : idle) {
            close(c);
        }
    }

    /** Whether a client asked for SHUTDOWN (or {@link #stop()} was called). */
    public boolean stopped() {
        return stop;
    }

    /** Asks the loop to stop (from any thread); it does within 100 ms. */
    public void stop() {
        stop = true;
    }

    private void acceptAll(long now) {
        while (true) {
            int fd = Sockets.accept4(listenFd, NetConstants.SOCK_NONBLOCK | NetConstants.SOCK_CLOEXEC);
            if (fd == -Errno.EAGAIN || fd == -Errno.EINTR || fd == -Errno.ECONNABORTED) {
                return; // none left (or one that went away): the next wake-up brings more
            }
            if (fd < 0) {
                // Out of descriptors or memory (EMFILE, ENFILE, ENOMEM): the listener stays readable, and
                // a level-triggered wait would wake at once, again and again. Stop watching it for 100 ms.
                epoll.modify(listenFd, 0, LISTENER);
                acceptPausedUntil = System.nanoTime() + 100_000_000L;
                return;
            }
            if (connections.size() >= options.maxClients()) {
                Sockets.send(fd, tooMany, tooMany.byteSize() - 1, NetConstants.MSG_DONTWAIT);
                Sockets.close(fd);
                continue;
            }
            Sockets.setIntOption(fd, NetConstants.IPPROTO_TCP, NetConstants.TCP_NODELAY, 1, intOption);
            if (epoll.add(fd, NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLET, fd) < 0) {
                Sockets.close(fd); // not watched, it would never be served
                continue;
            }
            Session s = commands.newSession(text(Sockets.peerAddress(fd)), text(localAddressOf(fd)), now);
            Connection c = new Connection(fd, options.maxQueryBytes(), s);
            s.connection = c;
            connections.put(fd, c);
        }
    }

    private static String text(InetSocketAddress a) {
        return a == null ? "" : a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static InetSocketAddress localAddressOf(int fd) {
        try {
            return Sockets.localAddress(fd);
        } catch (NativeIoException | RuntimeException e) {
            return null;
        }
    }

    private void close(Connection c) {
        if (connections.remove(c.fd) != null) {
            epoll.remove(c.fd);
            Sockets.close(c.fd);
        }
    }

    /** Stops listening and frees the loop's memory; call after {@link #run()} returned. */
    @Override
    public void close() {
        stop = true;
        epoll.close();
        Sockets.close(listenFd);
        arena.close();
    }
}
