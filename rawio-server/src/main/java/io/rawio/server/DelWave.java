package io.rawio.server;

import io.rawio.store.SlotStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code DEL key} and {@code UNLINK key} requests of one key that a round's wave takes
 * ({@link RoundBatcher}), run as one deleteMany: one batch of tombstones (one group commit when durable)
 * for the wave, not one for each. Each request is answered {@code :1} when its key was there and
 * {@code :0} when not; a key deleted twice in the wave counts for the first only, as one at a time.
 * Requests of several keys run alone through {@link Commands} (each is one deleteMany already).
 */
final class DelWave extends KeyedRequests {
    DelWave(long maxOutputBytes, Runnable counted) {
        super(maxOutputBytes, counted);
    }

    /** Whether a wave takes {@code r}: DEL or UNLINK of one key. */
    static boolean takes(List<byte[]> r) {
        return r.size() == 2 && (RoundBatcher.isCommand(r, "del") || RoundBatcher.isCommand(r, "unlink"));
    }

    /** The command's name, for CLIENT LIST's cmd (a request {@link #takes}). */
    static String name(List<byte[]> r) {
        return RoundBatcher.isCommand(r, "del") ? "del" : "unlink";
    }

    /**
     * Deletes the wave's keys and answers each request. The caller has waited for the SETs in flight, so
     * that a key they write is seen. When the deleteMany fails, a request whose key was there gets its
     * error unless the key is gone now (its tombstone landed before the failure: 1); one whose key was not
     * there gets 0, as it would alone.
     */
    @Override
    void runOn(SlotStore store) {
        int n = keys.size();
        boolean[] present = new boolean[n];
        List<byte[]> gone = new ArrayList<>(n);
        Set<ByteBuffer> seen = n > 1 ? new HashSet<>() : null;
        for (int i = 0; i < n; i++) {
            byte[] k = keys.get(i);
            if (store.contains(k) && (seen == null || seen.add(ByteBuffer.wrap(k)))) {
                present[i] = true;
                gone.add(k);
            }
        }
        String[] errors = new String[n];
        if (!gone.isEmpty()) {
            try {
                store.deleteMany(gone);
            } catch (IOException | RuntimeException e) {
                for (int i = 0; i < n; i++) {
                    if (present[i] && store.contains(keys.get(i))) {
                        errors[i] = "ERR " + e.getMessage();
                    }
                }
            }
        }
        answer(errors, present, null);
    }
}
