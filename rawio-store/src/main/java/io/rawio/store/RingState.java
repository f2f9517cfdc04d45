package io.rawio.store;

import io.rawio.memory.AlignedMemory;
import io.rawio.store.SuperblockDescriptor.Superblock;
import io.rawio.store.WriteWindow.Planned;
import io.rawio.store.WriteWindow.Reinsert;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
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
 * <p>Lock order: a checkpoint's write monitor ({@link Checkpointer}) before {@link #lock}, and
 * {@link #lock} before the DRAM tier's ({@link ValueCache}); nothing else is taken while {@link #lock}
 * is held.
 */
final class RingState {
    private final Superblock sb;
    private final EvictionPolicy policy;
    private final FailureLatch failure;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a chunk leaves a ring's in-flight set or the store fails: waiting writers may go on. */
    private final Condition ringRoom = lock.newCondition();

    /** key -> position, value length, data CRC; the key living in each slot. GUARDED_BY(lock). */
    private final KeyIndex index;
    /** By slot class: cursor, writes in flight, scan start. GUARDED_BY(lock). */
    private final ClassRing[] rings;
    /** Keys with writes in flight, and the order their commits must keep. GUARDED_BY(lock). */
    private final KeyWriteOrder writeOrder = new KeyWriteOrder();
    /** Live keys with an expiry. GUARDED_BY(lock). */
    private final Expiries expiries;
    /** The next slot version (the store-wide order of writes). GUARDED_BY(lock). */
    private long nextVersion;
    /** The last checkpoint generation handed out. GUARDED_BY(lock). */
    private long generation;
    /** Keys committed since the last checkpoint snapshot. GUARDED_BY(lock). */
    private long writesSinceCheckpoint;
    // Counters since open. GUARDED_BY(lock).
    private long hits;
    private long misses;
    private long evictions;
    private long reinsertions;
    private long corruptions;
    private long expired;
    private long bytesWritten;
    private long bytesStored;
    private long checkpoints;
    /** Set once at open. */
    private final long recoveredKeys;
    private final long recoveryScanned;
    /**
     * The DRAM tier: every change of a key's value (put, delete, expiry, eviction, a corrupt slot) is
     * invalidated there under {@link #lock}, which orders the writes of a key, before it is
     * acknowledged. Lock order: {@link #lock} before the cache's own lock.
     */
    private final ValueCache cache;

    RingState(Superblock sb, KeyIndex index, Recovery.Result recovered, EvictionPolicy policy, RingBounds bounds,
            FailureLatch failure) {
        this(sb, index, recovered, policy, failure, java.time.InstantSource.system(), new ValueCache(0));
    }

    RingState(Superblock sb, KeyIndex index, Recovery.Result recovered, EvictionPolicy policy, FailureLatch failure,
            java.time.InstantSource clock, ValueCache cache) {
        this.sb = sb;
        this.cache = cache;
        this.index = index;
        this.policy = policy;
        this.failure = failure;
        this.rings = new ClassRing[sb.classes().size()];
        for (int c = 0; c < rings.length; c++) {
            long start = Superblock.position(c, 0);
            rings[c] = new ClassRing(sb.classes().get(c),
                    c < recovered.cursors().length ? recovered.cursors()[c] : start,
                    c < recovered.scanStarts().length ? recovered.scanStarts()[c] : start);
        }
        this.generation = recovered.generation();
        this.nextVersion = recovered.nextVersion();
        this.expiries = new Expiries(recovered.expiries(), clock);
        this.recoveredKeys = recovered.recoveredKeys();
        this.recoveryScanned = recovered.scanned();
    }

    /** The ring of a slot class, for tests. */
    ClassRing ring(int c) {
        return rings[c];
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
            long[] need = new long[rings.length];
            for (int i = w.from; i < w.to; i++) {
                if (w.results[i] == null) {
                    need[w.classOf(i)]++;
                }
            }
            while (!fitsAll(need) && !failure.isSet()) {
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
            long[] limit = new long[rings.length];
            for (int c = 0; c < rings.length; c++) {
                limit[c] = rings[c].bounds.limit(rings[c].oldestInFlight(), rings[c].cursor);
            }
            long[] left = need.clone(); // keys still to place, by class
            boolean[] full = new boolean[rings.length];
            for (int ch = 0; ch < w.nChunks; ch++) {
                long[] before = new long[rings.length];
                for (int c = 0; c < rings.length; c++) {
                    before[c] = rings[c].cursor;
                }
                for (int i = w.chunkFrom(ch); i < w.chunkTo(ch); i++) {
                    if (w.results[i] != null) {
                        continue;
                    }
                    int c = w.classOf(i);
                    // Pending before its slot is chosen: a reinsertion this allocation makes must not
                    // rewrite the key's old value after its new one.
                    writeOrder.planned(w.keys.get(i));
                    long p = full[c] ? -1 : allocate(rings[c], w, ch, limit[c] - left[c]);
                    left[c]--;
                    if (p < 0) {
                        writeOrder.done(w.keys.get(i));
                        full[c] = true;
                        w.results[i] = SlotStore.Result.fail(SlotStore.Status.FULL,
                                "store full: the next slot holds a live key and eviction is off"
                                + " (delete keys or use eviction)");
                        continue;
                    }
                    w.planned.add(new Planned(i, p, ch, nextVersion++));
                }
                for (int c = 0; c < rings.length; c++) {
                    if (rings[c].cursor != before[c]) {
                        w.chunkStarts[ch][c] = before[c];
                        w.hasWork[ch] = true;
                        rings[c].chunkInFlight(before[c]);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether every class's new positions fit its budget of positions in flight. GUARDED_BY(lock). */
    private boolean fitsAll(long[] need) {
        for (int c = 0; c < rings.length; c++) {
            if (need[c] > 0 && !rings[c].fits(need[c])) {
                return false;
            }
        }
        return true;
    }

    /**
     * The next position for a new slot, evicting or reinserting what is there; -1 when the policy
     * rejects. A hot resident is reinserted only below {@code reinsertBelow} (what the keys still to
     * place in this window leave of the ring's budget); past that it is evicted like any other.
     */
    private long allocate(ClassRing ring, WriteWindow w, int chunk, long reinsertBelow) {
        for (long tries = 0; tries <= ring.slotClass.slotCount(); tries++) {
            long p = ring.cursor;
            int slot = sb.slotOf(p);
            byte[] resident = index.keyInSlot(slot);
            if (resident != null) {
                int e = policy.tracksHotKeys() || !expiries.isEmpty() ? index.find(resident) : -1;
                if (e >= 0 && expiries.expiredNow(resident)) {
                    // An expired key's slot is free, whatever the policy.
                    dropLocked(resident);
                    expired++;
                    ring.cursor++;
                    return p;
                }
                boolean hot = policy.tracksHotKeys() && e >= 0 && index.isHot(e);
                EvictionPolicy.Decision d = policy.decide(hot,
                        hot && writeOrder.pending(resident), hot && w.reinserting(resident),
                        p < reinsertBelow);
                if (d == EvictionPolicy.Decision.REJECT) {
                    return -1;
                }
                if (d == EvictionPolicy.Decision.REINSERT) {
                    w.reinserts.add(new Reinsert(resident, index.positionAt(e), p, index.valueLengthAt(e),
                            index.dataCrcAt(e), chunk, index.versionAt(e)));
                    reinsertions++;
                    ring.cursor++;
                    continue;
                }
                byte[] gone = index.evictSlot(slot);
                if (gone != null && gone.length > 0) {
                    expiries.forget(gone);
                    if (cache.enabled()) {
                        cache.invalidate(gone);
                    }
                }
                evictions++;
                ring.evictions++;
            }
            ring.cursor++;
            return p;
        }
        return -1;
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
                writeOrder.done(w.keys.get(w.planned.get(q).keyIndex()));
            }
            for (int k = 0; k < rings.length; k++) {
                if (w.chunkStarts[c][k] >= 0) {
                    rings[k].chunkDone(w.chunkStarts[c][k]);
                }
            }
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
                // A write of the key planned later (a newer version) may have committed first: it stands.
                boolean newest = writeOrder.newestCommitted(key, pl.version());
                if (newest && cache.enabled()) {
                    w.cacheTokens[q] = cache.invalidate(key);
                }
                if (w.isDelete()) {
                    if (newest) {
                        index.remove(key);
                        expiries.forget(key);
                    }
                } else {
                    long valueLength = w.values.get(pl.keyIndex()).byteSize();
                    if (newest) {
                        int e = index.find(key);
                        // a new key is kept by the index, so it gets its own copy; an update keeps the index's
                        index.put(e < 0 ? key.clone() : key, pl.position(), (int) valueLength, w.dataCrcs[q]);
                        index.setVersion(pl.position(), pl.version());
                        expiries.set(key, w.expiryMs);
                    }
                    bytesStored += key.length + valueLength;
                }
                w.results[pl.keyIndex()] = SlotStore.Result.OK;
                writesSinceCheckpoint++;
            }
            for (Reinsert ri : w.reinserts) {
                if (ri.chunk() == c && mapsToLocked(ri.key(), ri.oldPosition())) {
                    index.put(ri.key(), ri.newPosition(), ri.valueLength(), ri.dataCrc());
                    index.setVersion(ri.newPosition(), ri.version());
                }
            }
        } else {
            // Never retry and assume success: the chunk fails, and so does every later write.
            w.failedBefore = true;
            failure.fail("write", err, new IOException(err)); // the first failure stays latched
            for (Reinsert ri : w.reinserts) {
                if (ri.chunk() == c && mapsToLocked(ri.key(), ri.oldPosition())) {
                    dropLocked(ri.key());
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
    record InPlace(long position, int slot, long usedBytes, int valueLength, int dataCrc, long version) {
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
            long used = SlotDescriptor.usedBlocks(key.length, valueLength, sb.slotSizeAt(position));
            dropLocked(key);
            index.markBusy(slot);
            return new InPlace(position, slot, used, valueLength, dataCrc, nextVersion++);
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

    /** Whether the key is live (present and not expired). */
    boolean contains(byte[] key) {
        lock.lock();
        try {
            return liveEntry(key) >= 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The key's table entry, or -1 when absent or expired; an expired key is dropped from the index on
     * the way (its slot is free: its header's expiry keeps it from coming back). GUARDED_BY(lock).
     */
    private int liveEntry(byte[] key) {
        int e = index.find(key);
        if (e >= 0 && expiries.expiredNow(key)) {
            dropLocked(key);
            expired++;
            return -1;
        }
        return e;
    }

    /** Removes a key from the index, the expiries and the DRAM tier. GUARDED_BY(lock). */
    private void dropLocked(byte[] key) {
        index.remove(key);
        expiries.forget(key);
        if (cache.enabled()) {
            cache.invalidate(key);
        }
    }

    /**
     * Milliseconds until the key expires: -1 when it has no expiry, -2 when it is absent or expired (as
     * Redis's PTTL answers).
     */
    long ttlMillis(byte[] key) {
        lock.lock();
        try {
            if (liveEntry(key) < 0) {
                return -2;
            }
            long at = expiries.of(key);
            return at == 0 ? -1 : Math.max(0, at - expiries.now());
        } finally {
            lock.unlock();
        }
    }

    /** Live keys. */
    long keyCount() {
        lock.lock();
        try {
            return index.size();
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
                int e = liveEntry(keys.get(i));
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

    /**
     * A get of one key answered by the DRAM tier when it can be: {@link ValueCache.Lease#ABSENT} when the
     * key is absent or expired (a miss, counted), a lease on the cached value (a hit, counted, the key
     * marked hot for a reinserting policy), or null when the key is live but not in the tier (nothing
     * counted: the caller reads it from the device through {@link #lookup}). The tier's get takes no
     * lock, so it is made under this one.
     */
    ValueCache.Lease lookupCached(byte[] key) {
        lock.lock();
        try {
            int e = liveEntry(key);
            if (e < 0) {
                misses++;
                return ValueCache.Lease.ABSENT;
            }
            ValueCache.Lease hit = cache.get(key);
            if (hit != null) {
                hits++;
                if (policy.tracksHotKeys()) {
                    index.markHot(e);
                }
            }
            return hit;
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
            dropLocked(key);
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
                dropLocked(key);
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
            long now = expiries.now();
            index.forEach((k, p, l, c) -> {
                if (!expiries.expiredAt(k, now)) {
                    out.add(new SlotStore.KeyInfo(k.clone(), l, p, c));
                }
            });
        } finally {
            lock.unlock();
        }
        return out;
    }

    /**
     * One page of a scan from {@code cursor}: live keys (with {@code prefix}, when not null) of the next
     * {@code count} home entries of the index table; see {@link KeyIndex#scan}.
     */
    SlotStore.ScanPage scan(long cursor, int count, byte[] prefix) {
        lock.lock();
        try {
            List<byte[]> out = new ArrayList<>();
            long now = expiries.now();
            long next = index.scan(cursor, count, e -> {
                byte[] k = index.keyAt(e);
                if ((prefix == null || startsWith(k, prefix)) && !expiries.expiredAt(k, now)) {
                    out.add(k.clone());
                }
            });
            return new SlotStore.ScanPage(out, next);
        } finally {
            lock.unlock();
        }
    }

    private static boolean startsWith(byte[] k, byte[] prefix) {
        return k.length >= prefix.length && java.util.Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Per slot class: slots, live keys, their value bytes, evictions since open. */
    List<SlotStore.ClassStats> classStats() {
        lock.lock();
        try {
            long[] keys = new long[rings.length];
            long[] bytes = new long[rings.length];
            index.forEachEntry(e -> {
                int c = sb.classOf(index.positionAt(e)).id();
                keys[c]++;
                bytes[c] += index.valueLengthAt(e);
            });
            List<SlotStore.ClassStats> out = new ArrayList<>();
            for (int c = 0; c < rings.length; c++) {
                out.add(new SlotStore.ClassStats(c, rings[c].slotClass.slotSize(), rings[c].slotClass.slotCount(),
                        keys[c], bytes[c], rings[c].evictions));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ checkpoints

    /** What a checkpoint writes, taken under the lock. */
    record Snapshot(long generation, long[] scanStarts, long nextVersion, long count, MemorySegment payload,
            long payloadLength) {
        /** Class 0's scan start. */
        long scanStart() {
            return scanStarts[0];
        }
    }

    /**
     * Encodes the index into a payload from {@code arena} and hands out the next generation; null when
     * the entries need more than {@code maxPayload} bytes. Each ring's scan start is its oldest position
     * still in flight (or its cursor), so a write acknowledged after the snapshot is found by the scan.
     */
    Snapshot snapshot(Arena arena, long maxPayload) {
        lock.lock();
        try {
            long[] scanStarts = new long[rings.length];
            for (int c = 0; c < rings.length; c++) {
                scanStarts[c] = rings[c].scanStartNow();
            }
            long payloadLength = CheckpointDescriptor.payloadLength(index.size(), index.keyBytes());
            if (payloadLength > maxPayload) {
                return null;
            }
            MemorySegment payload = AlignedMemory.allocate(arena,
                    Math.max(SlotStore.BLOCK_SIZE, Blocks.roundUp(payloadLength, SlotStore.BLOCK_SIZE)),
                    SlotStore.BLOCK_SIZE);
            long[] at = {0};
            index.forEachEntry(e -> {
                byte[] k = index.keyAt(e);
                at[0] = CheckpointDescriptor.encodeEntry(payload, at[0], k, index.positionAt(e), index.valueLengthAt(e),
                        index.dataCrcAt(e), index.versionAt(e), expiries.of(k));
            });
            if (at[0] != payloadLength) {
                throw new IllegalStateException("index key bytes out of step: wrote " + at[0]
                        + " checkpoint bytes, expected " + payloadLength);
            }
            writesSinceCheckpoint = 0;
            return new Snapshot(++generation, scanStarts, nextVersion, index.size(), payload, payloadLength);
        } finally {
            lock.unlock();
        }
    }

    void checkpointWritten(long[] scanStarts, long bytes) {
        lock.lock();
        try {
            for (int c = 0; c < rings.length; c++) {
                rings[c].checkpointScanStart = scanStarts[c];
            }
            checkpoints++;
            bytesWritten += bytes;
        } finally {
            lock.unlock();
        }
    }

    /** The most positions any ring allocated since the scan start of the last checkpoint, as a share of
     * the threshold {@code autoPositions} gives for that ring's size: the checkpointer writes one when
     * any ring passes its threshold. */
    boolean checkpointDue(java.util.function.LongUnaryOperator autoPositions) {
        lock.lock();
        try {
            for (ClassRing r : rings) {
                if (r.cursor - r.checkpointScanStart > autoPositions.applyAsLong(r.slotClass.slotCount())) {
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Positions allocated in class 0 since the scan start of the last checkpoint (for tests). */
    long positionsSinceCheckpoint() {
        lock.lock();
        try {
            return rings[0].cursor - rings[0].checkpointScanStart;
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
                    recoveryScanned, openMillis, index.memoryBytes(), expired);
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
