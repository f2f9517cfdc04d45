package io.rawio.store;

import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;

/**
 * When the keys that have an expiry expire (ms since the epoch, by the store's clock). Only keys with
 * an expiry have an entry, so a store without expiries pays one {@code isEmpty} per lookup. Not
 * thread-safe: GUARDED_BY(RingState.lock).
 */
final class Expiries {
    private final HashMap<ByteBuffer, Long> at;
    private final InstantSource clock;

    Expiries(Map<ByteBuffer, Long> recovered, InstantSource clock) {
        this.at = new HashMap<>(recovered);
        this.clock = clock;
    }

    /** A copy (of the keys with an expiry only: nothing when none has one), for encoding outside the lock. */
    Expiries copy() {
        return new Expiries(at, clock);
    }

    long now() {
        return clock.millis();
    }

    /** Whether {@code key} has an expiry that has passed at {@code now}. */
    boolean expiredAt(byte[] key, long now) {
        if (at.isEmpty()) {
            return false;
        }
        Long t = at.get(ByteBuffer.wrap(key));
        return t != null && t <= now;
    }

    boolean expiredNow(byte[] key) {
        return !at.isEmpty() && expiredAt(key, clock.millis());
    }

    /** The key's expiry, or 0 for none. */
    long of(byte[] key) {
        if (at.isEmpty()) {
            return 0;
        }
        Long t = at.get(ByteBuffer.wrap(key));
        return t == null ? 0 : t;
    }

    /** Sets the key's expiry; 0 removes it. */
    void set(byte[] key, long expiryMs) {
        if (expiryMs != 0) {
            at.put(ByteBuffer.wrap(key.clone()), expiryMs);
        } else {
            forget(key);
        }
    }

    /** Keys with an expiry (some may have expired and not been found yet). */
    int size() {
        return at.size();
    }

    void forget(byte[] key) {
        if (!at.isEmpty()) {
            at.remove(ByteBuffer.wrap(key));
        }
    }

    boolean isEmpty() {
        return at.isEmpty();
    }
}
