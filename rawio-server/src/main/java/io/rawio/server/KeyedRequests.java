package io.rawio.server;

import io.rawio.store.SlotStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Requests of one kind and one key each that a round's wave took ({@link DelWave}, {@link ExpireWave}):
 * the key of each, the connection it came from, and its answer, an integer or an error. Used by the
 * loop's thread only.
 */
abstract class KeyedRequests {
    /** By request: its key, and the connection to answer. */
    final List<byte[]> keys = new ArrayList<>();
    final List<Connection> owners = new ArrayList<>();
    /** A connection whose unsent replies pass this is dropped (client-output-buffer-limit). */
    private final long maxOutputBytes;
    /** Counts a wave of these run (INFO rawio). */
    private final Runnable counted;

    KeyedRequests(long maxOutputBytes, Runnable counted) {
        this.maxOutputBytes = maxOutputBytes;
        this.counted = counted;
    }

    /**
     * Runs the wave's requests on the store and answers each ({@link #runOn}); when {@code failed} is not
     * null (what the caller waited for first failed), answers each with it instead. A store call that throws
     * (the store closed under the wave, say) is each request's error. Then forgets them.
     */
    final void run(SlotStore store, String failed) {
        counted.run();
        try {
            if (failed != null) {
                answer(null, null, failed);
            } else {
                runOn(store);
            }
        } catch (RuntimeException e) {
            answer(null, null, "ERR " + e.getMessage());
        } finally {
            clear();
        }
    }

    /** Runs the requests on the store and {@link #answer}s them. */
    abstract void runOn(SlotStore store);

    void add(Connection owner, byte[] key) {
        owners.add(owner);
        keys.add(key);
    }

    boolean isEmpty() {
        return keys.isEmpty();
    }

    int size() {
        return keys.size();
    }

    /**
     * Answers every request, then forgets them: request i gets {@code errors[i]} (or {@code all}, when not
     * null), else 1 when {@code one[i]} and 0 when not. A connection dropped meanwhile (a failed reply, the
     * output limit) gets nothing more; one whose replies pass the output limit is dropped.
     */
    void answer(String[] errors, boolean[] one, String all) {
        for (int i = 0; i < owners.size(); i++) {
            Connection owner = owners.get(i);
            if (owner.dead) {
                continue;
            }
            String error = all != null ? all : errors[i];
            if (error != null) {
                owner.out.error(error);
            } else {
                owner.out.integer(one[i] ? 1 : 0);
            }
            RoundBatcher.withinLimit(owner, maxOutputBytes);
        }
    }

    /** Forgets the requests (after {@link #answer}, or when they could not run). */
    void clear() {
        keys.clear();
        owners.clear();
    }
}
