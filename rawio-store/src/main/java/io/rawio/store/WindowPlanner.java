package io.rawio.store;

import io.rawio.store.SuperblockDescriptor.Superblock;
import io.rawio.store.WriteWindow.Planned;
import io.rawio.store.WriteWindow.Reinsert;
import java.io.IOException;

/**
 * What happens to a window of writes under the ring state's lock: planning (a position per key, the
 * residents of the slots on the way evicted or reinserted, within each class's budget of positions in
 * flight) and committing (the index, the expiries and the DRAM tier updated in the order the writes
 * were planned). Every method is called with {@code RingState.lock} held and does no I/O; it never
 * takes a lock itself, and the state it changes is the ring state's, GUARDED_BY(RingState.lock).
 */
final class WindowPlanner {
    private final Superblock sb;
    private final KeyIndex index;
    private final ClassRing[] rings;
    private final KeyWriteOrder writeOrder;
    private final Expiries expiries;
    private final ValueCache cache;
    private final EvictionPolicy policy;
    private final FailureLatch failure;
    private final RingCounters n;
    private final RemovedKeys removed;
    /**
     * Slots with a reinsertion planned and not yet committed: the resident's old value is being
     * rewritten there at a new position. A move of that key retires the slot once the reinsertion
     * committed, not before, or the two writes could land in either order. GUARDED_BY(RingState.lock).
     */
    private final java.util.Set<Integer> reinserting = new java.util.HashSet<>();

    WindowPlanner(Superblock sb, KeyIndex index, ClassRing[] rings, KeyWriteOrder writeOrder, Expiries expiries,
            ValueCache cache, EvictionPolicy policy, FailureLatch failure, RingCounters counters, RemovedKeys removed) {
        this.sb = sb;
        this.index = index;
        this.rings = rings;
        this.writeOrder = writeOrder;
        this.expiries = expiries;
        this.cache = cache;
        this.policy = policy;
        this.failure = failure;
        this.n = counters;
        this.removed = removed;
    }

    private boolean mapsToLocked(byte[] key, long position) {
        int e = index.find(key);
        return e >= 0 && index.positionAt(e) == position;
    }

    /** Removes a key from the index, the expiries and the DRAM tier. */
    private void dropLocked(byte[] key) {
        dropLocked(key, 0);
    }

    /** {@link #dropLocked(byte[])} by a change of {@code version} (0: none of its own). */
    private void dropLocked(byte[] key, long version) {
        int e = index.find(key);
        removing(key, e, version);
        index.removeAt(e);
        expiries.forget(key);
        if (cache.enabled()) {
            cache.invalidate(key);
        }
    }

    /**
     * Records that {@code key} leaves the index, with the higher of its entry's version ({@code e}, from
     * {@link KeyIndex#find}; -1 when absent) and {@code version} (a tombstone's), for the next checkpoint
     * ({@link RemovedKeys}).
     */
    private void removing(byte[] key, int e, long version) {
        if (removed.enabled()) {
            removed.removed(key, Math.max(version, e >= 0 ? index.versionAt(e) : 0), n.nextVersion);
        }
    }

