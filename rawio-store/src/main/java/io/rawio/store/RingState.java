package io.rawio.store;

import io.rawio.store.SuperblockDescriptor.Superblock;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

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
    /** Versions, generation and counters. GUARDED_BY(lock). */
    private final RingCounters n = new RingCounters();
    /** Keys that left the index since the oldest write in flight was planned (several classes). GUARDED_BY(lock). */
    private final RemovedKeys removed;
    /** Plans and commits windows; called with {@link #lock} held. */
    private final WindowPlanner planner;
    /** Lists keys, scan pages and class stats; called with {@link #lock} held. */
    private final IndexListing listing;
    /** Set once at open. */
    private final long recoveredKeys;
    private final long recoveryScanned;
    /**
     * The DRAM tier: every change of a key's value (put, delete, expiry, eviction, a corrupt slot) is
     * invalidated there under {@link #lock}, which orders the writes of a key, before it is
     * acknowledged. Lock order: {@link #lock} before the cache's own lock.
     */
    private final ValueCache cache;

    /** A ring state with the system clock and no DRAM tier. */
    RingState(Superblock sb, KeyIndex index, Recovery.Result recovered, EvictionPolicy policy, FailureLatch failure) {
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
        n.generation = recovered.generation();
        n.nextVersion = recovered.nextVersion();
        n.expired = recovered.expired();
        this.expiries = new Expiries(recovered.expiries(), clock);
        this.removed = new RemovedKeys(rings.length > 1);
        this.planner = new WindowPlanner(sb, index, rings, writeOrder, expiries, cache, policy, failure, n, removed);
        this.listing = new IndexListing(sb, index, rings, expiries);
        this.recoveredKeys = recovered.recoveredKeys();
        this.recoveryScanned = recovered.scanned();
    }

    // ------------------------------------------------------------------ writes

    /**
     * Plans a window: waits until its positions fit each class's budget of positions in flight (or the
     * store failed), then gives each key without a result a position (see {@link WindowPlanner#plan}).
     */
    void plan(WriteWindow w) {
        lock.lock();
        try {
            while (true) {
                planner.plan(w, need -> {
                    while (!planner.fitsAll(need) && !failure.isSet()) {
                        ringRoom.awaitUninterruptibly();
                    }
                    return true;
                });
                if (!planner.blockedBeforeAnyPlan(w)) {
                    return;
                }
                // Eviction off, and the first slot it needs is about to be freed by a write in flight: wait for it.
                while (planner.stillBlocked(w) && !failure.isSet()) {
                    ringRoom.awaitUninterruptibly();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #plan} if the window fits the budget now and its first slot is not waiting to be freed (or
     * the store failed); else false, planning nothing.
     */
    boolean tryPlan(WriteWindow w) {
        lock.lock();
        try {
            return planner.plan(w, need -> planner.fitsAll(need) || failure.isSet()) && !planner.blockedBeforeAnyPlan(w);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Commits chunk {@code c} (see {@link WindowPlanner#commit}). Either way the chunk leaves the
     * in-flight set and waiting writers are woken.
     */
    void commit(WriteWindow w, int c) {
        w.committed[c] = true;
        lock.lock();
        try {
            planner.commit(w, c);
        } finally {
            planner.reinsertsDone(w, c);
            // Whatever happened above, the chunk leaves the in-flight set, or every writer waits; a
            // chunk with old slots to retire leaves once they are (see retired), so that a checkpoint
            // taken before then still scans its slots, whose headers name the slots to retire.
            if (!w.heldForRetire[c]) {
                planner.leave(w, c);
            }
            ringRoom.signalAll();
            lock.unlock();
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

    void addBytesWritten(long bytes) {
        lock.lock();
        try {
            n.bytesWritten += bytes;
        } finally {
            lock.unlock();
        }
    }

    /** {@link WindowPlanner#takeForDeleteInPlace} once no write of the key is in flight, or the store failed
     * ({@link InPlaceDelete} says why); null when the key is absent. */
    WindowPlanner.InPlace takeForDeleteInPlace(byte[] key) {
        lock.lock();
        try {
            while (planner.writePending(key) && !failure.isSet()) {
                ringRoom.awaitUninterruptibly();
            }
            return planner.takeForDeleteInPlace(key);
        } finally {
            lock.unlock();
        }
    }

    void releaseInPlace(WindowPlanner.InPlace d) {
        lock.lock();
        try {
            planner.release(d.slot());
            ringRoom.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The window's old slots were retired (or their retirement failed, which failed the store): they
     * are released, and the chunks held for them leave flight. Idempotent.
     */
    void retired(WriteWindow w) {
        lock.lock();
        try {
            if (w.retiresReleased) {
                return;
            }
            w.retiresReleased = true;
            for (SlotRetirement.Stale s : w.retires) {
                planner.release(s.slot());
            }
            for (int c = 0; c < w.nChunks; c++) {
                if (w.heldForRetire[c]) {
                    w.heldForRetire[c] = false;
                    planner.leave(w, c);
                }
            }
            ringRoom.signalAll();
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
            n.expired++;
            return -1;
        }
        return e;
    }

    /** Where the next {@link #dropExpired} visit of the expiry table starts. GUARDED_BY(lock). */
    private int expiryCursor;

    /**
     * Drops from the index the keys whose expiry has passed among the next {@code visit} entries of the
     * expiry table (all of them when {@code visit} covers the table), as a lookup drops an expired key:
     * their slots are free, and their headers' expiry keeps them from coming back. Returns how many.
     */
    int dropExpired(int visit) {
        lock.lock();
        try {
            if (expiries.isEmpty()) {
                return 0;
            }
            List<byte[]> gone = new ArrayList<>();
            expiryCursor = expiries.expiredFrom(expiryCursor, visit, expiries.now(), gone);
            for (byte[] k : gone) {
                dropLocked(k);
                n.expired++;
            }
            return gone.size();
        } finally {
            lock.unlock();
        }
    }

    /** Keys that carry an expiry (INFO keyspace's expires). */
    long keysWithExpiry() {
        return locked(() -> expiries.size());
    }

    /** Removes a key from the index, the expiries and the DRAM tier. GUARDED_BY(lock). */
    private void dropLocked(byte[] key) {
        if (removed.enabled()) {
            int e = index.find(key);
            removed.removed(key, e >= 0 ? index.versionAt(e) : 0, n.nextVersion);
        }
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

    /** When the key expires (ms since the epoch), 0 when it has no expiry, -1 when it is absent or expired. */
    long expiresAtMillis(byte[] key) {
        lock.lock();
        try {
            return liveEntry(key) < 0 ? -1 : expiries.of(key);
        } finally {
            lock.unlock();
        }
    }

    /** The length of the key's value, or -1 when the key is absent or expired. */
    long valueLength(byte[] key) {
        lock.lock();
        try {
            int e = liveEntry(key);
            return e < 0 ? -1 : index.valueLengthAt(e);
        } finally {
            lock.unlock();
        }
    }

    /** Live keys. */
    long keyCount() {
        return locked(() -> index.size());
    }

    /**
     * Looks up keys [from, to): position (or -1 when absent), value length and data CRC into the arrays
     * at index {@code i - base}; counts hits and misses, and marks hits hot for a reinserting policy.
     */
    void lookup(List<byte[]> keys, int from, int to, int base, long[] pos, int[] len, int[] crc) {
        lock.lock();
        try {
            for (int i = from; i < to; i++) {
                int e = liveEntry(keys.get(i));
                if (e < 0) {
                    n.misses++;
                    pos[i - base] = -1;
                    continue;
                }
                n.hits++;
                if (policy.tracksHotKeys()) {
                    index.markHot(e);
                }
                pos[i - base] = index.positionAt(e);
                len[i - base] = index.valueLengthAt(e);
                crc[i - base] = index.dataCrcAt(e);
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
                n.misses++;
                return ValueCache.Lease.ABSENT;
            }
            ValueCache.Lease hit = cache.get(key);
            if (hit != null) {
                n.hits++;
                if (policy.tracksHotKeys()) {
                    index.markHot(e);
                }
            }
            return hit;
        } finally {
            lock.unlock();
        }
    }

    /** {@link #copyCached}'s answer when the key is live but not in the DRAM tier. */
    static final long NOT_CACHED = Long.MIN_VALUE;

    /**
     * A get into the caller's memory answered by the DRAM tier when it can be, with no lease object:
     * the length copied; -1 when the key is absent or expired (a miss, counted); {@link #NOT_CACHED}
     * (nothing counted: the caller reads the device); or -2 - the length when {@code into} is too small.
     */
    long copyCached(byte[] key, MemorySegment into) {
        lock.lock();
        try {
            int e = liveEntry(key);
            if (e < 0) {
                n.misses++;
                return -1;
            }
            long r = cache.copyInto(key, into);
            if (r == -1) {
                return NOT_CACHED;
            }
            n.hits++;
            if (policy.tracksHotKeys()) {
                index.markHot(e);
            }
            return r;
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
            n.corruptions++;
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
    List<KeyInfo> keys() {
        return locked(listing::keys);
    }

    /** One page of a scan from {@code cursor} (see {@link IndexListing#scan}). */
    ScanPage scan(long cursor, int count, byte[] prefix) {
        return locked(() -> listing.scan(cursor, count, prefix));
    }

    /** Per slot class: slots, live keys, their value bytes, evictions since open. */
    List<ClassStats> classStats() {
        return locked(listing::classStats);
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * What the next checkpoint writes, copied under the lock ({@link IndexSnapshot}); null when the
     * entries need more than {@code maxPayload} bytes. Each ring's scan start is its oldest position still
     * in flight (or its cursor), so a write acknowledged after the snapshot is found by the scan.
     */
    IndexSnapshot snapshot(long maxPayload) {
        lock.lock();
        try {
            long[] scanStarts = new long[rings.length];
            for (int c = 0; c < rings.length; c++) {
                scanStarts[c] = rings[c].scanStartNow();
            }
            List<RemovedKeys.Removal> gone = removed.live();
            long count = index.size() + gone.size();
            long payloadLength = CheckpointDescriptor.payloadLength(count, index.keyBytes() + removed.keyBytes());
            if (payloadLength > maxPayload) {
                return null;
            }
            return new IndexSnapshot(scanStarts, n.nextVersion, index.entriesCopy(), expiries.copy(), gone, count,
                    payloadLength, n.writesSinceCheckpoint);
        } finally {
            lock.unlock();
        }
    }

    /** The generation of the checkpoint about to be written: one past the last handed out. */
    long nextGeneration() {
        return locked(() -> ++n.generation);
    }

    /** Checkpoint {@code s} landed ({@code bytes} written): its scan starts are where recovery starts now. */
    void checkpointWritten(IndexSnapshot s, long bytes) {
        lock.lock();
        try {
            for (int c = 0; c < rings.length; c++) {
                rings[c].checkpointScanStart = s.scanStarts()[c];
            }
            n.writesSinceCheckpoint -= s.writes();
            n.checkpoints++;
            n.bytesWritten += bytes;
        } finally {
            lock.unlock();
        }
    }

    /** Whether any ring allocated more positions since the scan start of the last checkpoint that landed
     * than {@code autoPositions} gives for that ring's size. */
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
        return locked(() -> rings[0].cursor - rings[0].checkpointScanStart);
    }

    long writesSinceCheckpoint() {
        return locked(() -> n.writesSinceCheckpoint);
    }

    /** Whether a checkpoint at close would record anything new: writes, or keys only the scan found. */
    boolean changedSinceCheckpoint() {
        return locked(() -> n.writesSinceCheckpoint > 0 || recoveredKeys > 0);
    }

    // ------------------------------------------------------------------ stats

    StoreStats stats(long openMillis) {
        return locked(() -> new StoreStats(index.size(), index.valueBytes(), sb.slotCount(), sb.slotSize(), n.hits,
                n.misses, n.evictions, n.reinsertions, n.corruptions, n.bytesWritten, n.bytesStored, n.checkpoints,
                recoveredKeys, recoveryScanned, openMillis, index.memoryBytes(), n.expired));
    }

    double meanProbeLength() {
        return locked(() -> index.meanProbeLength());
    }

    /** {@code body}'s answer, computed with {@link #lock} held: for the calls off the hot paths. */
    private <T> T locked(Supplier<T> body) {
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }
}
