package io.rawio.store;

/**
 * How far the ring's positions in flight may run ahead of the oldest unfinished write: the one
 * invariant the write path keeps and recovery relies on.
 *
 * <pre>
 *            oldest unfinished write                  cursor (next position to allocate)
 *                     v                                  v
 *   ... written ... | positions in flight (or written) | not yet allocated ...
 *                   |<------- at most aheadBudget() --->|
 * </pre>
 *
 * <p>Every allocated position is written (a key's slot, a tombstone, or a reinserted header), unless
 * its write is still in flight or failed, and a failed write makes the store refuse every write planned
 * after it. A position is allocated only while every position from the oldest unfinished write to the
 * new cursor spans at most {@link #aheadBudget()} positions, and the budget counts positions, not keys:
 * a hot resident the allocator would reinsert past it is evicted instead. So after a crash, between two
 * positions that hold valid slots there are fewer than {@link #aheadBudget()} positions with nothing
 * valid, and recovery may stop after {@link #recoveryGap()} of them in a row: no acknowledged write
 * lies further on.
 *
 * <p>{@link #MAX_AHEAD} is part of the on-disk format (docs/FORMAT.md): a store written with one
 * bound is recovered with the same, whatever batch size either side was opened with.
 */
final class RingBounds {
    /** Positions in flight may span at most this many (or half the ring, when that is fewer). */
    static final long MAX_AHEAD = 4096;

    private final long slotCount;
    private final long budget;

    RingBounds(long slotCount) {
        if (slotCount < 2) {
            throw new IllegalArgumentException("a ring needs at least 2 slots: slots=" + slotCount);
        }
        this.slotCount = slotCount;
        // At most half the ring: no two writes in flight ever share a slot.
        this.budget = Math.min(MAX_AHEAD, slotCount / 2);
    }

    /** The most positions from the oldest unfinished write up to the cursor. */
    long aheadBudget() {
        return budget;
    }

    /**
     * The most keys one window of writes may plan: the budget, at most a quarter of the ring (so a
     * checkpoint comes well before the ring comes round), and at most {@code wanted}.
     */
    long windowKeys(long wanted) {
        return Math.max(1, Math.min(wanted, Math.min(budget, Math.max(1, slotCount / 4))));
    }

    /**
     * Whether a window of {@code keys} new positions may be planned now; {@code oldest} is the first
     * position of the oldest write in flight, or -1 when none is.
     */
    boolean fits(long oldest, long cursor, long keys) {
        return oldest < 0 || cursor + keys - oldest <= budget;
    }

    /**
     * The first position a window planned now may not reach with a reinsertion: the keys still to place
     * must fit below it too. {@code oldest} as in {@link #fits}.
     */
    long limit(long oldest, long cursor) {
        return (oldest < 0 ? cursor : oldest) + budget;
    }

    /**
     * Positions in a row with nothing valid after which recovery stops reading: one more than any run
     * of unwritten positions a crash can leave before an acknowledged write.
     */
    long recoveryGap() {
        return budget + 1;
    }
}
