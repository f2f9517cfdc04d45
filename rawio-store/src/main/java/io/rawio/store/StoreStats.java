package io.rawio.store;

/**
 * Counters of a store since it was opened (keys and bytes are current).
 *
 * @param keys             live keys
 * @param valueBytes       bytes of their values
 * @param slots            slots in the ring
 * @param slotSize         bytes per slot
 * @param hits             gets that found their key
 * @param misses           gets that did not
 * @param evictions        live keys overwritten by the ring
 * @param reinsertions     hot keys rewritten instead of evicted
 * @param corruptions      reads that failed their CRC (the key was dropped)
 * @param bytesWritten     bytes written to the device for slots
 * @param bytesStored      key + value bytes accepted by puts
 * @param checkpoints      checkpoints written
 * @param recoveredKeys    keys found by the scan after the checkpoint at open
 * @param recoveryScanned  slots the scan at open read
 * @param openMillis       how long open took
 * @param indexBytes       approximate heap bytes of the index
 * @param expired          keys found expired and dropped (at open too)
 * @param cacheHits        gets the DRAM tier answered (no I/O)
 * @param cacheMisses      gets of present keys it did not hold (read from the device)
 * @param cacheBytes       bytes of values the DRAM tier holds
 */
public record StoreStats(long keys, long valueBytes, long slots, long slotSize, long hits, long misses,
        long evictions, long reinsertions, long corruptions, long bytesWritten, long bytesStored, long checkpoints,
        long recoveredKeys, long recoveryScanned, long openMillis, long indexBytes, long expired, long cacheHits,
        long cacheMisses, long cacheBytes) {

    /** Counters without a DRAM tier. */
    public StoreStats(long keys, long valueBytes, long slots, long slotSize, long hits, long misses, long evictions,
            long reinsertions, long corruptions, long bytesWritten, long bytesStored, long checkpoints,
            long recoveredKeys, long recoveryScanned, long openMillis, long indexBytes, long expired) {
        this(keys, valueBytes, slots, slotSize, hits, misses, evictions, reinsertions, corruptions, bytesWritten,
                bytesStored, checkpoints, recoveredKeys, recoveryScanned, openMillis, indexBytes, expired, 0, 0, 0);
    }

    StoreStats withCache(ValueCache.Stats c) {
        return new StoreStats(keys, valueBytes, slots, slotSize, hits, misses, evictions, reinsertions, corruptions,
                bytesWritten, bytesStored, checkpoints, recoveredKeys, recoveryScanned, openMillis, indexBytes, expired,
                c.hits(), c.misses(), c.bytes());
    }

    /** Device bytes written per byte stored (slot padding and headers make it > 1). */
    public double writeAmplification() {
        return bytesStored == 0 ? 0 : (double) bytesWritten / bytesStored;
    }

    /** Index bytes per key. */
    public double indexBytesPerKey() {
        return keys == 0 ? 0 : (double) indexBytes / keys;
    }
}
