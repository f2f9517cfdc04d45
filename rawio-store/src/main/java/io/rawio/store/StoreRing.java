package io.rawio.store;

import io.rawio.engine.IoEngine;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * A store's I/O on an io_uring ring that the calling thread drives (an event loop's), from
 * {@link SlotStore#onRing()}: the store's batches from this thread go into that ring
 * ({@link #share}); a get's read is planned here and issued by the caller ({@link #planRead},
 * {@link #finishRead}); a putMany is started and goes on while the thread does other work
 * ({@link #startPutMany}), the caller handing back the completions it reaps ({@link #completion},
 * {@link #runStarted}). Every call passes the store's lifecycle gate, as {@link SlotStore}'s do.
 */
public final class StoreRing {
    /** {@link #finishRead}'s answers besides an offset: see {@link DeviceRead#READ_AGAIN}, {@link DeviceRead#CORRUPT}. */
    public static final long READ_AGAIN = DeviceRead.READ_AGAIN, CORRUPT = DeviceRead.CORRUPT;

    private final CallGate gate;
    private final StoreFile file;
    private final StartedWrites started;
    private final ReadPath reads;

    StoreRing(CallGate gate, StoreFile file, WritePipeline writes, ReadPath reads) {
        this.gate = gate;
        this.file = file;
        this.started = new StartedWrites(writes);
        this.reads = reads;
    }

    /**
     * This thread's store I/O goes to {@code ring}, if the engine can ({@link IoEngine#shareRing}); the
     * completions reaped there that are the caller's go to {@code others}.
     */
    public boolean share(io.rawio.uring.IoUring ring, io.rawio.uring.IoUring.CqeVisitor others) {
        return file.engine().shareRing(ring, others);
    }

    /** This thread's store I/O goes to the engine's own rings again (after its started putManys end). */
    public void unshare() {
        file.engine().unshareRing();
    }

    /**
     * Plans a get's device read that the caller issues on its own ring ({@link DeviceRead}); null when
     * the key is absent or expired. Ask the DRAM tier first ({@link SlotStore#getIfCached}): this does not.
     */
    public DeviceRead planRead(byte[] key) {
        return gate.get(() -> reads.plan(key));
    }

    /**
     * Checks a planned read's {@code bytesRead} bytes in {@code buf} as getMany checks its reads: where the
     * value starts in {@code buf}, or {@link #READ_AGAIN} / {@link #CORRUPT} (see {@link DeviceRead}).
     */
    public long finishRead(DeviceRead read, MemorySegment buf, long bytesRead) {
        gate.enter();
        try {
            return reads.finish(read, buf, bytesRead);
        } finally {
            gate.exit();
        }
    }

    /** What a started putMany ({@link #startPutMany}) gives its caller when it is over. */
    @FunctionalInterface
    public interface PutsDone {
        /** One result per key, or the failure that a putMany would have thrown (results then null). */
        void done(List<SlotStore.Result> results, Exception failure);
    }

    /**
     * A putMany that returns before its writes complete where this thread's store I/O goes to a ring it
     * shares ({@link #share}): the writes go into that ring, and {@code done} is called on this thread
     * from {@link #runStarted()} (or {@link #awaitStarted()}) once every key has its result, as putMany
     * would return them (when durable, after the group commit). Elsewhere it runs at once and {@code done}
     * is called before this returns. The values must stay readable and unchanged until {@code done}.
     * A thread's started calls keep their order: a key put by a later call wins.
     *
     * @throws IllegalStateException when the store is closed
     */
    public void startPutMany(List<byte[]> keys, List<MemorySegment> values, PutsDone done) {
        startPutMany(keys, values, null, done);
    }

    /**
     * {@link #startPutMany(List, List, PutsDone)} with key i's value to expire at {@code expiresAtMs[i]} (ms
     * since the epoch by the store's clock, 0 for never; null: none expires). The array, like the values,
     * must stay unchanged until {@code done}.
     */
    public void startPutMany(List<byte[]> keys, List<MemorySegment> values, long[] expiresAtMs, PutsDone done) {
        checkPuts(keys, values, expiresAtMs);
        gate.enter();
        SlotStore.Result[] results = new SlotStore.Result[keys.size()];
        started.start(keys, values, results, SlotDescriptor.FLAG_LIVE,
                expiresAtMs == null ? WriteWindow.NEVER : WriteWindow.expiring(expiresAtMs), failure -> {
            gate.exit();
            if (failure == null) {
                done.done(Arrays.asList(results), null);
            } else {
                done.done(null, failure instanceof Exception e ? e : new IllegalStateException(failure));
            }
        });
    }

    /**
     * Refuses a putMany whose keys and values differ in count, or whose per-key expiries (null: none) are not
     * one per key, or not 0 (never) or a time.
     */
    static void checkPuts(List<byte[]> keys, List<MemorySegment> values, long[] expiresAtMs) {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException("keys and values differ in count: keys=" + keys.size() + ", values="
                    + values.size());
        }
        if (expiresAtMs == null) {
            return;
        }
        if (expiresAtMs.length != keys.size()) {
            throw new IllegalArgumentException("keys and expiries differ in count: keys=" + keys.size()
                    + ", expiries=" + expiresAtMs.length);
        }
        for (long at : expiresAtMs) {
            if (at < 0) {
                throw new IllegalArgumentException("expiry must be 0 (never) or a time: expiresAtMs=" + at);
            }
        }
    }

    /**
     * A completion the caller reaped from the ring this thread shares: true when it is one of the store's
     * started writes' (kept for {@link #runStarted()}), false when it is the caller's own.
     */
    public boolean completion(long userData, int res) {
        return file.engine().ringCompletion(userData, res);
    }

    /** Goes on with this thread's started putManys after a reap; calls the {@code done} of those over. */
    public void runStarted() {
        file.engine().runStarted();
    }

    /** Waits until every putMany this thread started is over (their {@code done} called). */
    public void awaitStarted() {
        file.engine().awaitStarted();
    }
}
