package io.rawio.server;

import io.rawio.store.GetResult;
import io.rawio.store.SlotStore;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The {@code EXPIRE key t}, {@code PEXPIRE}, {@code EXPIREAT} and {@code PEXPIREAT} requests without
 * options whose time is still ahead, that a round's wave takes ({@link RoundBatcher}): the store keeps an
 * expiry in the slot's header, so a new one is a rewrite of the value. The wave's keys are read with one
 * getMany (every read in flight at once) and written back with one putMany, each with its own expiry
 * (one group commit when durable), instead of a read and a write for each request. Each is answered 1
 * when its key was there and 0 when not. The rest (NX, XX, GT, LT, a time already past, which deletes
 * the key, a bad time) runs alone through {@link ExpireCommands}, which gives Redis's replies and errors.
 * On a store with eviction off and a full ring, the putMany succeeds where the rewrites one at a time
 * would: the store waits for a rewrite in flight to free its old slot rather than refuse it.
 */
final class ExpireWave extends KeyedRequests {
    ExpireWave(long maxOutputBytes, Runnable counted) {
        super(maxOutputBytes, counted);
    }
    private long[] ats = new long[16];
    /** The value bytes the wave's getMany will read: bounded by {@link #BYTES}. */
    private long bytes;

    /**
     * Value bytes a wave's EXPIREs read at most (their values are copied onto the heap and written back):
     * past this an EXPIRE goes in a later wave, or runs alone; one larger than this is a wave of its own.
     */
    static final long BYTES = 4 << 20;

    /**
     * When the key of {@code r} is to expire (ms since the epoch) if a wave takes {@code r}, else
     * {@link WaveSets#NOT_IN_WAVE} (a time not positive is past, and deletes: alone). {@code clock} is the
     * store's, read only for an EXPIRE.
     */
    static long expiry(List<byte[]> r, LongSupplier clock) {
        if (r.size() != 3) {
            return WaveSets.NOT_IN_WAVE;
        } else if (RoundBatcher.isCommand(r, "expire")) {
            return WaveSets.ahead(r.get(2), true, 1000, clock);
        } else if (RoundBatcher.isCommand(r, "pexpire")) {
            return WaveSets.ahead(r.get(2), true, 1, clock);
        } else if (RoundBatcher.isCommand(r, "expireat")) {
            return WaveSets.ahead(r.get(2), false, 1000, clock);
        } else if (RoundBatcher.isCommand(r, "pexpireat")) {
            return WaveSets.ahead(r.get(2), false, 1, clock);
        }
        return WaveSets.NOT_IN_WAVE;
    }

    /** The command's name, for CLIENT LIST's cmd (a request {@link #expiry} takes). */
    static String name(List<byte[]> r) {
        for (String name : new String[] {"expire", "pexpire", "expireat"}) {
            if (RoundBatcher.isCommand(r, name)) {
                return name;
            }
        }
        return "pexpireat";
    }

    /** Whether the wave takes an EXPIRE of a value of {@code valueBytes} more. */
    boolean hasRoomFor(long valueBytes) {
        return keys.isEmpty() || bytes + valueBytes <= BYTES;
    }

    void add(Connection owner, byte[] key, long atMs, long valueBytes) {
        bytes += valueBytes;
        int i = keys.size();
        if (i == ats.length) {
            ats = java.util.Arrays.copyOf(ats, 2 * i);
        }
        ats[i] = atMs;
        add(owner, key);
    }

    /**
     * Reads the wave's keys, writes each present one back with its new expiry, and answers each request.
     * The caller has waited for the SETs in flight, so that a key they write is seen. When the getMany or
     * the putMany fails, the requests it was for get its error; a key whose slot fails its check gets
     * the check's error, as a GET of it does.
     */
    @Override
    void runOn(SlotStore store) {
        int n = keys.size();
        String[] errors = new String[n];
        boolean[] present = new boolean[n];
        List<GetResult> read;
        try {
            read = store.getMany(keys);
        } catch (Exception e) {
            answer(errors, present, "ERR " + e.getMessage());
            return;
        }
        List<byte[]> putKeys = new ArrayList<>(n);
        List<MemorySegment> putValues = new ArrayList<>(n);
        long[] putAts = new long[n];
        int[] putOf = new int[n]; // request i's index in the putMany, or -1
        for (int i = 0; i < n; i++) {
            GetResult g = read.get(i);
            putOf[i] = -1;
            if (g.corrupt() != null) {
                errors[i] = "ERR " + g.corrupt();
            } else if (g.found()) {
                putOf[i] = putKeys.size();
                putAts[putKeys.size()] = ats[i];
                putKeys.add(keys.get(i));
                putValues.add(MemorySegment.ofArray(g.value()));
            }
        }
        if (!putKeys.isEmpty()) {
            try {
                List<SlotStore.Result> results = store.putMany(putKeys, putValues,
                        java.util.Arrays.copyOf(putAts, putKeys.size()));
                for (int i = 0; i < n; i++) {
                    if (putOf[i] >= 0) {
                        SlotStore.Result r = results.get(putOf[i]);
                        present[i] = r.ok();
                        if (!r.ok()) {
                            errors[i] = "ERR " + r.error();
                        }
                    }
                }
            } catch (Exception e) {
                for (int i = 0; i < n; i++) {
                    if (putOf[i] >= 0) {
                        errors[i] = "ERR " + e.getMessage();
                    }
                }
            }
        }
        answer(errors, present, null);
    }

    @Override
    void clear() {
        super.clear();
        bytes = 0;
    }
}
