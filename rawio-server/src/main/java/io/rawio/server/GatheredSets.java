package io.rawio.server;

import io.rawio.store.SlotStore;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SETs a round's wave gathered ({@link RoundBatcher}), each with its owner, value and expiry, and what
 * the wave's one putMany writes for them ({@link #take}): a key set more than once in the wave is written
 * once, with its last value and that SET's expiry; the earlier SETs are answered with that write's
 * result, as if each had been written and at once overwritten (the order a client of each sees is kept;
 * what is on the device after the +OKs is what a one-at-a-time run would leave). A value the store would
 * refuse is never the one that stands in for others. Used by the loop's thread only.
 */
final class GatheredSets {
    private final List<byte[]> keys = new ArrayList<>();
    private final List<MemorySegment> values = new ArrayList<>();
    private final List<Connection> owners = new ArrayList<>();
    /** By SET: when its value expires (ms since the epoch, 0: never); see {@link #anyExpiry}. */
    private long[] expiries = new long[64];
    /** Whether a SET gathered has an expiry: when none has, the putMany is given none. */
    private boolean anyExpiry;

    /**
     * What the putMany writes: its keys, values and expiries (null: none expires); by SET gathered, its
     * owner, the SET written in its place ({@code writtenAs}, itself if none) and that write's index in the
     * putMany ({@code slot[writtenAs[i]]}; null when nothing merged: the same index); the largest value.
     */
    record Writes(List<byte[]> keys, List<MemorySegment> values, long[] expiries, Connection[] owners,
            int[] writtenAs, int[] slot, long largest) {
    }

    void add(Connection owner, byte[] key, MemorySegment value, long expiresAtMs) {
        int i = keys.size();
        if (i == expiries.length) {
            expiries = Arrays.copyOf(expiries, 2 * i);
        }
        expiries[i] = expiresAtMs;
        anyExpiry |= expiresAtMs != 0;
        keys.add(key);
        values.add(value);
        owners.add(owner);
    }

    boolean isEmpty() {
        return keys.isEmpty();
    }

    int size() {
        return keys.size();
    }

    /** What the putMany of the SETs gathered writes (lists of its own: the store keeps them); starts a new gathering. */
    Writes take(SlotStore store) {
        int n = keys.size();
        int[] writtenAs = new int[n];
        Map<ByteBuffer, Integer> last = n == 1 ? null : HashMap.newHashMap(n);
        boolean merged = false;
        for (int i = n - 1; i >= 0; i--) {
            writtenAs[i] = i;
            if (n == 1) {
                break; // nothing to merge: no map
            }
            byte[] key = keys.get(i);
            if (values.get(i).byteSize() > store.maxValueLength(key.length)) {
                continue; // refused by the store on its own, with its own error
            }
            Integer later = last.putIfAbsent(ByteBuffer.wrap(key), i);
            if (later != null) {
                writtenAs[i] = later;
                merged = true;
            }
        }
        List<byte[]> k;
        List<MemorySegment> v;
        long[] at = anyExpiry ? new long[n] : null;
        int[] slot = null;
        if (merged) {
            k = new ArrayList<>(n);
            v = new ArrayList<>(n);
            slot = new int[n];
            for (int i = 0; i < n; i++) {
                if (writtenAs[i] == i) {
                    slot[i] = k.size();
                    if (at != null) {
                        at[k.size()] = expiries[i]; // the SET written stands with its own expiry
                    }
                    k.add(keys.get(i));
                    v.add(values.get(i));
                }
            }
            if (at != null) {
                at = Arrays.copyOf(at, k.size());
            }
        } else {
            k = new ArrayList<>(keys);
            v = new ArrayList<>(values);
            if (at != null) {
                System.arraycopy(expiries, 0, at, 0, n);
            }
        }
        long largest = 0;
        for (MemorySegment value : v) {
            largest = Math.max(largest, value.byteSize());
        }
        Writes w = new Writes(k, v, at, owners.toArray(Connection[]::new), writtenAs, slot, largest);
        keys.clear();
        values.clear();
        owners.clear();
        anyExpiry = false;
        return w;
    }
}
