package io.rawio.server;

import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Which SET-family requests a loop round's wave takes into its one putMany ({@link RoundBatcher}), and
 * when what they set expires: {@code SET key value}, {@code SET key value EX|PX|EXAT|PXAT time},
 * {@code SETEX key seconds value} and {@code PSETEX key milliseconds value}, when well formed and their
 * expiry is still ahead. Anything else of the family (NX, XX, GET, KEEPTTL, more options, a time that is no
 * number, not positive, past a long or already past) runs alone through {@link Commands}, which gives
 * Redis's replies and errors for it.
 */
final class WaveSets {
    /** {@link #expiry}'s answer for a request no wave takes. */
    static final long NOT_IN_WAVE = -1;

    private WaveSets() {
    }

    /**
     * When the value {@code r} sets expires, in ms since the epoch (0: never), if a wave takes it;
     * {@link #NOT_IN_WAVE} if not. {@code clock} is the store's, read only for a request with a time.
     */
    static long expiry(List<byte[]> r, LongSupplier clock) {
        int n = r.size();
        if (n == 3) {
            return RoundBatcher.isCommand(r, "set") ? 0 : NOT_IN_WAVE;
        }
        if (n == 5 && RoundBatcher.isCommand(r, "set")) {
            byte[] unit = r.get(3);
            if (RoundBatcher.is(unit, "ex")) {
                return ahead(r.get(4), true, 1000, clock);
            } else if (RoundBatcher.is(unit, "px")) {
                return ahead(r.get(4), true, 1, clock);
            } else if (RoundBatcher.is(unit, "exat")) {
                return ahead(r.get(4), false, 1000, clock);
            } else if (RoundBatcher.is(unit, "pxat")) {
                return ahead(r.get(4), false, 1, clock);
            }
            return NOT_IN_WAVE;
        }
        if (n == 4) {
            if (RoundBatcher.isCommand(r, "setex")) {
                return ahead(r.get(2), true, 1000, clock);
            } else if (RoundBatcher.isCommand(r, "psetex")) {
                return ahead(r.get(2), true, 1, clock);
            }
        }
        return NOT_IN_WAVE;
    }

    /**
     * The time {@code time} names in ms since the epoch (counted from now when {@code relative}, in
     * {@code unit} ms), when it is a positive number, fits a long and is after now; else
     * {@link #NOT_IN_WAVE} (a time the command itself refuses, or one already past, which deletes).
     */
    static long ahead(byte[] time, boolean relative, long unit, LongSupplier clock) {
        Long t = Commands.integer(time);
        if (t == null || t <= 0) {
            return NOT_IN_WAVE;
        }
        long now = clock.getAsLong();
        OptionalLong at = ExpireCommands.expiryAt(relative ? now : 0, t, unit);
        return at.isPresent() && at.getAsLong() > now ? at.getAsLong() : NOT_IN_WAVE;
    }

    /** The argument a request {@link #expiry} takes holds its value at: SETEX and PSETEX put it last. */
    static int valueIndex(List<byte[]> r) {
        return r.size() == 4 ? 3 : 2;
    }

    /** The command's name, for CLIENT LIST's cmd (a request {@link #expiry} takes). */
    static String name(List<byte[]> r) {
        return r.size() != 4 ? "set" : RoundBatcher.isCommand(r, "setex") ? "setex" : "psetex";
    }
}
