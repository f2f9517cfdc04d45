package io.rawio.server;

/**
 * Redis's glob patterns for SCAN MATCH and KEYS: {@code *} any bytes, {@code ?} one byte,
 * {@code [abc]}, {@code [^abc]} and {@code [a-z]} one byte of (or not of) a set, {@code \x} the byte x.
 * Matched over bytes, as Redis does.
 */
final class Glob {
    private Glob() {
    }

    /** The literal bytes before the first special one: what every match starts with. */
    static byte[] prefix(byte[] pattern) {
        int i = 0;
        while (i < pattern.length && "*?[\\".indexOf(pattern[i]) < 0) {
            i++;
        }
        return java.util.Arrays.copyOf(pattern, i);
    }

    /**
     * Whether {@code s} matches {@code p}: the classic wildcard walk, going back only to the last
     * star, so a pattern of many stars costs at most pattern length x key length steps.
     */
    static boolean matches(byte[] p, byte[] s) {
        int pi = 0;
        int si = 0;
        int starP = -1;
        int starS = 0;
        while (si < s.length) {
            if (pi < p.length && p[pi] == '*') {
                starP = pi++;
                starS = si;
                continue;
            }
            int next = pi < p.length ? one(p, pi, s[si]) : -1;
            if (next >= 0) {
                pi = next;
                si++;
            } else if (starP >= 0) {
                pi = starP + 1;
                si = ++starS;
            } else {
                return false;
            }
        }
        while (pi < p.length && p[pi] == '*') {
            pi++;
        }
        return pi == p.length;
    }

    /** Where the pattern goes on after {@code p[pi..]} matched the one byte {@code b}, or -1. */
    private static int one(byte[] p, int pi, byte b) {
        byte c = p[pi];
        if (c == '?') {
            return pi + 1;
        }
        if (c == '[') {
            int j = pi + 1;
            boolean not = j < p.length && p[j] == '^';
            if (not) {
                j++;
            }
            boolean hit = false;
            while (j < p.length && p[j] != ']') {
                if (p[j] == '\\' && j + 1 < p.length) {
                    hit |= p[j + 1] == b;
                    j += 2;
                } else if (j + 2 < p.length && p[j + 1] == '-') {
                    // As Redis: any byte ends a range, ']' too ("[a-]" is the range a..']', and the set
                    // goes on to the next ']').
                    int lo = Math.min(p[j] & 0xff, p[j + 2] & 0xff);
                    int hi = Math.max(p[j] & 0xff, p[j + 2] & 0xff);
                    hit |= (b & 0xff) >= lo && (b & 0xff) <= hi;
                    j += 3;
                } else {
                    hit |= p[j] == b;
                    j++;
                }
            }
            return hit != not ? Math.min(j + 1, p.length) : -1;
        }
        if (c == '\\' && pi + 1 < p.length) {
            return p[pi + 1] == b ? pi + 2 : -1;
        }
        return c == b ? pi + 1 : -1;
    }
}
