package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The command table: which command runs where, and the reply it writes. The string commands are in
 * {@link StringCommands}; here are the key commands (DEL, UNLINK, EXISTS, TYPE, TTL, PTTL, EXPIRE,
 * PEXPIRE, PERSIST, DBSIZE), the connection and server commands clients send at connect (PING, ECHO,
 * QUIT, SELECT 0, HELLO, COMMAND, CLIENT SETINFO/SETNAME/GETNAME, INFO, TIME), and SHUTDOWN. Replies and errors have Redis's shapes. Called on the event loop's thread only.
 */
final class Commands {
    /** What a command asks of its connection after its reply. */
    enum After {
        CONTINUE,
        CLOSE,
        /** SHUTDOWN: the server stops (no reply, as Redis: the connection just closes). */
        SHUTDOWN
    }

    private final SlotStore store;
    private final java.time.InstantSource clock;
    private final StringCommands strings;
    private final ScanCommands scans;
    private final long startMs;
    /** AUTH's password, or null when there is none. */
    private final byte[] password;

    Commands(SlotStore store, java.time.InstantSource clock) {
        this(store, clock, null);
    }

    Commands(SlotStore store, java.time.InstantSource clock, byte[] password) {
        this.store = store;
        this.clock = clock;
        this.strings = new StringCommands(store, clock);
        this.scans = new ScanCommands(store);
        this.startMs = clock.millis();
        this.password = password;
    }

    /** Whether a new connection starts authenticated (the server has no password). */
    boolean open() {
        return password == null;
    }

