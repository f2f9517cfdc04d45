package io.rawio.bench.job;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes and durations as fio writes them. Sizes: a number with an optional k, m, g or t suffix,
 * powers of 1024 as in fio's default kb_base (also accepted: KiB, MiB, kb, …, all base 1024).
 * Durations: a number with an optional unit us, ms, s, m, h; a bare number is seconds, as in fio.
 */
public final class Units {
    private static final Pattern SIZE = Pattern.compile("(\\d+)(?:\\.(\\d+))?\\s*([kmgtp]?)(?:i?b)?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(us|ms|s|m|h|d)?", Pattern.CASE_INSENSITIVE);

    private Units() {
    }

    /**
     * Bytes in {@code text}.
     *
     * @throws IllegalArgumentException for anything else, including negative numbers and overflow
     */
    public static long parseSize(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "' (examples: 4096, 4k, 256k, 1m, 10g)");
        }
        int shift = switch (m.group(3).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            case "p" -> 50;
            default -> 0;
        };
        try {
            long whole = Long.parseLong(m.group(1));
            if (whole > (Long.MAX_VALUE >> shift)) {
                throw new IllegalArgumentException("size too large: '" + text + "'");
            }
            long bytes = whole << shift;
            if (m.group(2) != null) {
                String frac = m.group(2);
                if (frac.length() > 9) {
                    frac = frac.substring(0, 9);
                }
                long num = Long.parseLong(frac);
                long den = (long) Math.pow(10, frac.length());
                bytes += Math.round((double) num / den * (1L << shift));
            }
            return bytes;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
    }

    /** Nanoseconds in {@code text}. */
    public static long parseDurationNs(String text) {
        String t = text.trim();
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (examples: 10s, 500ms, 2m)");
        }
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        long scale = switch (unit) {
            case "us" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 86_400_000_000_000L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), scale);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("duration too large: '" + text + "'");
        }
    }

    /** fio's boolean options: 1/0, and true/false, yes/no, on/off. */
    public static boolean parseFlag(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("expected 0 or 1, got '" + text + "'");
        };
    }

    /** Bytes as the shortest exact fio size: 4096 -> "4k", 1073741824 -> "1g", 1000 -> "1000". */
    public static String formatSize(long bytes) {
        String[] suffix = {"", "k", "m", "g", "t", "p"};
        int i = 0;
        long v = bytes;
        while (v != 0 && v % 1024 == 0 && i < suffix.length - 1) {
            v /= 1024;
            i++;
        }
        return v + suffix[i];
    }

    /** Nanoseconds as fio's duration syntax, the largest exact unit. */
    public static String formatDuration(long ns) {
        if (ns % 1_000_000_000L == 0) {
            return ns / 1_000_000_000L + "s";
        }
        if (ns % 1_000_000L == 0) {
            return ns / 1_000_000L + "ms";
        }
        return ns / 1_000L + "us";
    }
}