    /**
     * Plans a window: waits until its positions fit the ring's budget (or the store failed), then gives
     * each key without a result a position, evicting or reinserting the residents on the way. A failed
     * store plans nothing and evicts nothing: every key gets FAILED. The chunks that planned anything
     * are in flight until {@link #commit}. {@code waitUntilFits} is the ring state's wait for room
     * (it releases the lock while it waits); when it answers false, nothing is planned and false returned.
     *
     * <p>Without eviction, a slot whose resident has a write in flight (a newer value or a tombstone, of
     * this window or another) is free once that write commits: one put after another would find it
     * free. Planning stops there ({@link WriteWindow#resumeAt}; the keys from there on are the next
     * window's), and when nothing was planned yet the caller waits for that write
     * ({@link #blockedBeforeAnyPlan}). It is not overwritten before: its value is the key's last
     * acknowledged one until the newer one is written.
     */
    boolean plan(WriteWindow w, java.util.function.Predicate<long[]> waitUntilFits) {
        w.resumeAt = w.to;
        w.blockedSlot = -1;
        w.blockedBy = null;
        long[] need = new long[rings.length];
        for (int i = w.from; i < w.to; i++) {
            if (w.results[i] == null) {
                need[w.classOf(i)]++;
            }
        }
        if (!waitUntilFits.test(need)) {
            return false; // no room now, and the caller will not wait here
        }
        if (failure.isSet()) {
            for (int i = w.from; i < w.to; i++) {
                if (w.results[i] == null) {
                    w.results[i] = SlotStore.Result.fail(SlotStore.Status.FAILED, failure.refusal());
                }
            }
            return true;
        }
        w.planStamp = n.nextVersion;
        long[] limit = new long[rings.length];
        for (int c = 0; c < rings.length; c++) {
            limit[c] = rings[c].bounds.limit(rings[c].oldestInFlight(), rings[c].cursor);
        }
        long[] left = need.clone(); // keys still to place, by class
        boolean[] full = new boolean[rings.length];
        boolean stopped = false;
        for (int ch = 0; ch < w.nChunks && !stopped; ch++) {
            long[] before = new long[rings.length];
            for (int c = 0; c < rings.length; c++) {
                before[c] = rings[c].cursor;
            }
            for (int i = w.chunkFrom(ch); i < w.chunkTo(ch); i++) {
                if (w.results[i] != null) {
                    continue;
                }
                int c = w.classOf(i);
                if (w.isDelete() && index.find(w.keys.get(i)) < 0) {
                    // Its key left the index since the caller looked (evicted by this window's earlier
                    // tombstones, say): it is gone, and no tombstone is written for it (which would evict
                    // the next key for nothing).
                    left[c]--;
                    w.results[i] = SlotStore.Result.OK;
                    continue;
                }
                // Pending before its slot is chosen: a reinsertion this allocation makes must not
                // rewrite the key's old value after its new one.
                writeOrder.planned(w.keys.get(i));
                long p = full[c] ? -1 : allocate(rings[c], w, ch, limit[c] - left[c], w.keys.get(i));
                if (p == WAIT) {
                    // Without eviction, the next slot's resident is being rewritten or deleted (by this
                    // window or another in flight): once that commits, the slot is free, as it would be
                    // for these puts made one at a time. Planning stops here; the rest is a window of its own.
                    writeOrder.done(w.keys.get(i));
                    w.resumeAt = i;
                    w.blockedSlot = sb.slotOf(rings[c].cursor);
                    w.blockedBy = index.keyInSlot(w.blockedSlot);
                    stopped = true;
                    break;
                }
                left[c]--;
                if (p < 0) {
                    writeOrder.done(w.keys.get(i));
                    full[c] = true;
                    w.results[i] = SlotStore.Result.fail(SlotStore.Status.FULL,
                            "store full: the next slot holds a live key and eviction is off"
                            + " (delete keys or use eviction)");
                    continue;
                }
                w.planned.add(new Planned(i, p, ch, n.nextVersion++, slotInOtherClass(w.keys.get(i), c)));
            }
            for (int c = 0; c < rings.length; c++) {
                if (rings[c].cursor != before[c]) {
                    w.chunkStarts[ch][c] = before[c];
                    if (!w.hasWork[ch]) {
                        removed.chunkPlanned(w.planStamp);
                    }
                    w.hasWork[ch] = true;
                    rings[c].chunkInFlight(before[c]);
                }
            }
        }
        return true;
    }

    /**
     * Whether planning {@code w} stopped before it planned anything, at a slot whose resident is still
     * about to leave it: the caller waits for that ({@link #stillBlocked}) and plans the window again.
     */
    boolean blockedBeforeAnyPlan(WriteWindow w) {
        return w.blockedSlot >= 0 && !w.hasWork();
    }

