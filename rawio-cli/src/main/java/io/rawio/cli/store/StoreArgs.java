package io.rawio.cli.store;

import io.rawio.bench.job.Units;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotDescriptor;
import io.rawio.store.SlotStore;
import io.rawio.store.SuperblockDescriptor;
import java.util.ArrayList;
import java.util.List;

/**
 * The store subcommands' option values that need more than a size: slot classes, class shares and
 * expiry times. Each parse throws {@link StoreCommand.BadArgument} with the option's name, so a mistake
 * is one line and exit status 2 before anything is opened or written.
 */
public final class StoreArgs {
    /** The classes {@code rawio store format} makes when given no --slot, --classes or --max-value. */
    public static final String DEFAULT_MAX_VALUE = "4m";

    private StoreArgs() {
    }

    /**
     * The slot sizes of {@code --classes=4k,64k,1m,4m}: ascending, multiples of 4k, 1 to 16 of them. A
     * trailing '+' on the last ({@code 4m+}) says that class takes every larger value it holds, which the
     * last class does anyway: it is read as the size without it.
     */
    static List<Long> classes(String text) {
        String[] parts = text.split(",", -1);
        if (parts.length > SuperblockDescriptor.MAX_CLASSES) {
            throw bad("--classes", text, parts.length + " classes, at most " + SuperblockDescriptor.MAX_CLASSES);
        }
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].strip();
            if (p.endsWith("+")) {
                if (i != parts.length - 1) {
                    throw bad("--classes", text, "only the last size may end with '+': " + p);
                }
                p = p.substring(0, p.length() - 1).strip();
            }
            if (p.isEmpty()) {
                throw bad("--classes", text, "an empty size");
            }
            long s;
            try {
                s = Units.parseSize(p);
            } catch (IllegalArgumentException e) {
                throw bad("--classes", text, e.getMessage());
            }
            if (s < SlotStore.BLOCK_SIZE || s % SlotDescriptor.SECTOR != 0) {
                throw bad("--classes", text, p + " is not 4k or more in whole 512-byte sectors");
            }
            if (!sizes.isEmpty() && s <= sizes.getLast()) {
                throw bad("--classes", text, "sizes must ascend: " + p + " after "
                        + Units.formatSize(sizes.getLast()));
            }
            sizes.add(s);
        }
        return sizes;
    }

    /** The weights of {@code --class-share=1,1,2,4}: positive numbers, one per class. */
    static List<Double> shares(String text, int classes) {
        String[] parts = text.split(",", -1);
        List<Double> shares = new ArrayList<>();
        for (String part : parts) {
            double d;
            try {
                d = Double.parseDouble(part.strip());
            } catch (NumberFormatException e) {
                d = Double.NaN;
            }
            if (!(d > 0) || Double.isInfinite(d)) {
                throw bad("--class-share", text, "'" + part.strip() + "' is not a positive number");
            }
            shares.add(d);
        }
        if (shares.size() != classes) {
            throw bad("--class-share", text, shares.size() + " weights for " + classes + " classes");
        }
        return shares;
    }

    /**
     * The classes of the format options: exactly one of {@code slot}, {@code classes} and
     * {@code maxValue} (null for not given; none at all means --max-value=4m), and the shares.
     */
    public static SlotClasses slotClasses(String slot, String classes, String maxValue, String share) {
        int given = (slot != null ? 1 : 0) + (classes != null ? 1 : 0) + (maxValue != null ? 1 : 0);
        if (given > 1) {
            throw new StoreCommand.BadArgument("give one of --slot, --classes and --max-value");
        }
        if (slot != null) {
            if (share != null) {
                throw new StoreCommand.BadArgument("--class-share goes with --classes or --max-value, not --slot");
            }
            return SlotClasses.of(StoreCommand.parseSize("--slot", slot));
        }
        SlotClasses c;
        if (classes != null) {
            c = SlotClasses.of(classes(classes));
        } else {
            String max = maxValue != null ? maxValue : DEFAULT_MAX_VALUE;
            c = SlotClasses.forMaxValue(StoreCommand.parseSize("--max-value", max));
        }
        return share == null ? c : c.withShares(shares(share, c.slotSizes().size()));
    }

    /**
     * When a put's value expires, in ms since the epoch, from {@code --expire-in} or {@code --expire-at}
     * (at most one; null for not given); 0 for never.
     */
    static long expiresAtMs(String expireIn, String expireAt, long nowMs) {
        if (expireIn != null && expireAt != null) {
            throw new StoreCommand.BadArgument("give one of --expire-in and --expire-at");
        }
        if (expireIn != null) {
            long ms = durationMs("--expire-in", expireIn);
            try {
                return Math.addExact(nowMs, ms);
            } catch (ArithmeticException e) {
                throw bad("--expire-in", expireIn, "too far ahead");
            }
        }
        if (expireAt != null) {
            long at;
            try {
                at = Long.parseLong(expireAt.strip());
            } catch (NumberFormatException e) {
                throw bad("--expire-at", expireAt, "not a time in ms since the epoch");
            }
            // Also catches seconds given for milliseconds.
            if (at <= nowMs) {
                throw bad("--expire-at", expireAt, "in the past (ms since the epoch; now is " + nowMs + ")");
            }
            return at;
        }
        return 0;
    }

    /** A duration with a unit (30s, 5m, 2h, 1d, 250ms) or a bare number of ms; at least 1 ms. */
    public static long durationMs(String option, String text) {
        long ms;
        if (text.strip().matches("\\d+")) {
            try {
                ms = Long.parseLong(text.strip());
            } catch (NumberFormatException e) {
                throw bad(option, text, "too large");
            }
        } else {
            try {
                ms = Units.parseDurationNs(text) / 1_000_000L;
            } catch (IllegalArgumentException e) {
                throw bad(option, text, "not a duration (examples: 30s, 5m, 2h, 1d, or ms: 1500)");
            }
        }
        if (ms < 1) {
            throw bad(option, text, "must be at least 1 ms");
        }
        return ms;
    }

    private static StoreCommand.BadArgument bad(String option, String text, String why) {
        return new StoreCommand.BadArgument("invalid " + option + "=" + text + ": " + why);
    }
}
