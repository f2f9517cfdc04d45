package io.rawio.store;

import java.nio.ByteBuffer;
import java.util.HashMap;

/**
 * The keys with a write (value or tombstone) planned and not yet left flight (committed, and its old
 * slots retired): how many, and the version
 * of the last one committed. A write planned earlier that commits later never replaces a newer one of
 * the same key (in any slot class), and a reinserting policy never reinserts a key with a write
 * pending (its old value must not land after the new one). Not thread-safe: GUARDED_BY(RingState.lock).
 */
final class KeyWriteOrder {
    /** Writes of one key in flight. */
    private static final class Writes {
        int pending;
        long lastCommitted = -1;
    }

    private final HashMap<ByteBuffer, Writes> keys = new HashMap<>();

    /** A write of {@code key} was planned. */
    void planned(byte[] key) {
        keys.computeIfAbsent(ByteBuffer.wrap(key), k -> new Writes()).pending++;
    }

    /** A write of {@code key} left flight (committed, failed or never made). */
    void done(byte[] key) {
        ByteBuffer k = ByteBuffer.wrap(key);
        Writes w = keys.get(k);
        if (w != null && --w.pending == 0) {
            keys.remove(k);
        }
    }

    /** Whether a write of {@code key} is planned and has not yet left flight. */
    boolean pending(byte[] key) {
        return keys.containsKey(ByteBuffer.wrap(key));
    }

    /**
     * Whether a write of {@code key} is in flight besides the one of {@code planning} just planned (which
     * counts only when it is the same key).
     */
    boolean pendingBesides(byte[] key, byte[] planning) {
        Writes w = keys.get(ByteBuffer.wrap(key));
        return w != null && w.pending > (java.util.Arrays.equals(key, planning) ? 1 : 0);
    }

    /**
     * A change of {@code key} with {@code version} that took effect outside a window (a delete in place):
     * writes of it still in flight with a lower version then lose to it.
     */
    void committedElsewhere(byte[] key, long version) {
        Writes w = keys.get(ByteBuffer.wrap(key));
        if (w != null) {
            w.lastCommitted = Math.max(w.lastCommitted, version);
        }
    }

    /**
     * Whether the write of {@code key} with {@code version} is newer than every write of it committed
     * while it was in flight; records it as the last committed when it is.
     */
    boolean newestCommitted(byte[] key, long version) {
        Writes w = keys.get(ByteBuffer.wrap(key));
        if (w == null) {
            return true;
        }
        if (version < w.lastCommitted) {
            return false;
        }
        w.lastCommitted = version;
        return true;
    }
}