    /**
     * AUTH [default] password: compared in constant time (MessageDigest.isEqual), so the reply's timing
     * does not tell how much of a guess was right.
     */
    private void auth(List<byte[]> args, ReplyWriter out, Session session) {
        if (args.size() < 2 || args.size() > 3) {
            wrongArgs(out, "auth");
            return;
        }
        if (password == null) {
            out.error("ERR AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?");
            return;
        }
        boolean user = args.size() == 2 || name(args.get(1)).equals("default");
        if (user && java.security.MessageDigest.isEqual(password, args.getLast())) {
            session.authenticated = true;
            out.ok();
        } else {
            out.error("WRONGPASS invalid username-password pair or user is disabled.");
        }
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

    /** Runs one request; the reply goes to {@code out}. */
    After run(List<byte[]> args, ReplyWriter out, Session session) {
        String cmd = name(args.getFirst());
        int n = args.size();
        if (!session.authenticated && !cmd.equals("auth") && !cmd.equals("quit") && !cmd.equals("hello")) {
            out.error("NOAUTH Authentication required.");
            return After.CONTINUE;
        }
        try {
            switch (cmd) {
                case "auth" -> auth(args, out, session);
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
                    return After.SHUTDOWN;
                }
                case "select" -> {
                    if (n != 2) {
                        wrongArgs(out, cmd);
                    } else if (new String(args.get(1), StandardCharsets.US_ASCII).equals("0")) {
                        out.ok();
                    } else {
                        out.error("ERR DB index is out of range");
                    }
                }
                case "command" -> out.array(0);
                case "client" -> client(args, out);
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
                case "info" -> out.bulk(info());
                case "hello" -> {
                    if (!session.authenticated) {
                        out.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the"
                                + " HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and"
                                + " select the RESP protocol version at the same time");
                    } else {
                        hello(args, out);
                    }
                }
                case "get", "set", "setex", "psetex", "setnx", "getdel", "getex", "strlen", "mget", "mset", "msetnx" ->
                        strings.run(cmd, args, out);
                case "del", "unlink" -> {
                    if (n < 2) {
                        wrongArgs(out, cmd);
                        break;
                    }
                    long deleted = 0;
                    for (int i = 1; i < n; i++) {
                        deleted += store.delete(args.get(i)) ? 1 : 0;
                    }
                    out.integer(deleted);
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
                case "ttl", "pttl" -> {
                    if (n != 2) {
                        wrongArgs(out, cmd);
                        break;
                    }
                    long ms = store.ttlMillis(args.get(1));
                    out.integer(ms < 0 ? ms : cmd.equals("ttl") ? (ms + 500) / 1000 : ms);
                }
                case "expire", "pexpire" -> {
                    if (n != 3) {
                        wrongArgs(out, cmd);
                        break;
                    }
                    Long t = integer(args.get(2));
                    if (t == null) {
                        out.error("ERR value is not an integer or out of range");
                        break;
                    }
                    long at = expiryAt(clock.millis(), t, cmd.equals("expire") ? 1000 : 1);
                    if (at == Long.MIN_VALUE) {
                        out.error("ERR invalid expire time in '" + cmd + "' command");
                        break;
                    }
                    out.integer(t <= 0 ? (store.delete(args.get(1)) ? 1 : 0) : (store.expireAt(args.get(1), at) ? 1 : 0));
                }
                case "persist" -> {
                    if (n != 2) {
                        wrongArgs(out, cmd);
                    } else {
                        out.integer(store.persist(args.get(1)) ? 1 : 0);
                    }
                }
                default -> unknown(args, out);
            }
        } catch (StoreException.Invalid e) {
            out.error("ERR " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            out.error("ERR " + e.getMessage());
        }
        return After.CONTINUE;
    }

    /**
     * {@code base + t * unit} in milliseconds, or Long.MIN_VALUE when it overflows (Redis: "invalid
     * expire time"); {@code base} 0 for an absolute time.
     */
    static long expiryAt(long base, long t, long unit) {
        try {
            return Math.addExact(base, Math.multiplyExact(t, unit));
        } catch (ArithmeticException e) {
            return Long.MIN_VALUE;
        }
    }

    static Long integer(byte[] arg) {
        try {
            return Long.parseLong(new String(arg, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** INFO: the sections clients and tools read, with the store's numbers in a rawio section. */
    private String info() {
        var st = store.stats();
        String nl = "\r\n";
        return "# Server" + nl + "redis_version:7.0.0" + nl + "rawio:1" + nl + "redis_mode:standalone" + nl
                + "arch_bits:64" + nl + "uptime_in_seconds:" + (clock.millis() - startMs) / 1000 + nl + nl
                + "# Keyspace" + nl + (st.keys() > 0 ? "db0:keys=" + st.keys() + ",expires=0,avg_ttl=0" + nl : "") + nl
                + "# rawio" + nl + "engine:" + store.engineName() + nl + "slot_classes:" + store.classStats().size() + nl
                + "hits:" + st.hits() + nl + "misses:" + st.misses() + nl + "evictions:" + st.evictions() + nl
                + "checkpoints:" + st.checkpoints() + nl;
    }

    /** HELLO [2|3]: the protocol, and the server's description as a map. */
    private static void hello(List<byte[]> args, ReplyWriter out) {
        if (args.size() > 1) {
            Long v = integer(args.get(1));
            if (v == null || (v != 2 && v != 3)) {
                out.error("NOPROTO unsupported protocol version");
                return;
            }
            if (args.size() > 2) {
                out.error("ERR AUTH and SETNAME in HELLO are not supported yet");
                return;
            }
            out.protocol(v.intValue());
        }
        out.map(7);
        out.bulk("server").bulk("rawio");
        out.bulk("version").bulk("7.0.0");
        out.bulk("proto").integer(out.protocol());
        out.bulk("id").integer(1);
        out.bulk("mode").bulk("standalone");
        out.bulk("role").bulk("master");
        out.bulk("modules").array(0);
    }

    private static void client(List<byte[]> args, ReplyWriter out) {
        String sub = args.size() > 1 ? name(args.get(1)) : "";
        switch (sub) {
            case "setinfo", "setname" -> out.ok();
            case "getname" -> out.nullBulk();
            default -> out.error("ERR unknown subcommand '" + (args.size() > 1
                    ? new String(args.get(1), StandardCharsets.UTF_8) : "") + "'. Try CLIENT HELP.");
        }
    }

    /** Redis's shape: {@code ERR unknown command 'x', with args beginning with: 'a' 'b' }. */
    private static void unknown(List<byte[]> args, ReplyWriter out) {
        byte[] c = args.getFirst();
        StringBuilder sb = new StringBuilder("ERR unknown command '")
                .append(new String(c, 0, Math.min(c.length, 128), StandardCharsets.UTF_8))
                .append("', with args beginning with: ");
        for (int i = 1; i < args.size() && sb.length() < 128; i++) {
            byte[] a = args.get(i);
            // Each argument cut to 128 bytes, as Redis does: a huge unknown request is not echoed back.
            sb.append('\'').append(new String(a, 0, Math.min(a.length, 128), StandardCharsets.UTF_8)).append("' ");
        }
        out.error(sb.toString());
    }
}