    /** Whether the resident that stopped {@code w}'s planning is still in its slot with a write of it in flight (or the slot still busy). */
    boolean stillBlocked(WriteWindow w) {
        byte[] r = index.keyInSlot(w.blockedSlot);
        return r != null && r == w.blockedBy && (r == KeyIndex.BUSY || writeOrder.pending(r));
    }

    /** The slot {@code key}'s value lives in when that is a class other than {@code c}, or -1. */
    private int slotInOtherClass(byte[] key, int c) {
        if (rings.length == 1) {
            return -1;
        }
        int e = index.find(key);
        return e >= 0 && sb.classOf(index.positionAt(e)).id() != c ? sb.slotOf(index.positionAt(e)) : -1;
    }

    /** Marks a slot no window may take until {@link #release}: its ring plans around it. */
    void markBusy(int slot) {
        index.markBusy(slot);
        rings[sb.classOfSlot(slot).id()].busy.add(slot);
    }

    /** Releases a slot {@link #markBusy} marked. */
    void release(int slot) {
        index.clearBusy(slot);
        rings[sb.classOfSlot(slot).id()].busy.remove(slot);
    }

    /**
     * Before a committed write of a key at {@code position} replaces (or, a tombstone, removes) the key's
     * entry {@code e} ({@link KeyIndex#find}; -1 when absent): when that entry is in another class, its slot is to be retired once this write's
     * chunk is done ({@link SlotRetirement}); null otherwise. Called before the index changes.
     */
    private SlotRetirement.Stale staleOf(int e, long position) {
        if (rings.length == 1) {
            return null;
        }
        if (e < 0) {
            return null;
        }
        long old = index.positionAt(e);
        if (sb.classOf(old).id() == sb.classOf(position).id()) {
            return null;
        }
        return new SlotRetirement.Stale(index.keyAt(e), old, index.versionAt(e), sb.slotOf(old));
    }

    /**
     * Whether {@code key}'s entry lies in the class of {@code position}, after it: its ring then writes
     * over {@code position} before the entry's slot, so a full scan never finds the older slot alone and
     * an overtaken put there needs no retirement (a key absent or in another class is retired).
     */
    private boolean laterInSameClass(byte[] key, long position) {
        int e = index.find(key);
        if (e < 0) {
            return false;
        }
        long at = index.positionAt(e);
        return at > position && sb.classOf(at).id() == sb.classOf(position).id();
    }

    /**
     * After the index changed: the stale slot, freed by the change, is marked busy and queued; not one
     * that holds another key or is busy already, nor one with a reinsertion in flight.
     */
    private void queueRetire(WriteWindow w, int chunk, SlotRetirement.Stale stale) {
        // A slot being reinserted is retired when that reinsertion commits (see commit).
        if (stale != null && index.keyInSlot(stale.slot()) == null && !reinserting.contains(stale.slot())) {
            markBusy(stale.slot());
            w.retires.add(stale);
            w.heldForRetire[chunk] = true;
        }
    }

    /** Whether every class's new positions fit its budget of positions in flight. */
    boolean fitsAll(long[] need) {
        for (int c = 0; c < rings.length; c++) {
            if (need[c] > 0 && !rings[c].fits(need[c])) {
                return false;
            }
        }
        return true;
    }

    /** {@link #allocate}'s answer when the policy rejects a resident that is about to leave its slot. */
    private static final long WAIT = -2;

