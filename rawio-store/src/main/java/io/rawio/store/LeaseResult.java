package io.rawio.store;

/**
 * The outcome of one key of a {@link SlotStore#getManyLeases}.
 *
 * @param lease   the value, to be closed by the caller; null when absent or corrupt
 * @param corrupt why the slot was rejected, or null
 */
public record LeaseResult(ValueLease lease, String corrupt) {
    public boolean found() {
        return lease != null;
    }
}
