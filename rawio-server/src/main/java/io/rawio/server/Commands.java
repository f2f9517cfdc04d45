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
 * What each command does to the store, and the reply it writes: the string commands of Redis a cache
 * client uses (GET, SET with EX/PX/EXAT/PXAT/NX/XX, DEL, EXISTS, TTL, PTTL, EXPIRE, PERSIST, DBSIZE)
 * and the connection commands clients send at connect (PING, ECHO, QUIT, SELECT 0, COMMAND, CLIENT
 * SETINFO/SETNAME), and SHUTDOWN. Replies and errors have Redis's shapes. Called on the event loop's thread only.
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

    Commands(SlotStore store, java.time.InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    private static String name(byte[] arg) {
        return new String(arg, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    }

    private static void wrongArgs(ReplyWriter out, String cmd) {
        out.error("ERR wrong number of arguments for '" + cmd + "' command");
    }

    /** Runs one request; the reply goes to {@code out}. */
    After run(List<byte[]> args, ReplyWriter out) {
        String cmd = name(args.getFirst());
        int n = args.size();
        try {
            switch (cmd) {
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
                case "get" -> {
                    if (n != 2) {
                        wrongArgs(out, cmd);
                        break;
                    }
                    byte[] v = store.get(args.get(1));
                    if (v == null) {
                        out.nullBulk();
                    } else {
                        out.bulk(v);
                    }
                }
                case "set" -> set(args, out);
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
                    long at = clock.millis() + (cmd.equals("expire") ? t * 1000 : t);
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

    private static Long integer(byte[] arg) {
        try {
            return Long.parseLong(new String(arg, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** SET key value [NX | XX] [EX s | PX ms | EXAT s | PXAT ms]. */
    private void set(List<byte[]> args, ReplyWriter out) throws IOException {
        if (args.size() < 3) {
            wrongArgs(out, "set");
            return;
        }
        boolean nx = false;
        boolean xx = false;
        long expireAt = 0;
        for (int i = 3; i < args.size(); i++) {
            String opt = name(args.get(i));
            switch (opt) {
                case "nx" -> nx = true;
                case "xx" -> xx = true;
                case "ex", "px", "exat", "pxat" -> {
                    if (expireAt != 0 || i + 1 >= args.size()) {
                        out.error("ERR syntax error");
                        return;
                    }
                    Long t = integer(args.get(++i));
                    if (t == null || t <= 0) {
                        out.error(t == null ? "ERR value is not an integer or out of range"
                                : "ERR invalid expire time in 'set' command");
                        return;
                    }
                    expireAt = switch (opt) {
                        case "ex" -> clock.millis() + t * 1000;
                        case "px" -> clock.millis() + t;
                        case "exat" -> t * 1000;
                        default -> t;
                    };
                }
                default -> {
                    out.error("ERR syntax error");
                    return;
                }
            }
        }
        if (nx && xx) {
            out.error("ERR syntax error");
            return;
        }
        byte[] key = args.get(1);
        if ((nx && store.contains(key)) || (xx && !store.contains(key))) {
            out.nullBulk();
            return;
        }
        store.put(key, MemorySegment.ofArray(args.get(2)), expireAt);
        out.ok();
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
        StringBuilder sb = new StringBuilder("ERR unknown command '")
                .append(new String(args.getFirst(), StandardCharsets.UTF_8)).append("', with args beginning with: ");
        for (int i = 1; i < args.size() && sb.length() < 128; i++) {
            sb.append('\'').append(new String(args.get(i), StandardCharsets.UTF_8)).append("' ");
        }
        out.error(sb.toString());
    }
}