    /**
     * The next position for a new slot of {@code key}, evicting or reinserting what is there; -1 when the
     * policy rejects, or {@link #WAIT} when it rejects a resident with a write in flight (besides this
     * one of {@code key}) or a busy slot: it is free once that is over. A hot resident is reinserted
     * only below {@code reinsertBelow} (what the keys still to place in this window leave of the ring's
     * budget); past that it is evicted like any other.
     */
    private long allocate(ClassRing ring, WriteWindow w, int chunk, long reinsertBelow, byte[] key) {
        for (long tries = 0; tries <= ring.slotClass.slotCount(); tries++) {
            long p = ring.cursor;
            int slot = sb.slotOf(p);
            byte[] resident = index.keyInSlot(slot);
            if (resident != null) {
                int e = policy.tracksHotKeys() || !expiries.isEmpty() ? index.find(resident) : -1;
                if (e >= 0 && expiries.expiredNow(resident)) {
                    // An expired key's slot is free, whatever the policy.
                    dropLocked(resident);
                    n.expired++;
                    ring.cursor++;
                    return p;
                }
                boolean hot = policy.tracksHotKeys() && e >= 0 && index.isHot(e);
                EvictionPolicy.Decision d = policy.decide(hot,
                        hot && writeOrder.pending(resident), hot && w.reinserting(resident),
                        p < reinsertBelow);
                if (d == EvictionPolicy.Decision.REJECT) {
                    return resident == KeyIndex.BUSY || writeOrder.pendingBesides(resident, key) ? WAIT : -1;
                }
                if (d == EvictionPolicy.Decision.REINSERT) {
                    w.reinserts.add(new Reinsert(resident, index.positionAt(e), p, index.valueLengthAt(e),
                            index.dataCrcAt(e), chunk, index.versionAt(e)));
                    reinserting.add(slot);
                    n.reinsertions++;
                    ring.cursor++;
                    continue;
                }
                byte[] gone;
                if (resident != KeyIndex.BUSY) {
                    // (e: the resident's entry when the policy or the expiries looked it up above)
                    int at = e >= 0 ? e : index.find(resident);
                    removing(resident, at, 0);
                    index.removeAt(at);
                    gone = resident;
                } else {
                    gone = index.evictSlot(slot);
                }
                if (gone != null && gone.length > 0) {
                    expiries.forget(gone);
                    if (cache.enabled()) {
                        cache.invalidate(gone);
                    }
                }
                n.evictions++;
                ring.evictions++;
            }
            ring.cursor++;
            return p;
        }
        return -1;
    }

