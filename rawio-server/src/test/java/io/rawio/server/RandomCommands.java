package io.rawio.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Random requests for the commands the server and redis-server share, good and bad alike: options in any
 * order and case, repeated and contradictory, numbers at and past a long's ends, wrong argument counts,
 * binary values from empty to 60,000 bytes. Expiries are far off or already past, never due during a run,
 * so that two servers given the same requests hold the same keys. Each connection's keys carry its own
 * prefix: connections pipelining at once touch no key of another's.
 */
final class RandomCommands {
    private static final String[] NUMBERS = {"0", "-1", "abc", "", "1.5", "9223372036854775807",
        "-9223372036854775808", "9223372036854775808", "99999999999999", "+5", "05", " 5"};
    /** The first second of 2100: an absolute expiry no run reaches. */
    private static final long FAR = 4_102_444_800L;
    /** Commands whose reply depends on the whole keyspace (not run where connections share a server). */
    static final List<String> KEYSPACE_WIDE = List.of("DBSIZE", "KEYS", "FLUSHDB", "FLUSHALL", "SCAN", "RANDOMKEY");

    private final Random r;
    private final String prefix;
    private final boolean keyspaceWide;

    /** {@code keyspaceWide}: whether requests whose reply depends on every key (DBSIZE, KEYS) are made. */
    RandomCommands(long seed, String prefix, boolean keyspaceWide) {
        this.r = new Random(seed);
        this.prefix = prefix;
        this.keyspaceWide = keyspaceWide;
    }

    private String key() {
        int k = r.nextInt(13);
        return prefix + (k == 12 ? "x".repeat(300) : "k" + k);
    }

    /** A value as chars 0-255: the requests send them as UTF-8, the same bytes to both servers. */
    private String value() {
        double k = r.nextDouble();
        if (k < 0.03) {
            return String.valueOf((char) r.nextInt(256)).repeat(4000 + r.nextInt(26_000)); // up to 60,000 bytes as UTF-8
        }
        if (k < 0.1) {
            return "";
        }
        if (k < 0.2) {
            StringBuilder sb = new StringBuilder();
            for (int i = 1 + r.nextInt(40); i > 0; i--) {
                sb.append((char) r.nextInt(256));
            }
            return sb.toString();
        }
        return "v" + r.nextInt(100_000);
    }

    private String number() {
        return r.nextInt(14) < 12 ? NUMBERS[r.nextInt(NUMBERS.length)] : Integer.toString(100_000 + r.nextInt(400_000));
    }

    private String seconds() {
        return r.nextBoolean() ? number() : Integer.toString(100_000 + r.nextInt(400_000));
    }

    /**
     * An absolute expiry: far off, or one of {@link #NUMBERS} (invalid, or 0 and below: the key goes at once).
     * Never a time just past, which would leave a key expired and not yet dropped: DBSIZE then depends on
     * when each server's active expiry runs.
     */
    private String at(boolean ms) {
        return r.nextInt(4) == 0 ? NUMBERS[r.nextInt(NUMBERS.length)] : Long.toString(FAR * (ms ? 1000 : 1) + r.nextInt(1000));
    }

    private static <T> T pick(Random r, List<T> l) {
        return l.get(r.nextInt(l.size()));
    }

    /** The next request. */
    List<String> next() {
        List<String> a = mutate(command());
        String name = a.getFirst().toUpperCase(Locale.ROOT);
        return !keyspaceWide && KEYSPACE_WIDE.contains(name) ? List.of("PING") : a;
    }

    private List<String> mutate(List<String> a) {
        double x = r.nextDouble();
        List<String> m = new ArrayList<>(a);
        if (x < 0.05 && m.size() > 1) {
            m.removeLast();
        } else if (x < 0.08) {
            m.add(pick(r, List.of("x", "EX", "NX", "", "1")));
        } else if (x < 0.12) {
            m.set(0, m.getFirst().toLowerCase(Locale.ROOT));
        }
        return m;
    }

    /** Option {@code o} of SET or GETEX, and its time when it takes one. */
    private void option(List<String> a, String o) {
        a.add(o);
        switch (o) {
            case "EX", "PX" -> a.add(seconds());
            case "EXAT" -> a.add(at(false));
            case "PXAT" -> a.add(at(true));
            default -> { }
        }
    }

