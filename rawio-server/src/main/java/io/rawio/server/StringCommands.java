package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.GetResult;
import io.rawio.store.SlotStore;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The string commands over the store: GET, SET (EX, PX, EXAT, PXAT, KEEPTTL, NX, XX, GET), SETEX, PSETEX, SETNX,
 * GETDEL, GETEX, STRLEN, MSETNX, and MGET and MSET, which go to the store as one getMany and one putMany (one
 * dispatcher batch each). Replies and errors as Redis's. Called on the event loop's thread only, so a
 * check and the write after it (NX, XX, GETDEL) see no other client's command in between.
 */
final class StringCommands {
    private final SlotStore store;
    private final java.time.InstantSource clock;

    StringCommands(SlotStore store, java.time.InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    void run(String cmd, List<byte[]> args, ReplyWriter out) throws IOException {
        int n = args.size();
        switch (cmd) {
            case "get" -> {
                if (n != 2) {
                    Commands.wrongArgs(out, cmd);
                    return;
                }
                value(store.get(args.get(1)), out);
            }
            case "set" -> set(args, out);
            case "setex", "psetex" -> {
                if (n != 4) {
                    Commands.wrongArgs(out, cmd);
                    return;
                }
                Long t = Commands.integer(args.get(2));
                if (t == null) {
                    out.error("ERR value is not an integer or out of range");
                } else if (t <= 0) {
                    out.error("ERR invalid expire time in '" + cmd + "' command");
                } else {
                    java.util.OptionalLong at = ExpireCommands.expiryAt(clock.millis(), t, cmd.equals("setex") ? 1000 : 1);
                    if (at.isEmpty()) {
                        out.error("ERR invalid expire time in '" + cmd + "' command");
                        return;
                    }
                    store.put(args.get(1), MemorySegment.ofArray(args.get(3)), at.getAsLong());
                    out.ok();
                }
            }
            case "setnx" -> {
                if (n != 3) {
                    Commands.wrongArgs(out, cmd);
                } else if (store.contains(args.get(1))) {
                    out.integer(0);
                } else {
                    store.put(args.get(1), args.get(2));
                    out.integer(1);
                }
            }
            case "getdel" -> {
                if (n != 2) {
                    Commands.wrongArgs(out, cmd);
                    return;
                }
                byte[] v = store.get(args.get(1));
                if (v != null) {
                    store.delete(args.get(1));
                }
                value(v, out);
            }
            case "strlen" -> {
                if (n != 2) {
                    Commands.wrongArgs(out, cmd);
                    return;
                }
                byte[] v = store.get(args.get(1));
                out.integer(v == null ? 0 : v.length);
            }
            case "mget" -> {
                if (n < 2) {
                    Commands.wrongArgs(out, cmd);
                    return;
                }
                List<GetResult> got = store.getMany(args.subList(1, n));
                out.array(got.size());
                for (GetResult g : got) {
                    value(g.value(), out);
                }
            }
            case "getex" -> getex(args, out);
            case "msetnx", "mset" -> {
                if (n < 3 || n % 2 == 0) {
                    Commands.wrongArgs(out, cmd);
                    return;
                }
                boolean nx = cmd.equals("msetnx");
                for (int i = 1; nx && i < n; i += 2) {
                    if (store.contains(args.get(i))) {
                        out.integer(0);
                        return;
                    }
                }
                if (putPairs(args, out)) {
                    if (nx) {
                        out.integer(1);
                    } else {
                        out.ok();
                    }
                }
            }
            default -> throw new IllegalArgumentException("not a string command: " + cmd);
        }
    }

    /**
     * GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: the value, its expiry changed. In Redis's
     * order: the options are read first (a syntax error whatever the key; an expiry option may repeat,
     * the last one given wins, PERSIST may repeat, and the two kinds do not mix), then the key is looked up
     * (nil when absent, whatever the time given), then the time is checked.
     */
    private void getex(List<byte[]> args, ReplyWriter out) throws IOException {
        int n = args.size();
        if (n < 2) {
            Commands.wrongArgs(out, "getex");
            return;
        }
        boolean persist = false;
        String unit = null; // ex, px, exat or pxat
        byte[] time = null;
        for (int i = 2; i < n; i++) {
            String opt = Commands.name(args.get(i));
            if (opt.equals("persist") && unit == null) {
                persist = true;
            } else if ((opt.equals("ex") || opt.equals("px") || opt.equals("exat") || opt.equals("pxat")) && !persist
                    && (unit == null || unit.equals(opt)) && i + 1 < n) {
                unit = opt;
                time = args.get(++i);
            } else {
                out.error("ERR syntax error");
                return;
            }
        }
        byte[] key = args.get(1);
        byte[] v = store.get(key);
        if (v == null) {
            out.nullBulk();
            return;
        }
        if (unit != null) {
            Long t = Commands.integer(time);
            if (t == null) {
                out.error("ERR value is not an integer or out of range");
                return;
            }
            java.util.OptionalLong at = t <= 0 ? java.util.OptionalLong.empty() : at(unit, t);
            if (at.isEmpty()) {
                out.error("ERR invalid expire time in 'getex' command");
                return;
            }
            long when = at.getAsLong();
            if (when <= clock.millis()) {
                store.delete(key); // EXAT or PXAT already past: gone, as Redis deletes it
            } else {
                store.expireAt(key, when);
            }
        } else if (persist) {
            store.persist(key);
        }
        value(v, out);
    }

    /** The expiry time of an EX, PX, EXAT or PXAT option of {@code t} (positive); empty when it overflows. */
    private java.util.OptionalLong at(String unit, long t) {
        return switch (unit) {
            case "ex" -> ExpireCommands.expiryAt(clock.millis(), t, 1000);
            case "px" -> ExpireCommands.expiryAt(clock.millis(), t, 1);
            case "exat" -> ExpireCommands.expiryAt(0, t, 1000);
            default -> java.util.OptionalLong.of(t);
        };
    }

    /**
     * The key-value pairs of an MSET as one putMany; false after an error reply. Every pair is checked
     * before any is written: a pair the store refuses (an empty or too long key, a value larger than a
     * slot) fails the whole command, and nothing of it is stored.
     */
    private boolean putPairs(List<byte[]> args, ReplyWriter out) throws IOException {
        List<byte[]> keys = new ArrayList<>(args.size() / 2);
        List<MemorySegment> values = new ArrayList<>(args.size() / 2);
        for (int i = 1; i < args.size(); i += 2) {
            MemorySegment v = MemorySegment.ofArray(args.get(i + 1));
            String invalid = store.invalidPut(args.get(i), v);
            if (invalid != null) {
                out.error("ERR " + invalid);
                return false;
            }
            keys.add(args.get(i));
            values.add(v);
        }
        for (SlotStore.Result r : store.putMany(keys, values)) {
            if (!r.ok()) {
                out.error("ERR " + r.error());
                return false;
            }
        }
        return true;
    }

    private static void value(byte[] v, ReplyWriter out) {
        if (v == null) {
            out.nullBulk();
        } else {
            out.bulk(v);
        }
    }

    /**
     * SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL], with Redis's rules: an
     * option may repeat (the last time given wins), NX with XX and an expiry with another kind of expiry
     * or KEEPTTL are a syntax error, and the expiry is checked after every option is read. With GET the
     * reply is the old value (nil when none), whether or not NX or XX let the write happen.
     */
    private void set(List<byte[]> args, ReplyWriter out) throws IOException {
        if (args.size() < 3) {
            Commands.wrongArgs(out, "set");
            return;
        }
        boolean nx = false;
        boolean xx = false;
        boolean get = false;
        boolean keepTtl = false;
        String unit = null; // ex, px, exat or pxat
        byte[] time = null;
        for (int i = 3; i < args.size(); i++) {
            String opt = Commands.name(args.get(i));
            boolean hasNext = i + 1 < args.size();
            if (opt.equals("nx") && !xx) {
                nx = true;
            } else if (opt.equals("xx") && !nx) {
                xx = true;
            } else if (opt.equals("get")) {
                get = true;
            } else if (opt.equals("keepttl") && unit == null) {
                keepTtl = true;
            } else if ((opt.equals("ex") || opt.equals("px") || opt.equals("exat") || opt.equals("pxat")) && !keepTtl
                    && (unit == null || unit.equals(opt)) && hasNext) {
                unit = opt;
                time = args.get(++i);
            } else {
                out.error("ERR syntax error");
                return;
            }
        }
        long expireAt = 0;
        if (unit != null) {
            Long t = Commands.integer(time);
            if (t == null) {
                out.error("ERR value is not an integer or out of range");
                return;
            }
            java.util.OptionalLong at = t <= 0 ? java.util.OptionalLong.empty() : at(unit, t);
            if (at.isEmpty()) {
                out.error("ERR invalid expire time in 'set' command");
                return;
            }
            expireAt = at.getAsLong();
        }
        byte[] key = args.get(1);
        byte[] old = null;
        if (get) {
            old = store.get(key);
        }
        boolean exists = get ? old != null : (nx || xx) && store.contains(key);
        if ((nx && exists) || (xx && !exists)) {
            if (get) {
                value(old, out);
            } else {
                out.nullBulk();
            }
            return;
        }
        if (keepTtl) {
            // The store keeps no expiry across a put: the time left is read and given again (to the ms).
            long left = store.ttlMillis(key);
            if (left >= 0) {
                expireAt = clock.millis() + left;
            }
        }
        store.put(key, MemorySegment.ofArray(args.get(2)), expireAt);
        if (get) {
            value(old, out);
        } else {
            out.ok();
        }
    }
}
