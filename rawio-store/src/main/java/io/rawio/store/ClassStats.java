package io.rawio.store;

/** One slot class's figures (see {@link SlotStore#classStats()}): slots, live keys, value bytes, evictions since open. */
public record ClassStats(int id, long slotSize, long slots, long keys, long valueBytes, long evictions) {
    /** Live keys per slot. */
    public double fill() {
        return slots == 0 ? 0 : (double) keys / slots;
    }
}
