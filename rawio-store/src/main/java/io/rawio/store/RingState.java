package io.rawio.store;

import io.rawio.memory.AlignedMemory;
import io.rawio.store.SuperblockDescriptor.Superblock;
import io.rawio.store.WriteWindow.Planned;
import io.rawio.store.WriteWindow.Reinsert;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The store's in-memory state and the one lock that guards it: the index, the ring cursor, the writes
 * in flight, and the counters. The only class that takes the lock; it holds it to plan, look up and
 * commit, never across I/O. Everything that touches the device runs outside, in the write pipeline, the
 * read path, the checkpointer and the checker, and comes back here with what it found.
 *
 * <p>Lock order: a checkpoint's write monitor ({@link Checkpointer}) before {@link #lock}; nothing is
 * taken while {@link #lock} is held.
 */
final class RingState {
    private final Superblock sb;
    private final RingBounds bounds;
    private final EvictionPolicy policy;
    private final FailureLatch failure;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a chunk leaves {@link #inFlight} or the store fails: waiting writers may go on. */
    private final Condition ringRoom = lock.newCondition();

    /** key -> position, value length, data CRC; the key living in each slot. GUARDED_BY(lock). */
    private final KeyIndex index;
    /** The next position to allocate. GUARDED_BY(lock). */
    private long cursor;
    /** First position of each chunk in flight -> chunks starting there. GUARDED_BY(lock). */
    private final TreeMap<Long, Integer> inFlight = new TreeMap<>();
    /**
     * With a reinserting policy, keys with a write (value or tombstone) planned and not yet committed:
     * never reinserted meanwhile. Empty otherwise. GUARDED_BY(lock).
     */
    private final HashMap<ByteBuffer, Integer> pendingKeys = new HashMap<>();
    /** The last checkpoint generation handed out. GUARDED_BY(lock). */
    private long generation;
    /** Keys committed since the last checkpoint snapshot. GUARDED_BY(lock). */
    private long writesSinceCheckpoint;
    /** Where recovery would start reading if the process died now. GUARDED_BY(lock). */
    private long checkpointScanStart;
    // Counters since open. GUARDED_BY(lock).
    private long hits;
    private long misses;
    private long evictions;
    private long reinsertions;
    private long corruptions;
    private long bytesWritten;
    private long bytesStored;
    private long checkpoints;
    /** Set once at open. */
    private final long recoveredKeys;
    private final long recoveryScanned;

    RingState(Superblock sb, KeyIndex index, Recovery.Result recovered, EvictionPolicy policy, RingBounds bounds,
            FailureLatch failure) {
        this.sb = sb;
        this.index = index;
        this.policy = policy;
        this.bounds = bounds;
        this.failure = failure;
        this.cursor = recovered.cursor();
        this.generation = recovered.generation();
        this.checkpointScanStart = recovered.checkpointScanStart();
        this.recoveredKeys = recovered.recoveredKeys();
        this.recoveryScanned = recovered.scanned();
    }

    // ------------------------------------------------------------------ writes

    /**
     * Plans a window: waits until its positions fit the ring's budget (or the store failed), then gives
     * each key without a result a position, evicting or reinserting the residents on the way. A failed
     * store plans nothing and evicts nothing: every key gets FAILED. The chunks that planned anything
     * are in flight until {@link #commit}.
     */
    void plan(WriteWindow w) {
        lock.lock();
        try {
            long need = w.to - w.from;
            while (!bounds.fits(oldestInFlight(), cursor, need) && !failure.isSet()) {
                ringRoom.awaitUninterruptibly();
            }
            if (failure.isSet()) {
                for (int i = w.from; i < w.to; i++) {
                    if (w.results[i] == null) {
                        w.results[i] = SlotStore.Result.fail(SlotStore.Status.FAILED, failure.refusal());
                    }
                }
                return;
            }
            long limit = bounds.limit(oldestInFlight(), cursor);
            boolean full = false;
            for (int c = 0; c < w.nChunks; c++) {
                w.chunkStart[c] = cursor;
                int plannedBefore = w.planned.size();
                int reinsertsBefore = w.reinserts.size();
                for (int i = w.chunkFrom(c); i < w.chunkTo(c); i++) {
                    if (w.results[i] != null) {
                        continue;
                    }
                    // Pending before its slot is chosen: a reinsertion this allocation makes must not
                    // rewrite the key's old value after its new one.
                    pend(w.keys.get(i));
                    long p = full ? -1 : allocate(w, c, limit - (w.to - i));
                    if (p < 0) {
                        unpend(w.keys.get(i));
                        full = true;
                        w.results[i] = SlotStore.Result.fail(SlotStore.Status.FULL,
                                "store full: the next slot holds a live key and eviction is off"
                                + " (delete keys or use eviction)");
                        continue;
                    }
                    w.planned.add(new Planned(i, p, c));
                }
                w.hasWork[c] = w.planned.size() > plannedBefore || w.reinserts.size() > reinsertsBefore;
                if (w.hasWork[c]) {
                    inFlight.merge(w.chunkStart[c], 1, Integer::sum);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The next position for a new slot, evicting or reinserting what is there; -1 when the policy
     * rejects. A hot resident is reinserted only below {@code reinsertBelow} (what the keys still to
     * place in this window leave of the ring's budget); past that it is evicted like any other.
     */
    private long allocate(WriteWindow w, int chunk, long reinsertBelow) {
        for (long tries = 0; tries <= sb.slotCount(); tries++) {
            long p = cursor;
            int slot = sb.slotOf(p);
            byte[] resident = index.keyInSlot(slot);
            if (resident != null) {
                int e = policy.tracksHotKeys() ? index.find(resident) : -1;
                boolean hot = e >= 0 && index.isHot(e);
                EvictionPolicy.Decision d = policy.decide(hot,
                        hot && pendingKeys.containsKey(ByteBuffer.wrap(resident)), hot && w.reinserting(resident),
                        p < reinsertBelow);
                if (d == EvictionPolicy.Decision.REJECT) {
                    return -1;
                }
                if (d == EvictionPolicy.Decision.REINSERT) {
                    w.reinserts.add(new Reinsert(resident, index.positionAt(e), p, index.valueLengthAt(e),
                            index.dataCrcAt(e), chunk));
                    reinsertions++;
                    cursor++;
                    continue;
                }
                index.evictSlot(slot);
                evictions++;
            }
            cursor++;
            return p;
        }
        return -1;
    }

    private void pend(byte[] key) {
        if (policy.tracksHotKeys()) {
            pendingKeys.merge(ByteBuffer.wrap(key), 1, Integer::sum);
        }
    }

    private void unpend(byte[] key) {
        if (policy.tracksHotKeys()) {
            pendingKeys.computeIfPresent(ByteBuffer.wrap(key), (k, v) -> v == 1 ? null : v - 1);
        }
    }

    /** The first position of the oldest write in flight, or -1. GUARDED_BY(lock). */
    private long oldestInFlight() {
        return inFlight.isEmpty() ? -1 : inFlight.firstKey();
    }

    /**
     * Commits chunk {@code c} to the index when it and every chunk before it succeeded, else fails it
     * (and the store: a failed write is never retried and assumed landed). Either way the chunk leaves
     * the in-flight set and waiting writers are woken.
     */
    void commit(WriteWindow w, int c) {
        w.committed[c] = true;
        lock.lock();
        try {
            commitLocked(w, c);
        } finally {
            // Whatever happened above, the chunk leaves the in-flight set, or every writer waits.
            int[] range = w.chunkRange(c);
            for (int q = range[0]; q < range[1]; q++) {
                unpend(w.keys.get(w.planned.get(q).keyIndex()));
            }
            inFlight.computeIfPresent(w.chunkStart[c], (k, v) -> v == 1 ? null : v - 1);
            ringRoom.signalAll();
            lock.unlock();
        }
    }

    private void commitLocked(WriteWindow w, int c) {
        String err = w.chunkError[c];
        if (err == null && (w.failedBefore || w.canceled[c])) {
            err = w.thrown != null ? "put not written: " + w.thrown : failure.refusal();
        }
        int[] range = w.chunkRange(c);
        if (err == null) {
            for (int q = range[0]; q < range[1]; q++) {
                Planned pl = w.planned.get(q);
                byte[] key = w.keys.get(pl.keyIndex());
                int e = index.find(key);
                if (w.isDelete()) {
                    if ((e >= 0 ? index.positionAt(e) : -1) < pl.position()) {
                        index.remove(key);
                    }
                } else {
                    long valueLength = w.values.get(pl.keyIndex()).byteSize();
                    if (e < 0 || index.positionAt(e) < pl.position()) {
                        // a new key is kept by the index, so it gets its own copy; an update keeps the index's
                        index.put(e < 0 ? key.clone() : key, pl.position(), (int) valueLength, w.dataCrcs[q]);
                    }
                    bytesStored += key.length + valueLength;
                }
                w.results[pl.keyIndex()] = SlotStore.Result.OK;
                writesSinceCheckpoint++;
            }
            for (Reinsert ri : w.reinserts) {
                if (ri.chunk() == c && mapsToLocked(ri.key(), ri.oldPosition())) {
                    index.put(ri.key(), ri.newPosition(), ri.valueLength(), ri.dataCrc());
                }
            }
        } else {
            // Never retry and assume success: the chunk fails, and so does every later write.
            w.failedBefore = true;
            failure.fail("write", err, new IOException(err)); // the first failure stays latched
            for (Reinsert ri : w.reinserts) {
                if (ri.chunk() == c && mapsToLocked(ri.key(), ri.oldPosition())) {
                    index.remove(ri.key());
                }
            }
            for (int q = range[0]; q < range[1]; q++) {
                w.results[w.planned.get(q).keyIndex()] = SlotStore.Result.fail(SlotStore.Status.FAILED, err);
            }
        }
    }

    /** Wakes writers waiting for room, after the store failed: they stop before planning anything. */
    void failed() {
        lock.lock();
        try {
            ringRoom.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void addBytesWritten(long n) {
        lock.lock();
        try {
            bytesWritten += n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A key deleted in place: where its slot is, the blocks its value covered, and the value's length
     * and data CRC as the index had them.
     */
    record InPlace(long position, int slot, long usedBytes, int valueLength, int dataCrc) {
    }

    /**
     * Takes a key out of the index for a delete in place and marks its slot busy (no put may take the
     * slot until {@link #releaseInPlace}); null when the key is absent.
     */
    InPlace takeForDeleteInPlace(byte[] key) {
        lock.lock();
        try {
            int e = index.find(key);
            if (e < 0) {
                return null;
            }
            long position = index.positionAt(e);
            int slot = sb.slotOf(position);
            int valueLength = index.valueLengthAt(e);
            int dataCrc = index.dataCrcAt(e);
            long used = SlotDescriptor.usedBlocks(key.length, valueLength, sb.slotSize());
            index.remove(key);
            index.markBusy(slot);
            return new InPlace(position, slot, used, valueLength, dataCrc);
        } finally {
            lock.unlock();
        }
    }

    void releaseInPlace(InPlace d) {
        lock.lock();
        try {
            index.clearBusy(d.slot());
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ reads

    boolean contains(byte[] key) {
        lock.lock();
        try {
            return index.find(key) >= 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Looks up keys [from, to): position (or -1 when absent), value length and data CRC into the arrays
     * at index {@code i - from}; counts hits and misses, and marks hits hot for a reinserting policy.
     */
    void lookup(List<byte[]> keys, int from, int to, long[] pos, int[] len, int[] crc) {
        lock.lock();
        try {
            for (int i = from; i < to; i++) {
                int e = index.find(keys.get(i));
                if (e < 0) {
                    misses++;
                    pos[i - from] = -1;
                    continue;
                }
                hits++;
                if (policy.tracksHotKeys()) {
                    index.markHot(e);
                }
                pos[i - from] = index.positionAt(e);
                len[i - from] = index.valueLengthAt(e);
                crc[i - from] = index.dataCrcAt(e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the index maps {@code key} to {@code position} (it was not rewritten, evicted or deleted). */
    boolean mapsTo(byte[] key, long position) {
        lock.lock();
        try {
            return mapsToLocked(key, position);
        } finally {
            lock.unlock();
        }
    }

    private boolean mapsToLocked(byte[] key, long position) {
        int e = index.find(key);
        return e >= 0 && index.positionAt(e) == position;
    }

    /**
     * A read of {@code key} at {@code position} failed its check: when the key still lives there, it is
     * corrupt and dropped (true); otherwise it left meanwhile (a slot is rewritten only after its key
     * left the index) and the read was a miss (false).
     */
    boolean dropCorrupt(byte[] key, long position) {
        lock.lock();
        try {
            if (!mapsToLocked(key, position)) {
                return false;
            }
            corruptions++;
            index.remove(key);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A read of {@code key} at {@code position} found the key's own tombstone there (a delete in place
     * that a restart's older checkpoint did not know of): the key is dropped as deleted, not counted
     * as corrupt.
     */
    void dropDeleted(byte[] key, long position) {
        lock.lock();
        try {
            if (mapsToLocked(key, position)) {
                index.remove(key);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Every key with its value length, position and data CRC, copied. */
    List<SlotStore.KeyInfo> keys() {
        List<SlotStore.KeyInfo> out = new ArrayList<>();
        lock.lock();
        try {
            index.forEach((k, p, l, c) -> out.add(new SlotStore.KeyInfo(k.clone(), l, p, c)));
        } finally {
            lock.unlock();
        }
        return out;
    }

    // ------------------------------------------------------------------ checkpoints

    /** What a checkpoint writes, taken under the lock. */
    record Snapshot(long generation, long scanStart, long count, MemorySegment payload, long payloadLength) {
    }

    /**
     * Encodes the index into a payload from {@code arena} and hands out the next generation; null when
     * the entries need more than {@code maxPayload} bytes. The scan start is the oldest position still
     * in flight (or the cursor), so a write acknowledged after the snapshot is found by the scan.
     */
    Snapshot snapshot(Arena arena, long maxPayload) {
        lock.lock();
        try {
            long scanStart = inFlight.isEmpty() ? cursor : Math.min(cursor, inFlight.firstKey());
            long payloadLength = CheckpointDescriptor.payloadLength(index.size(), index.keyBytes());
            if (payloadLength > maxPayload) {
                return null;
            }
            MemorySegment payload = AlignedMemory.allocate(arena,
                    Math.max(SlotStore.BLOCK_SIZE, Blocks.roundUp(payloadLength, SlotStore.BLOCK_SIZE)),
                    SlotStore.BLOCK_SIZE);
            long[] at = {0};
            index.forEach((k, p, l, c) -> at[0] = CheckpointDescriptor.encodeEntry(payload, at[0], k, p, l, c));
            if (at[0] != payloadLength) {
                throw new IllegalStateException("index key bytes out of step: wrote " + at[0]
                        + " checkpoint bytes, expected " + payloadLength);
            }
            writesSinceCheckpoint = 0;
            return new Snapshot(++generation, scanStart, index.size(), payload, payloadLength);
        } finally {
            lock.unlock();
        }
    }

    void checkpointWritten(long scanStart, long bytes) {
        lock.lock();
        try {
            checkpointScanStart = scanStart;
            checkpoints++;
            bytesWritten += bytes;
        } finally {
            lock.unlock();
        }
    }

    /** Positions allocated since the scan start of the last checkpoint. */
    long positionsSinceCheckpoint() {
        lock.lock();
        try {
            return cursor - checkpointScanStart;
        } finally {
            lock.unlock();
        }
    }

    long writesSinceCheckpoint() {
        lock.lock();
        try {
            return writesSinceCheckpoint;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a checkpoint at close would record anything new: writes, or keys only the scan found. */
    boolean changedSinceCheckpoint() {
        lock.lock();
        try {
            return writesSinceCheckpoint > 0 || recoveredKeys > 0;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ stats

    StoreStats stats(long openMillis) {
        lock.lock();
        try {
            return new StoreStats(index.size(), index.valueBytes(), sb.slotCount(), sb.slotSize(), hits, misses,
                    evictions, reinsertions, corruptions, bytesWritten, bytesStored, checkpoints, recoveredKeys,
                    recoveryScanned, openMillis, index.memoryBytes());
        } finally {
            lock.unlock();
        }
    }

    double meanProbeLength() {
        lock.lock();
        try {
            return index.meanProbeLength();
        } finally {
            lock.unlock();
        }
    }
}
