package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.KeyInfo;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The command table: which command runs where, and the reply it writes. The string commands are in
 * {@link StringCommands}, the connection's own (AUTH, HELLO, CLIENT) in {@link ClientCommands}, the
 * cluster surface in {@link ClusterCommands}, COMMAND in {@link CommandTable}, SCAN and KEYS in
 * {@link ScanCommands}, TTL, PTTL, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT and PERSIST in
 * {@link ExpireCommands}; here are the key commands (DEL, UNLINK, EXISTS, TYPE, DBSIZE, FLUSHDB,
 * FLUSHALL), PING, ECHO, QUIT, SELECT 0, TIME, and SHUTDOWN; CONFIG in {@link ConfigCommands}, INFO in
 * {@link InfoCommand} with what the loop counts ({@link #counters}). Replies and errors have Redis's shapes.
 * Called on the event loop's thread only.
 */
final class Commands {
    /** The Redis version the server says it speaks (clients pick features by it). */
    static final String REDIS_VERSION = "7.0.0";
    /**
     * What HELLO and INFO say of the mode: cluster, as INFO's Cluster section says cluster_enabled:1 (the
     * single-node cluster surface cluster clients connect to), and Redis says so then.
     */
    static final String REDIS_MODE = "cluster";

    /** What a command asks of its connection after its reply. */
    enum After {
        CONTINUE,
        CLOSE,
        /** SHUTDOWN: the server stops (no reply, as Redis: the connection just closes). */
        SHUTDOWN
    }

    /** The loop's clients, for CLIENT LIST and KILL: every session, and how to close one. */
    record Clients(java.util.function.Supplier<List<Session>> all, java.util.function.Consumer<Session> kill) {
        static final Clients NONE = new Clients(List::of, s -> { });
    }

    private final SlotStore store;
    private final java.time.InstantSource clock;
    private final StringCommands strings;
    private final ExpireCommands expires;
    /** CONFIG: what it says of the server's settings; {@link #configure} gives the listener's. */
    private ConfigCommands config;
    private final ScanCommands scans;
    private final ClientCommands client;
    private final ClusterCommands cluster;
    /** The static cluster's MOVED/CROSSSLOT check, or null when the node owns every slot. */
    private final Redirects redirects;
    /** INFO. */
    private final InfoCommand info;
    /** Whether connections must AUTH first. */
    private final boolean needsAuth;
    private long nextClientId = 1;

    Commands(SlotStore store, java.time.InstantSource clock) {
        this(store, clock, null, Clients.NONE, 0, null);
    }

    /** {@code map}: the static cluster this node is one of, or null (one node owning all slots). */
    Commands(SlotStore store, java.time.InstantSource clock, byte[] password, Clients clients, int port,
            io.rawio.server.cluster.ClusterMap map) {
        this.store = store;
        this.clock = clock;
        this.strings = new StringCommands(store, clock);
        this.expires = new ExpireCommands(store, clock);
        this.config = new ConfigCommands(ConfigCommands.values(null, port, evictionPolicy(store)));
        this.scans = new ScanCommands(store);
        this.client = new ClientCommands(password, clients, clock);
        this.cluster = new ClusterCommands(store, ClusterCommands.nodeId(store.superblock().uuid() + ":" + port), port, map);
        this.redirects = map == null ? null : new Redirects(map);
        this.info = new InfoCommand(store, clock, cluster, clients, counters);
        this.needsAuth = password != null;
    }

    /** A new connection's session: its id, and authenticated when the server has no password. */
    Session newSession(String address, String localAddress, long nowMs) {
        counters.connectionsAccepted++;
        return new Session(nextClientId++, address, localAddress, nowMs, !needsAuth);
    }

    static String name(byte[] arg) {
        return new String(arg, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    }

    static void wrongArgs(ReplyWriter out, String cmd) {
        out.error("ERR wrong number of arguments for '" + cmd + "' command");
    }

    /** Runs one request of a connection that needs no AUTH (tests). */
    After run(List<byte[]> args, ReplyWriter out) {
        return run(args, out, new Session(true));
    }

    /**
     * Whether {@code key} is served here: always on a node owning every slot; in a static cluster when its
     * slot is this node's. The batcher batches only these; the others go through {@link #run}, which
     * redirects them.
     */
    boolean local(byte[] key) {
        return redirects == null || redirects.local(key);
    }

    /** The store's clock, in ms since the epoch: what a SET's EX counts from. */
    long nowMillis() {
        return clock.millis();
    }

    /** Counts requests the batcher ran without this table (plain GETs and SETs), for INFO. */
    void counted(long requests) {
        counters.commandsRun += requests;
    }

    /** What the loop and its commands count, for INFO. */
    final LoopCounters counters = new LoopCounters();

    /** Runs one request; the reply goes to {@code out}. */
    After run(List<byte[]> args, ReplyWriter out, Session session) {
        String cmd = name(args.getFirst());
        int n = args.size();
        // A subcommand is named with its command, as Redis's CLIENT LIST shows it: client|info.
        session.lastCommand = n > 1 && (cmd.equals("client") || cmd.equals("config") || cmd.equals("cluster")
                || cmd.equals("command")) ? cmd + "|" + name(args.get(1)) : cmd;
        // As Redis: an unknown command and a wrong number of arguments are told before NOAUTH.
        CommandTable.Spec spec = CommandTable.SPECS.get(cmd);
        if (spec == null) {
            unknown(args, out);
            return After.CONTINUE;
        }
        if (!CommandTable.arityOk(spec, n)) {
            wrongArgs(out, cmd);
            return After.CONTINUE;
        }
        String sub = CommandTable.wrongSubcommandArity(cmd, args);
        if (sub != null) {
            wrongArgs(out, sub);
            return After.CONTINUE;
        }
        if (!session.authenticated && !cmd.equals("auth") && !cmd.equals("quit") && !cmd.equals("hello")) {
            out.error("NOAUTH Authentication required.");
            return After.CONTINUE;
        }
        if (redirects != null) {
            String moved = redirects.check(spec, args);
            if (moved != null) {
                out.error(moved);
                return After.CONTINUE;
            }
        }
        try {
            switch (cmd) {
                case "auth" -> client.auth(args, out, session);
                case "ping" -> {
                    if (n == 1) {
                        out.simple("PONG");
                    } else if (n == 2) {
                        out.bulk(args.get(1));
                    } else {
                        wrongArgs(out, cmd);
                    }
                }
                case "echo" -> {
                    if (n != 2) {
                        wrongArgs(out, cmd);
                    } else {
                        out.bulk(args.get(1));
                    }
                }
                case "quit" -> {
                    out.ok();
                    return After.CLOSE;
                }
                case "shutdown" -> {
                    return shutdown(args, out);
                }
                case "select" -> {
                    Long db = integer(args.get(1));
                    if (db == null) {
                        out.error("ERR value is not an integer or out of range");
                    } else if (db < Integer.MIN_VALUE || db > Integer.MAX_VALUE) {
                        out.error("ERR value is out of range, value must between -2147483648 and 2147483647");
                    } else if (db == 0) {
                        out.ok();
                    } else {
                        out.error("ERR DB index is out of range"); // one database: Redis's words for SELECT 16
                    }
                }
                case "command" -> CommandTable.command(args, out);
                case "client" -> client.client(args, out, session);
                case "cluster" -> cluster.cluster(args, out, session);
                case "readonly", "readwrite" -> out.ok();
                case "config" -> config.config(args, out);
                case "flushdb", "flushall" -> flush(cmd, args, out);
                case "dbsize" -> out.integer(store.keyCount());
                case "scan" -> scans.scan(args, out);
                case "keys" -> scans.keys(args, out);
                case "randomkey" -> scans.randomKey(args, out);
                case "type" -> {
                    if (n != 2) {
                        wrongArgs(out, cmd);
                    } else {
                        out.simple(store.contains(args.get(1)) ? "string" : "none");
                    }
                }
                case "time" -> {
                    java.time.Instant now = clock.instant();
                    out.array(2).bulk(Long.toString(now.getEpochSecond())).bulk(Long.toString(now.getNano() / 1000));
                }
                case "info" -> out.verbatim(info.info(args));
                case "hello" -> client.hello(args, out, session);
                case "get", "set", "setex", "psetex", "setnx", "getdel", "getex", "strlen", "mget", "mset", "msetnx" ->
                        strings.run(cmd, args, out);
                case "del", "unlink" -> {
                    if (n < 2) {
                        wrongArgs(out, cmd);
                        break;
                    }
                    out.integer(store.deleteMany(args.subList(1, n))); // tombstones in batches
                }
                case "exists" -> {
                    if (n < 2) {
                        wrongArgs(out, cmd);
                        break;
                    }
                    long found = 0;
                    for (int i = 1; i < n; i++) {
                        found += store.contains(args.get(i)) ? 1 : 0;
                    }
                    out.integer(found);
                }
                case "ttl", "pttl", "expire", "pexpire", "expireat", "pexpireat", "persist" ->
                        expires.run(cmd, args, out);
                default -> unknown(args, out);
            }
        } catch (StoreException.Invalid e) {
            out.error("ERR " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            out.error("ERR " + e.getMessage());
        } finally {
            // Counted once run, as Redis's call() counts: INFO does not count itself, and a command refused
            // before it runs (unknown, wrong arity, NOAUTH, MOVED) is not counted.
            counters.commandsRun++;
        }
        return After.CONTINUE;
    }

    /**
     * A request's integer as Redis reads one (string2ll): an optional '-', then 0 alone or digits without
     * a leading zero, within a long; null otherwise ("+5", "05", "-0", " 5" are not integers to Redis).
     */
    static Long integer(byte[] arg) {
        int n = arg.length;
        if (n == 0 || n > 20) {
            return null;
        }
        if (n == 1 && arg[0] == '0') {
            return 0L;
        }
        int first = arg[0] == '-' ? 1 : 0;
        if (first == n || arg[first] < '1' || arg[first] > '9') {
            return null;
        }
        for (int i = first + 1; i < n; i++) {
            if (arg[i] < '0' || arg[i] > '9') {
                return null;
            }
        }
        try {
            return Long.parseLong(new String(arg, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return null; // past a long
        }
    }

    /**
     * What INFO and CONFIG GET say as maxmemory-policy: noeviction for a store that refuses a write when
     * its ring is full, else rawio-fifo (or rawio-fifo-reinsert): each class is a ring written in order,
     * and a write takes the next slot, evicting the key written there longest ago.
     */
    static String evictionPolicy(SlotStore store) {
        return switch (store.eviction()) {
            case REJECT -> "noeviction";
            case FIFO -> "rawio-fifo";
            case FIFO_REINSERT -> "rawio-fifo-reinsert";
        };
    }

    /** The server's options and port, for CONFIG GET. */
    void configure(ServerOptions options, int port) {
        config = new ConfigCommands(ConfigCommands.values(options, port, evictionPolicy(store)));
    }

    /**
     * SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] | SHUTDOWN ABORT, checked as Redis checks them; the store
     * writes its checkpoint and closes either way (it has no snapshot to skip), and no shutdown is ever
     * left in progress to abort.
     */
    private static After shutdown(List<byte[]> args, ReplyWriter out) {
        boolean save = false;
        boolean noSave = false;
        boolean abort = false;
        boolean other = false;
        for (int i = 1; i < args.size(); i++) {
            switch (name(args.get(i))) {
                case "save" -> save = true;
                case "nosave" -> noSave = true;
                case "now", "force" -> other = true;
                case "abort" -> abort = true;
                default -> {
                    out.error("ERR syntax error");
                    return After.CONTINUE;
                }
            }
        }
        if ((abort && (save || noSave || other)) || (save && noSave)) {
            out.error("ERR syntax error");
            return After.CONTINUE;
        }
        if (abort) {
            out.error("ERR No shutdown in progress.");
            return After.CONTINUE;
        }
        return After.SHUTDOWN;
    }

    /** Keys per deleteMany of a FLUSHDB. */
    private static final int FLUSH_SLICE = 65_536;

    /** FLUSHDB / FLUSHALL [ASYNC|SYNC]: deletes every key, their tombstones written in batches. */
    private void flush(String cmd, List<byte[]> args, ReplyWriter out) throws IOException {
        if (args.size() > 2 || (args.size() == 2 && !name(args.get(1)).equals("async")
                && !name(args.get(1)).equals("sync"))) {
            out.error("ERR syntax error");
            return;
        }
        // Keys whose expiry passed are not listed as keys: dropped first, or they would outlive the flush.
        store.dropExpired(Integer.MAX_VALUE);
        // In slices, so the store's own lists for one call stay small whatever the number of keys.
        List<KeyInfo> all = store.keys();
        for (int from = 0; from < all.size(); from += FLUSH_SLICE) {
            List<byte[]> keys = new java.util.ArrayList<>();
            for (KeyInfo k : all.subList(from, Math.min(all.size(), from + FLUSH_SLICE))) {
                keys.add(k.key());
            }
            store.deleteMany(keys);
        }
        out.ok();
    }

    /**
     * Redis's shape, byte for byte: {@code ERR unknown command 'x', with args beginning with: 'a' 'b' }, the
     * name cut to 128 bytes and the arguments listed while the list is under 128 bytes, each cut to what
     * is left of those 128 (a huge unknown request is not echoed back); the bytes as the client sent
     * them, up to a NUL as C's {@code %s} stops there, CR and LF as spaces.
     */
    static void unknown(List<byte[]> args, ReplyWriter out) {
        java.io.ByteArrayOutputStream args128 = new java.io.ByteArrayOutputStream();
        for (int i = 1; i < args.size() && args128.size() < 128; i++) {
            int room = 128 - args128.size();
            args128.write('\'');
            cString(args.get(i), room, args128);
            args128.write('\'');
            args128.write(' ');
        }
        java.io.ByteArrayOutputStream m = new java.io.ByteArrayOutputStream();
        m.writeBytes("ERR unknown command '".getBytes(StandardCharsets.US_ASCII));
        cString(args.getFirst(), 128, m);
        m.writeBytes("', with args beginning with: ".getBytes(StandardCharsets.US_ASCII));
        m.writeBytes(args128.toByteArray());
        out.error(m.toByteArray());
    }

    /** C's {@code %.*s}: at most {@code max} bytes of {@code b}, up to its first NUL. */
    private static void cString(byte[] b, int max, java.io.ByteArrayOutputStream to) {
        int n = 0;
        while (n < b.length && n < max && b[n] != 0) {
            n++;
        }
        to.write(b, 0, n);
    }
}
