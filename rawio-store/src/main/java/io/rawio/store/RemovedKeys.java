package io.rawio.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The keys that left the index (deleted, evicted, expired, dropped as corrupt) since the oldest write
 * still in flight was planned, each with the last version it had; a checkpoint lists them.
 *
 * <p>Why: with several slot classes, a key can have an older slot in one class and its newer value
 * (or tombstone) in another. Recovery reads each class's ring from that class's scan start, the
 * oldest position in flight when the checkpoint was taken, so it may read the older slot while the
 * newer write that removed the key lies before its own class's scan start (it completed first), or
 * was overwritten since. The checkpoint then names the key with the version it was removed at, and
 * recovery ignores any slot of it with a lower version. A slot the scan reads was planned no earlier
 * than the oldest write in flight at the checkpoint, and after a key left the index no slot of it with
 * an older version is planned (a reinsertion needs the key in the index), so removals from before
 * that write are never needed and are dropped as soon as it completes: the list stays as short as the
 * writes in flight.
 *
 * <p>Kept only for stores of several classes (one ring keeps its writes in version order, and its
 * scan reads a key's newer slot after its older one). Not thread-safe: GUARDED_BY(RingState.lock).
 * Stamps are the ring state's next version when something happened: they order plans and removals.
 */
final class RemovedKeys {
    /** A key that left the index after its slot of {@code version}; {@code stamp}: when. */
    record Removal(byte[] key, long version, long stamp) {
    }

    private final boolean enabled;
    /** Removals in stamp order. */
    private final ArrayDeque<Removal> log = new ArrayDeque<>();
    /** Stamps of the chunks in flight (when their window was planned) -> how many chunks. */
    private final TreeMap<Long, Integer> inFlight = new TreeMap<>();
    private long keyBytes;

    RemovedKeys(boolean enabled) {
        this.enabled = enabled;
    }

    /** Whether removals are kept (a store of several classes). */
    boolean enabled() {
        return enabled;
    }

    /** A chunk planned at {@code stamp} went in flight. */
    void chunkPlanned(long stamp) {
        if (enabled) {
            inFlight.merge(stamp, 1, Integer::sum);
        }
    }

    /** A chunk planned at {@code stamp} left flight; removals older than every chunk still in flight go. */
    void chunkLeft(long stamp) {
        if (enabled) {
            inFlight.computeIfPresent(stamp, (k, v) -> v == 1 ? null : v - 1);
            prune();
        }
    }

    /**
     * {@code key}, whose last slot had {@code version}, left the index at {@code stamp}. Not kept when
     * nothing is in flight: every slot recovery will read is planned after now, with a higher version.
     */
    void removed(byte[] key, long version, long stamp) {
        if (!enabled || inFlight.isEmpty()) {
            return;
        }
        log.addLast(new Removal(key.clone(), version, stamp)); // the caller's array may be reused
        keyBytes += key.length;
    }

    private void prune() {
        long oldest = inFlight.isEmpty() ? Long.MAX_VALUE : inFlight.firstKey();
        while (!log.isEmpty() && log.peekFirst().stamp() < oldest) {
            keyBytes -= log.removeFirst().key().length;
        }
    }

    /** The removals a checkpoint taken now lists, oldest first. */
    List<Removal> live() {
        prune();
        return new ArrayList<>(log);
    }

    /** How many removals {@link #live} would list. */
    int size() {
        prune();
        return log.size();
    }

    /** Key bytes of the removals {@link #live} would list. */
    long keyBytes() {
        prune();
        return keyBytes;
    }
}
