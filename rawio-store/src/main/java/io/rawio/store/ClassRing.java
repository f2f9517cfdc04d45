package io.rawio.store;

import io.rawio.store.SuperblockDescriptor.SlotClass;
import java.util.TreeMap;

/**
 * One slot class's ring as the ring state sees it: the next position to allocate, the writes in
 * flight (by the first position of each chunk), where the last checkpoint's scan of this ring starts,
 * and the bound of positions in flight. Not thread-safe: every field is GUARDED_BY(RingState.lock).
 */
final class ClassRing {
    final SlotClass slotClass;
    final RingBounds bounds;
    /** The next global position to allocate in this class. GUARDED_BY(RingState.lock). */
    long cursor;
    /** First position of each chunk in flight in this class -> chunks starting there. GUARDED_BY(RingState.lock). */
    final TreeMap<Long, Integer> inFlight = new TreeMap<>();
    /** Where recovery would start reading this ring if the process died now. GUARDED_BY(RingState.lock). */
    long checkpointScanStart;
    /** Live keys this ring overwrote since open. GUARDED_BY(RingState.lock). */
    long evictions;
    /**
     * Slots (store-wide numbers) being rewritten outside a window (a delete in place, a retirement):
     * no window is planned over them until they are released. GUARDED_BY(RingState.lock).
     */
    final java.util.TreeSet<Integer> busy = new java.util.TreeSet<>();

    ClassRing(SlotClass slotClass, long cursor, long checkpointScanStart) {
        this.slotClass = slotClass;
        this.bounds = new RingBounds(slotClass.slotCount());
        this.cursor = cursor;
        this.checkpointScanStart = checkpointScanStart;
    }

    /** The first position of the oldest write in flight, or -1. */
    long oldestInFlight() {
        return inFlight.isEmpty() ? -1 : inFlight.firstKey();
    }

    /** Where a checkpoint taken now starts this ring's scan: the oldest write in flight, or the cursor. */
    long scanStartNow() {
        return inFlight.isEmpty() ? cursor : Math.min(cursor, inFlight.firstKey());
    }

    boolean fits(long keys) {
        return bounds.fits(oldestInFlight(), cursor, keys) && !busyAhead();
    }

    /**
     * Whether a busy slot lies where a window planned now may allocate: from the cursor up to the
     * bound of positions in flight.
     */
    boolean busyAhead() {
        if (busy.isEmpty()) {
            return false;
        }
        long n = slotClass.slotCount();
        long span = Math.min(n, Math.max(0, bounds.limit(oldestInFlight(), cursor) - cursor));
        long first = slotClass.firstSlot();
        long at = first + Long.remainderUnsigned(SuperblockDescriptor.Superblock.classPosition(cursor), n);
        long end = at + span;
        Integer b = busy.ceiling((int) at);
        if (b != null && b < Math.min(end, first + n)) {
            return true;
        }
        if (end > first + n) {
            b = busy.ceiling((int) first);
            return b != null && b < first + (end - (first + n));
        }
        return false;
    }

    void chunkInFlight(long start) {
        inFlight.merge(start, 1, Integer::sum);
    }

    void chunkDone(long start) {
        inFlight.computeIfPresent(start, (k, v) -> v == 1 ? null : v - 1);
    }
}