    private List<String> command() {
        List<String> a = new ArrayList<>();
        int c = r.nextInt(29);
        switch (c) {
            case 0, 1, 2, 3, 4 -> {
                a.addAll(List.of("SET", key(), value()));
                for (int i = pick(r, List.of(0, 0, 1, 1, 2, 3)); i > 0; i--) {
                    option(a, pick(r, List.of("NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT", "nx", "get", "FOO")));
                }
            }
            case 5, 6, 7 -> {
                a.addAll(List.of("GET", key()));
            }
            case 8 -> a.addAll(List.of("GETDEL", key()));
            case 9 -> {
                a.addAll(List.of("GETEX", key()));
                for (int i = pick(r, List.of(0, 1, 1, 2)); i > 0; i--) {
                    option(a, pick(r, List.of("PERSIST", "EX", "PX", "EXAT", "PXAT", "FOO")));
                }
            }
            case 10 -> a.addAll(List.of("SETNX", key(), value()));
            case 11 -> a.addAll(List.of(r.nextBoolean() ? "SETEX" : "PSETEX", key(), seconds(), value()));
            case 12 -> {
                a.add(r.nextBoolean() ? "MSET" : "MSETNX");
                for (int i = r.nextInt(4); i > 0; i--) {
                    a.add(key());
                    a.add(value());
                }
            }
            case 13 -> {
                a.add("MGET");
                for (int i = r.nextInt(4); i > 0; i--) {
                    a.add(key());
                }
            }
            case 14, 15 -> {
                a.add(c == 15 ? "EXISTS" : r.nextBoolean() ? "DEL" : "UNLINK");
                for (int i = r.nextInt(4); i > 0; i--) {
                    a.add(key());
                }
            }
            case 16 -> a.addAll(List.of(r.nextBoolean() ? "TYPE" : "STRLEN", key()));
            case 17 -> a.addAll(List.of(r.nextBoolean() ? "TTL" : "PTTL", key()));
            case 18 -> {
                a.addAll(List.of(r.nextBoolean() ? "EXPIRE" : "PEXPIRE", key(), seconds()));
                if (r.nextInt(5) < 2) {
                    a.add(pick(r, List.of("NX", "XX", "GT", "LT", "FOO", "nx")));
                }
            }
            case 19 -> {
                boolean ms = r.nextBoolean();
                a.addAll(List.of(ms ? "PEXPIREAT" : "EXPIREAT", key(), at(ms)));
                if (r.nextInt(10) < 3) {
                    a.add(pick(r, List.of("NX", "XX", "GT", "LT")));
                }
            }
            case 20 -> a.addAll(List.of("PERSIST", key()));
            case 21 -> a.add("DBSIZE");
            case 22, 23 -> {
                a.add(c == 22 ? "ECHO" : "PING");
                for (int i = pick(r, List.of(0, 1, 1, 2)); i > 0; i--) {
                    a.add(value());
                }
            }
            case 24 -> a.addAll(List.of("SELECT", pick(r, List.of("0", "16", "-1", "abc", "", "99999999999", "+0", "00"))));
            case 25 -> a.addAll(List.of("KEYS", prefix + pick(r, List.of("*", "k1*", "k[0-3]", "k?", "x*", "\\k1", "[", "k[^1]"))));
            case 26 -> a.addAll(pick(r, List.of(List.of("CLIENT", "SETNAME", "a b"), List.of("CLIENT", "SETNAME", "n"),
                    List.of("CLIENT", "GETNAME"), List.of("CLIENT", "NOSUCH"), List.of("CLIENT"), List.of("AUTH", "pw"),
                    List.of("AUTH", "u", "pw"), List.of("HELLO", "4"), List.of("HELLO", "x"), List.of("CONFIG"),
                    List.of("CONFIG", "GET", "timeout"), List.of("CONFIG", "GET", "nosuch"), List.of("COMMAND", "COUNTX"),
                    List.of("TIME", "x"), List.of("DBSIZE", "x"), List.of("QUITX"), List.of("KEYS"), List.of("RANDOMKEY", "x"),
                    List.of("SCAN", "x"), List.of("SCAN", "0", "COUNT", "0"), List.of("SCAN", "0", "MATCH"),
                    List.of("SCAN", "0", "TYPE"), List.of("SCAN", "0", "COUNT", "-1"))));
            case 27 -> a.addAll(List.of("GETEX", key(), "EX", "100000", "PX", "100000000")); // the last one counts
            default -> a.addAll(List.of("SET", key(), value(), "EX", "100000", "PX", "100000000"));
        }
        return a;
    }
}
