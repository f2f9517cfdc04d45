package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.ScanPage;
import io.rawio.store.SlotStore;
import java.util.ArrayList;
import java.util.List;

/**
 * SCAN cursor [MATCH pattern] [COUNT n] [TYPE string] and KEYS pattern over the store's own scan:
 * the store walks its index by cursor (a key present for the whole scan is returned at least once,
 * as Redis's SCAN promises), a pattern's literal start goes to the store as a prefix, and the rest
 * of the pattern is matched here ({@link Glob}).
 */
final class ScanCommands {
    private final SlotStore store;

    ScanCommands(SlotStore store) {
        this.store = store;
    }

    void scan(List<byte[]> args, ReplyWriter out) {
        if (args.size() < 2) {
            Commands.wrongArgs(out, "scan");
            return;
        }
        java.util.OptionalLong parsed = cursor(args.get(1));
        if (parsed.isEmpty()) {
            out.error("ERR invalid cursor");
            return;
        }
        long cursor = parsed.getAsLong();
        byte[] pattern = null;
        long count = 10;
        boolean strings = true;
        for (int i = 2; i < args.size(); i++) {
            String opt = Commands.name(args.get(i));
            if (i + 1 >= args.size()) {
                out.error("ERR syntax error");
                return;
            }
            switch (opt) {
                case "match" -> pattern = args.get(++i);
                case "count" -> {
                    Long c = Commands.integer(args.get(++i));
                    if (c == null || c < 1) {
                        out.error(c == null ? "ERR value is not an integer or out of range" : "ERR syntax error");
                        return;
                    }
                    count = Math.min(c, 1_000_000);
                }
                case "type" -> strings = Commands.name(args.get(++i)).equals("string");
                default -> {
                    out.error("ERR syntax error");
                    return;
                }
            }
        }
        if (store.keyCount() == 0 || Long.compareUnsigned(cursor, 0xffffffffL) > 0) {
            // As Redis: a scan of an empty database ends at once. A cursor past the index's 32 bits was
            // never handed out: the scan it names is over.
            out.array(2).bulk("0").array(0); // as Redis: a scan of an empty database ends at once
            return;
        }
        byte[] prefix = pattern == null ? null : Glob.prefix(pattern);
        // As Redis: pages of COUNT index entries until COUNT keys are found or 10 x COUNT entries were
        // looked at, so a sparse index (one that grew, then lost its keys) takes few calls to walk.
        List<byte[]> found = new ArrayList<>();
        long next = cursor;
        long looked = 0;
        do {
            ScanPage page = store.scan(next, (int) count, prefix == null || prefix.length == 0 ? null : prefix);
            found.addAll(page.keys());
            next = page.cursor();
            looked += count;
        } while (next != 0 && found.size() < count && looked < 10 * count);
        List<byte[]> keys = new ArrayList<>();
        if (strings) { // every value in the store is a string
            for (byte[] k : found) {
                if (pattern == null || Glob.matches(pattern, k)) {
                    keys.add(k);
                }
            }
        }
        out.array(2).bulk(Long.toString(next)).array(keys.size());
        for (byte[] k : keys) {
            out.bulk(k);
        }
    }

    /**
     * A SCAN cursor as Redis reads one, with C's strtoul in base 10: an optional sign and decimal digits,
     * as an unsigned 64-bit number ("-1" is 2^64 - 1, "" is 0, "+7" is 7); empty (Redis's "invalid
     * cursor") when a space leads, anything but digits follows, there is a sign and no digit, or it is past
     * 64 bits.
     */
    static java.util.OptionalLong cursor(byte[] arg) {
        int n = arg.length;
        int i = 0;
        boolean negative = false;
        if (n > 0 && (arg[0] == '+' || arg[0] == '-')) {
            negative = arg[0] == '-';
            i = 1;
            if (n == 1) {
                return java.util.OptionalLong.empty(); // a sign alone: strtoul reads nothing, "+" is left over
            }
        }
        long v = 0;
        for (; i < n; i++) {
            int d = arg[i] - '0';
            if (d < 0 || d > 9) {
                return java.util.OptionalLong.empty();
            }
            // v * 10 + d past 2^64 - 1: ERANGE
            if (Long.compareUnsigned(v, Long.divideUnsigned(-1L, 10)) > 0
                    || Long.compareUnsigned(v * 10, -1L - d) > 0) {
                return java.util.OptionalLong.empty();
            }
            v = v * 10 + d;
        }
        return java.util.OptionalLong.of(negative ? -v : v);
    }

    /** RANDOMKEY: a key from a page of the scan started at a random cursor; nil when there is none. */
    void randomKey(List<byte[]> args, ReplyWriter out) {
        if (args.size() != 1) {
            Commands.wrongArgs(out, "randomkey");
            return;
        }
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        long cursor = r.nextLong(0x100000000L);
        for (int tries = 0; tries < 64; tries++) {
            ScanPage page = store.scan(cursor, 64, null);
            List<byte[]> keys = page.keys();
            if (!keys.isEmpty()) {
                out.bulk(keys.get(r.nextInt(keys.size())));
                return;
            }
            if (page.cursor() == 0 && cursor == 0) {
                break; // a whole pass from the start found nothing
            }
            cursor = page.cursor();
        }
        if (store.keyCount() == 0) {
            out.nullBulk(); // no key at all
            return;
        }
        // Sparse: walk from the start until a key turns up.
        long c = 0;
        do {
            ScanPage page = store.scan(c, 4096, null);
            if (!page.keys().isEmpty()) {
                out.bulk(page.keys().getFirst());
                return;
            }
            c = page.cursor();
        } while (c != 0);
        out.nullBulk();
    }

    void keys(List<byte[]> args, ReplyWriter out) {
        if (args.size() != 2) {
            Commands.wrongArgs(out, "keys");
            return;
        }
        byte[] pattern = args.get(1);
        byte[] prefix = Glob.prefix(pattern);
        List<byte[]> keys = new ArrayList<>();
        long cursor = 0;
        do {
            ScanPage page = store.scan(cursor, 4096, prefix.length == 0 ? null : prefix);
            for (byte[] k : page.keys()) {
                if (Glob.matches(pattern, k)) {
                    keys.add(k);
                }
            }
            cursor = page.cursor();
        } while (cursor != 0);
        // SCAN may return a key twice (the index grew meanwhile); KEYS lists each once.
        java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
        keys.removeIf(k -> !seen.add(java.nio.ByteBuffer.wrap(k)));
        out.array(keys.size());
        for (byte[] k : keys) {
            out.bulk(k);
        }
    }
}