    /**
     * Commits chunk {@code c} to the index when it and every chunk before it succeeded, else fails it
     * (and the store: a failed write is never retried and assumed landed).
     */
    void commit(WriteWindow w, int c) {
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
                        int e = index.find(key);
                        SlotRetirement.Stale stale = staleOf(e, pl.position());
                        removing(key, e, pl.version());
                        index.removeAt(e);
                        expiries.forget(key);
                        queueRetire(w, c, stale);
                    }
                } else {
                    long valueLength = w.values.get(pl.keyIndex()).byteSize();
                    if (newest) {
                        int e = index.find(key); // once: the stale slot and the put use the same entry
                        SlotRetirement.Stale stale = staleOf(e, pl.position());
                        // a new key is kept by the index, so it gets its own copy; an update keeps the index's
                        index.putAt(e, e < 0 ? key.clone() : key, pl.position(), (int) valueLength, w.dataCrcs[q]);
                        index.setVersion(pl.position(), pl.version());
                        expiries.set(key, w.expiryOf.applyAsLong(pl.keyIndex()));
                        queueRetire(w, c, stale);
                    } else if (rings.length > 1 && !laterInSameClass(key, pl.position())) {
                        // Overtaken: a write of the key planned later committed first, so this value never
                        // enters the index, yet its slot is on the device, older than that write. Retired
                        // like a moved key's old slot: once the newer slot is gone (evicted, its ring come
                        // round), a full scan must not bring this value back.
                        queueRetire(w, c, new SlotRetirement.Stale(key.clone(), pl.position(), pl.version(),
                                sb.slotOf(pl.position())));
                    }
                    n.bytesStored += key.length + valueLength;
                }
                w.results[pl.keyIndex()] = SlotStore.Result.OK;
                n.writesSinceCheckpoint++;
            }
            for (Reinsert ri : w.reinserts) {
                if (ri.chunk() != c) {
                    continue;
                }
                int slot = sb.slotOf(ri.newPosition());
                reinserting.remove(slot);
                if (mapsToLocked(ri.key(), ri.oldPosition())) {
                    index.put(ri.key(), ri.newPosition(), ri.valueLength(), ri.dataCrc());
                    index.setVersion(ri.newPosition(), ri.version());
                } else {
                    // The key was moved or deleted while its old value was being reinserted: that value
                    // is now live on the device at the new position, and is retired like any old slot.
                    queueRetire(w, c, new SlotRetirement.Stale(ri.key(), ri.newPosition(), ri.version(), slot));
                }
            }
        } else {
            // Never retry and assume success: the chunk fails, and so does every later write.
            w.failedBefore = true;
            failure.fail("write", err, new IOException(err)); // the first failure stays latched
            for (Reinsert ri : w.reinserts) {
                if (ri.chunk() == c) {
                    reinserting.remove(sb.slotOf(ri.newPosition()));
                    if (mapsToLocked(ri.key(), ri.oldPosition())) {
                        dropLocked(ri.key());
                    }
                }
            }
            for (int q = range[0]; q < range[1]; q++) {
                w.results[w.planned.get(q).keyIndex()] = SlotStore.Result.fail(SlotStore.Status.FAILED, err);
            }
        }
    }

    /** Chunk {@code c}'s reinsertions are no longer in flight (idempotent; after its commit, whatever happened). */
    void reinsertsDone(WriteWindow w, int c) {
        for (Reinsert ri : w.reinserts) {
            if (ri.chunk() == c) {
                reinserting.remove(sb.slotOf(ri.newPosition()));
            }
        }
    }

    /** Chunk {@code c} leaves the in-flight sets and its keys' write order, whatever happened to it. */
    void leave(WriteWindow w, int c) {
        int[] range = w.chunkRange(c);
        for (int q = range[0]; q < range[1]; q++) {
            writeOrder.done(w.keys.get(w.planned.get(q).keyIndex()));
        }
        for (int k = 0; k < rings.length; k++) {
            if (w.chunkStarts[c][k] >= 0) {
                rings[k].chunkDone(w.chunkStarts[c][k]);
            }
        }
        if (w.hasWork[c]) {
            removed.chunkLeft(w.planStamp);
        }
    }

    /** Whether a write (put or delete) of {@code key} is planned and not yet over. */
    boolean writePending(byte[] key) {
        return writeOrder.pending(key);
    }

    /**
     * A key deleted in place: where its slot is, the blocks its value covered, and the value's length
     * and data CRC as the index had them.
     */
    record InPlace(long position, int slot, long usedBytes, int valueLength, int dataCrc, long version) {
    }

    /**
     * Takes a key out of the index for a delete in place and marks its slot busy (no put may take the
     * slot until the ring state's {@code releaseInPlace}); null when the key is absent. The delete gets a
     * version, and a write of the key planned before it must not come back after it (the ring state waits
     * for such writes before this; one can still be in flight only after the store failed).
     */
    InPlace takeForDeleteInPlace(byte[] key) {
        int e = index.find(key);
        if (e < 0) {
            return null;
        }
        long position = index.positionAt(e);
        int slot = sb.slotOf(position);
        int valueLength = index.valueLengthAt(e);
        int dataCrc = index.dataCrcAt(e);
        long used = SlotDescriptor.usedBlocks(key.length, valueLength, sb.slotSizeAt(position));
        long version = n.nextVersion++;
        // A write of the key planned before this delete must not come back after it.
        writeOrder.committedElsewhere(key, version);
        dropLocked(key, version);
        markBusy(slot);
        return new InPlace(position, slot, used, valueLength, dataCrc, version);
    }
}
