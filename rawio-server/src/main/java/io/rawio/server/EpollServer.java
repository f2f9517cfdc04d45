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
import java.util.HashMap;
import java.util.Map;

/**
 * The epoll event loop: one thread accepts connections, reads what each has sent (edge-triggered:
 * until the socket has nothing more), runs every whole request in it, in order (runs of GETs and SETs
 * as one store batch each, {@link PipelineBatcher}), and writes the replies;
 * a reply the socket cannot take yet waits for EPOLLOUT, and the connection's further requests wait
 * behind it. Runs until {@link #stop()} (or a SHUTDOWN, later). The store is used from this thread
 * only.
 */
public final class EpollServer implements AutoCloseable {
    /** The token of the listening socket; connections get their descriptor as token. */
    private static final long LISTENER = -1;
    private static final int READ_CHUNK = 64 * 1024;

    private final SlotStore store;
    private final PipelineBatcher batcher;
    private final Commands commands;
    private final RequestParser parser;
    private final ServerOptions options;
    private final int listenFd;
    private final InetSocketAddress address;
    private final Epoll epoll;
    private final Map<Integer, Connection> connections = new HashMap<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment io = arena.allocate(READ_CHUNK, 64);
    /** Redis's words to a client past maxclients (then the connection is closed). */
    private final MemorySegment tooMany = arena.allocateFrom("-ERR max number of clients reached\r\n");
    private volatile boolean stop;
    /** When accepting stopped for lack of descriptors (EMFILE), when to try again (nanoTime), or 0. */
    private long acceptPausedUntil;

    /** Binds and listens (the loop starts with {@link #run()}). */
    public EpollServer(SlotStore store, ServerOptions options) throws NativeIoException {
        this.store = store;
        this.options = options;
        this.commands = new Commands(store, java.time.InstantSource.system(), options.password());
        this.batcher = new PipelineBatcher(store, commands);
        this.parser = new RequestParser(options.maxBulk());
        this.listenFd = Sockets.listenTcp(options.bind(), 511, false);
        try {
            this.address = Sockets.localAddress(listenFd);
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

    /** Serves until {@link #stop()}; then closes every connection. */
    public void run() {
        try {
            while (!stop) {
                if (acceptPausedUntil != 0 && System.nanoTime() - acceptPausedUntil >= 0) {
                    acceptPausedUntil = 0;
                    epoll.modify(listenFd, NetConstants.EPOLLIN, LISTENER);
                }
                int n = epoll.await(100);
                if (n < 0 && n != -Errno.EINTR) {
                    throw new IllegalStateException("epoll_wait: " + Errno.name(-n));
                }
                for (int i = 0; i < n; i++) {
                    long token = epoll.token(i);
                    if (token == LISTENER) {
                        acceptAll();
                    } else {
                        Connection c = connections.get((int) token);
                        if (c != null) {
                            try {
                                serve(c, epoll.events(i));
                            } catch (RuntimeException | OutOfMemoryError e) {
                                // Whatever one client's requests did (a reply too large for memory, a
                                // failure nobody foresaw), it costs that client its connection, no one else.
                                close(c);
                            }
                        }
                    }
                }
            }
        } finally {
            for (Connection c : connections.values()) {
                Sockets.close(c.fd);
            }
            connections.clear();
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

    private void acceptAll() {
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
            try (Arena a = Arena.ofConfined()) {
                Sockets.setIntOption(fd, NetConstants.IPPROTO_TCP, NetConstants.TCP_NODELAY, 1,
                        a.allocate(java.lang.foreign.ValueLayout.JAVA_INT));
            }
            if (epoll.add(fd, NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLET, fd) < 0) {
                Sockets.close(fd); // not watched, it would never be served
                continue;
            }
            connections.put(fd, new Connection(fd, options.maxQueryBytes(), commands.open()));
        }
    }

    private void serve(Connection c, int events) {
        if ((events & (NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLHUP | NetConstants.EPOLLERR)) != 0) {
            if (!c.readAll(io)) {
                close(c);
                return;
            }
        }
        boolean more;
        do {
            more = c.runRequests(parser, batcher);
            if (!c.flush(io)) {
                close(c);
                return;
            }
        } while (more && !c.wantsWrite());
        if (c.wantsWrite() != c.watchingWrite) {
            c.watchingWrite = c.wantsWrite();
            epoll.modify(c.fd, NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP | NetConstants.EPOLLET
                    | (c.watchingWrite ? NetConstants.EPOLLOUT : 0), c.fd);
        }
        if (c.done()) {
            close(c);
        }
        if (c.shutdown) {
            stop = true; // SHUTDOWN: the loop ends; the caller closes the store (a checkpoint)
        }
    }

    private void close(Connection c) {
        connections.remove(c.fd);
        epoll.remove(c.fd);
        Sockets.close(c.fd);
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
