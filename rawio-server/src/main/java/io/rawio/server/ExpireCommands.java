package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.SlotStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;

/**
 * A key's time to live: TTL, PTTL, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX, XX, GT, LT) and PERSIST, and
 * the arithmetic of an expiry that SET, SETEX and GETEX share ({@link #expiryAt}). Replies and errors as
 * Redis 7's. Called on the event loop's thread only.
 */
final class ExpireCommands {
    private final SlotStore store;
    private final java.time.InstantSource clock;

    ExpireCommands(SlotStore store, java.time.InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    void run(String cmd, List<byte[]> args, ReplyWriter out) throws IOException {
        switch (cmd) {
            case "ttl", "pttl" -> {
                if (args.size() != 2) {
                    Commands.wrongArgs(out, cmd);
                    return;
                }
                long ms = store.ttlMillis(args.get(1));
                out.integer(ms < 0 ? ms : cmd.equals("ttl") ? (ms + 500) / 1000 : ms);
            }
            case "persist" -> {
                if (args.size() != 2) {
                    Commands.wrongArgs(out, cmd);
                } else {
                    out.integer(store.persist(args.get(1)) ? 1 : 0);
                }
            }
            case "expire", "pexpire", "expireat", "pexpireat" -> expire(cmd, args, out);
            default -> throw new IllegalArgumentException("not an expiry command: " + cmd);
        }
    }

    /**
     * EXPIRE key t [NX | XX | GT | LT] and its three siblings: a time already past (or a negative one)
     * deletes the key, as Redis does, and says 1 when there was one.
     */
    private void expire(String cmd, List<byte[]> args, ReplyWriter out) throws IOException {
        int n = args.size();
        if (n < 3) {
            Commands.wrongArgs(out, cmd);
            return;
        }
        boolean nx = false;
        boolean xx = false;
        boolean gt = false;
        boolean lt = false;
        for (int i = 3; i < n; i++) {
            switch (Commands.name(args.get(i))) {
                case "nx" -> nx = true;
                case "xx" -> xx = true;
                case "gt" -> gt = true;
                case "lt" -> lt = true;
                default -> {
                    out.error("ERR Unsupported option " + new String(args.get(i), StandardCharsets.UTF_8));
                    return;
                }
            }
        }
        if (nx && (xx || gt || lt)) {
            out.error("ERR NX and XX, GT or LT options at the same time are not compatible");
            return;
        }
        if (gt && lt) {
            out.error("ERR GT and LT options at the same time are not compatible");
            return;
        }
        Long t = Commands.integer(args.get(2));
        if (t == null) {
            out.error("ERR value is not an integer or out of range");
            return;
        }
        boolean absolute = cmd.endsWith("at");
        OptionalLong when = expiryAt(absolute ? 0 : clock.millis(), t, cmd.startsWith("p") ? 1 : 1000);
        if (when.isEmpty()) {
            out.error("ERR invalid expire time in '" + cmd + "' command");
            return;
        }
        long at = when.getAsLong();
        byte[] key = args.get(1);
        if (nx || xx || gt || lt) {
            long current = store.expiresAtMillis(key); // -1 absent, 0 no expiry
            if (current == -1) {
                out.integer(0);
                return;
            }
            // As Redis: a key without an expiry lives forever, so LT always sets one and GT never does
            // (whatever the time, Long.MAX_VALUE too).
            boolean has = current != 0;
            if ((nx && has) || (xx && !has) || (gt && (!has || at <= current)) || (lt && has && at >= current)) {
                out.integer(0);
                return;
            }
        }
        out.integer(at <= clock.millis() ? (store.delete(key) ? 1 : 0) : (store.expireAt(key, at) ? 1 : 0));
    }

    /**
     * {@code base + t * unit} in milliseconds, or empty when it overflows (Redis's "invalid expire
     * time"); {@code base} is 0 for an absolute time. Any long that does not overflow is a time, the
     * smallest one too (PEXPIREAT key -9223372036854775808 deletes the key, as in Redis).
     */
    static OptionalLong expiryAt(long base, long t, long unit) {
        try {
            return OptionalLong.of(Math.addExact(base, Math.multiplyExact(t, unit)));
        } catch (ArithmeticException e) {
            return OptionalLong.empty();
        }
    }
}
