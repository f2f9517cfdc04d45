package io.rawio.server;

import io.rawio.nativeio.NativeIoException;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import io.rawio.server.resp.RequestParser;
import io.rawio.store.SlotStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the loops share ({@link EpollServer}, {@link UringServer}, {@link ThreadsServer}): the listening
 * socket, the command table and the round batcher, the open connections by descriptor, maxclients,
 * CLIENT LIST and CLIENT KILL, the round (parse, run as store batches, send; a few passes) and the
 * once-a-second sweep (the idle timeout; grown buffers given back). A loop brings its own way of
 * waiting and of moving bytes: {@link Io}.
 *
 * <p>Used by one thread at a time: the event loop's own, or (the threads loop) whoever holds that
 * loop's lock.
 */
final class LoopCore {
    /** Passes of parse, run and send per round before the loop looks at its sockets again (fairness). */
    static final int PASSES_PER_ROUND = 4;

    /** How a loop moves a connection's replies and watches its socket. */
    interface Io {
        /**
         * Sends what {@code c}'s replies hold, as much as the socket takes now, or starts sending it.
         * Returns false when {@code c} is to be dropped (the peer is gone).
         */
        boolean send(Connection c);

        /** Every connection of a pass was given to {@link #send}: lets those sends progress. */
        default void sendsQueued() {
        }

        /** The round ends and {@code c} stays open: watch its socket for what it waits for. */
        default void settle(Connection c) {
        }

        /** {@code c} has been idle a second: the loop may give back memory it holds for it. */
        default void trim(Connection c) {
        }


        /** Closes {@code c}'s socket ({@code c} has left the connections). */
        void close(Connection c);
    }

    final ServerOptions options;
    final Commands commands;
    final RoundBatcher batcher;
    final RequestParser parser;
    final int listenFd;
    final InetSocketAddress address;
    private Io io;
    /** The open connections by descriptor. */
    final Map<Integer, Connection> connections = new HashMap<>();
    /** This round's connections, and those with work left over for the next one. */
    private List<Connection> round = new ArrayList<>();
    private List<Connection> leftover = new ArrayList<>();
    /** A round is running: a connection made ready now goes in the next one. */
    private boolean running;
    private final Arena arena = Arena.ofShared();
    /** Redis's words to a client past maxclients (then the connection is closed). */
    private final MemorySegment tooMany = arena.allocateFrom("-ERR max number of clients reached\r\n");
    private final MemorySegment intOption = arena.allocate(ValueLayout.JAVA_INT);
    private volatile boolean stop;
    /** When the idle connections were last looked for (ms). */
    private long lastIdleCheckMs;
    private final SlotStore store;
    /** Connections closed during a round: their store buffers go back once it is over ({@link #runRound}). */
    private final List<Connection> closedInRound = new ArrayList<>();

    /**
     * Binds and listens (non-blocking unless {@code blockingListener}), and makes the command table
     * ({@code api} is what INFO says as multiplexing_api).
     */
    LoopCore(SlotStore store, ServerOptions options, boolean blockingListener, String api) throws NativeIoException {
        this.options = options;
        this.store = store;
        this.parser = new RequestParser(options.maxBulk());
        try {
            this.listenFd = options.unixSocket() != null ? listenUnix(options.unixSocket(), !blockingListener)
                    : Sockets.listenTcp(options.bind(), 511, false, !blockingListener);
        } catch (NativeIoException | RuntimeException e) {
            arena.close();
            throw e;
        }
        try {
            this.address = options.unixSocket() != null ? null : Sockets.localAddress(listenFd);
            int port = address == null ? 0 : address.getPort();
            this.commands = new Commands(store, java.time.InstantSource.system(), options.password(),
                    new Commands.Clients(this::clients, this::kill), port, options.cluster());
            commands.counters.port = port;
            commands.configure(options, port);
            commands.counters.multiplexingApi = api;
            this.batcher = new RoundBatcher(store, commands, options.maxOutputBytes());
        } catch (NativeIoException | RuntimeException e) {
            Sockets.close(listenFd);
            arena.close();
            throw e;
        }
    }

