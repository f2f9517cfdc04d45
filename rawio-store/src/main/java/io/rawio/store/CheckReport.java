package io.rawio.store;

/**
 * What {@link SlotStore#check()} found.
 *
 * @param superblocksValid  valid superblock copies (2 when healthy)
 * @param checkpointsValid  checkpoint regions with a valid header and payload (1 or 2)
 * @param keys              keys in the index
 * @param keysVerified      keys whose slot read back with both CRCs right
 * @param keysCorrupt       keys whose slot failed a CRC
 * @param slotsRead         slots read
 * @param slotsDamaged      slots with this store's header magic whose header CRC fails
 */
public record CheckReport(int superblocksValid, int checkpointsValid, long keys, long keysVerified,
        long keysCorrupt, long slotsRead, long slotsDamaged) {
    public boolean healthy() {
        return superblocksValid == 2 && checkpointsValid >= 1 && keysCorrupt == 0 && slotsDamaged == 0;
    }
}