    /**
     * Listens on a Unix domain socket at {@code path}: a socket file left there by a server that is gone
     * is removed first (as Redis does); any other file there is refused, not removed.
     */
    private static int listenUnix(java.nio.file.Path path, boolean nonBlocking) throws NativeIoException {
        try {
            var attrs = java.nio.file.Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isOther()) {
                throw new IllegalArgumentException(path + " exists and is not a socket: not removed");
            }
            java.nio.file.Files.delete(path);
        } catch (java.nio.file.NoSuchFileException absent) {
            // the usual case
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot replace " + path + ": " + e.getMessage());
        }
        return Sockets.listenUnix(path, 511, nonBlocking);
    }

    /** The loop's way of moving bytes; set once, before the loop runs. */
    void io(Io io) {
        this.io = io;
    }

    private List<Session> clients() {
        List<Session> all = new ArrayList<>(connections.size());
        for (Connection c : connections.values()) {
            all.add(c.session);
        }
        return all;
    }

    /** CLIENT KILL: the connection closes once its replies are sent. */
    private void kill(Session s) {
        Connection c = s.connection;
        if (c == null || connections.get(c.fd) != c) {
            return;
        }
        // Closed at once, its unsent replies dropped, as Redis does: a client that does not read cannot
        // outlive its CLIENT KILL. (In a round, a dead connection runs and sends nothing more.)
        c.closeSoon();
        c.dead = true;
        close(c);
    }

    // ------------------------------------------------------------------ accepting

    /**
     * A descriptor accept gave: past maxclients the client is told so and the descriptor closed (false);
     * otherwise TCP_NODELAY is set and true returned (the loop then watches it and calls {@link #open}).
     */
    boolean admit(int fd) {
        if (connections.size() >= options.maxClients()) {
            Sockets.send(fd, tooMany, tooMany.byteSize() - 1, NetConstants.MSG_DONTWAIT);
            Sockets.close(fd);
            return false;
        }
        Sockets.setIntOption(fd, NetConstants.IPPROTO_TCP, NetConstants.TCP_NODELAY, 1, intOption);
        return true;
    }

    /** An admitted descriptor becomes a connection: its session, its buffers, one of the connections. */
    Connection open(int fd, long nowMs) {
        Session s = commands.newSession(text(Sockets.peerAddress(fd)), text(localAddressOf(fd)), nowMs);
        Connection c = new Connection(fd, options.maxQueryBytes(), s,
                new ValueLanding(store.valueBuffers(), parser, () -> commands.counters.landedValues++));
        s.connection = c;
        connections.put(fd, c);
        return c;
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

    /** Closes {@code c} (through the loop's {@link Io#close}) unless it is closed already. */
    void close(Connection c) {
        if (connections.get(c.fd) == c) {
            connections.remove(c.fd);
            io.close(c);
            // A SET of it may be in this round's wave, its putMany not yet called (CLIENT KILL from another
            // connection): its value's buffer goes back once the round is over.
            if (running) {
                closedInRound.add(c);
            } else {
                c.release();
            }
        }
    }

    /** Closes every connection (the loop ends). */
    void closeAll() {
        for (Connection c : List.copyOf(connections.values())) {
            close(c);
        }
    }

    // ------------------------------------------------------------------ the round

    /** {@code c} has something to do (bytes arrived, its socket took its replies): it goes in a round. */
    void ready(Connection c) {
        c.waitsForDevice = false; // what it waited for may have come (in this round, too: it runs again)
        if (!c.inRound) {
            c.inRound = true;
            (running ? leftover : round).add(c);
        }
    }

    /** Starts collecting a round: the connections left over from the last one are in it already. */
    void beginRound() {
        List<Connection> swap = round;
        round = leftover;
        leftover = swap;
    }

    /**
     * Some connection has work the last round left, or was made ready since (a write or read of the
     * store that ended): the loop should not wait for its sockets.
     */
    boolean hasReady() {
        return !leftover.isEmpty() || !round.isEmpty();
    }

    /** Parses, runs and sends, a few passes, for the connections of this round. */
    void runRound() {
        if (round.isEmpty()) {
            return;
        }
        running = true;
        try {
            passes();
            for (Connection c : round) {
                c.inRound = false;
                if (c.dead) {
                    close(c);
                    continue;
                }
                try {
                    io.settle(c);
                } catch (RuntimeException | OutOfMemoryError e) {
                    close(c); // its replies cannot be sent: that connection, not the loop
                    continue;
                }
                if (c.shutdown) {
                    stop = true; // SHUTDOWN: the loop ends; the caller closes the store (a checkpoint)
                }
                if (c.done()) {
                    close(c);
                } else if (!c.replies.hasUnsent() && c.hasWork() && !c.waitsForDevice) {
                    c.inRound = true;
                    leftover.add(c); // bytes already read wait for no socket event: the next round runs them
                }
            }
        } finally {
            round.clear();
            running = false;
            for (Connection c : closedInRound) {
                c.release();
            }
            closedInRound.clear();
        }
    }

    private void passes() {
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
            for (Connection c : round) {
                try {
                    if (!c.dead && !io.send(c)) {
                        c.dead = true;
                    }
                } catch (RuntimeException | OutOfMemoryError e) {
                    c.dead = true; // its replies cannot be sent: that connection, not the loop
                }
            }
            io.sendsQueued();
            more = false;
            for (Connection c : round) {
                // (the output limit is the batcher's: it drops a connection as a reply passes it)
                more |= !c.dead && !c.replies.hasUnsent() && c.hasWork() && !c.waitsForDevice;
            }
        }
    }

    // ------------------------------------------------------------------ the sweep

    /**
     * Entries of the store's expiry table a sweep looks at, at least, and again while they held many expired
     * keys (the table holds two to four entries for each key with an expiry).
     */
    static final int EXPIRY_VISIT = 65_536;
    /**
     * Entries one {@link SlotStore#dropExpired} call looks at: the budget is checked between calls, so a
     * sweep overruns it by one call at most (4-7 ms with a million keys expiring together).
     */
    static final int EXPIRY_STEP = 8_192;
    /** The most one sweep spends dropping expired keys while many are found (Redis: 25 ms of each 100). */
    static final long EXPIRY_BUDGET_NANOS = 25_000_000L;

    /**
     * Drops expired keys nobody looked up: {@code visit} entries in calls of {@code step}, and {@code visit}
     * more while one in 64 or more of the last {@code visit} held an expired key (a few percent of the keys
     * there), as Redis's active expiry goes on while it finds many; it stops once {@code budgetNanos} is
     * spent, checked after each call. Returns how many were dropped.
     */
    static long sweepExpired(SlotStore store, int visit, int step, long budgetNanos) {
        long deadline = System.nanoTime() + budgetNanos;
        long total = 0;
        long visited = 0;
        long droppedInVisit = 0;
        while (true) {
            int dropped = store.dropExpired(step);
            total += dropped;
            droppedInVisit += dropped;
            visited += step;
            if (System.nanoTime() - deadline >= 0) {
                return total;
            }
            if (visited >= visit) {
                if (droppedInVisit < Math.max(1, visit / 64)) {
                    return total;
                }
                visited = 0;
                droppedInVisit = 0;
            }
        }
    }

    /**
     * Once a second: closes connections idle past the idle timeout (nothing received or sent for that long,
     * and no reply waiting to be sent; Redis closes them without a word),
     * has those idle a second give back their grown buffers, and drops keys whose expiry passed that
     * nobody looked up (as Redis's active expiry: DBSIZE and INFO keyspace come down).
     */
    void sweepIfDue(long nowMs) {
        if (nowMs - lastIdleCheckMs < 1000) {
            return;
        }
        lastIdleCheckMs = nowMs;
        try {
            sweepExpired(store, EXPIRY_VISIT, EXPIRY_STEP, EXPIRY_BUDGET_NANOS);
        } catch (IllegalStateException closed) {
            // the server is stopping and closed the store (the threads loop's sweeper may come late)
        }
        List<Connection> idle = new ArrayList<>();
        for (Connection c : connections.values()) {
            if (c.inRound) {
                continue;
            }
            long quiet = nowMs - c.session.lastActiveMs;
            // One with replies still to send is not idle: it may be reading a large reply, whose socket
            // says it has room only now and then (a client that reads nothing meets the output limit).
            if (options.idleTimeoutMs() > 0 && quiet > options.idleTimeoutMs() && !c.replies.hasUnsent()) {
                idle.add(c);
            } else if (quiet >= 1000) {
                c.trim();
                io.trim(c);
            } else {
                c.unlandIfSlow(nowMs); // a large value coming a few bytes at a time keeps no store buffer
            }
        }
        for (Connection c : idle) {
            close(c);
        }
    }

    // ------------------------------------------------------------------ stopping

    /** Whether a client asked for SHUTDOWN (or {@link #stop()} was called). */
    boolean stopped() {
        return stop;
    }

    void stop() {
        stop = true;
    }

    /** Stops listening (a Unix socket's file is removed) and frees the shared memory; after the loop ended. */
    void close() {
        stop = true;
        if (options.unixSocket() != null) {
            try {
                java.nio.file.Files.deleteIfExists(options.unixSocket());
            } catch (java.io.IOException e) {
                // left behind; the next server removes it
            }
        }
        Sockets.close(listenFd);
        arena.close();
    }
}
