package io.rawio.store;

/**
 * How a store is opened.
 *
 * @param engine               the I/O engine ({@code uring} by default, falling back to psync where
 *                             io_uring is unavailable)
 * @param direct               O_DIRECT (default on)
 * @param durability           when a write is acknowledged
 * @param eviction             what a put does when the ring comes round to a live key
 * @param batchSize            reads or writes putMany/getMany keep in flight (the engine's queue depth), and
 *                             the keys of one putMany chunk, the unit committed to the index (default 64)
 * @param checkpointIntervalMs write a checkpoint this often when there were writes (0: only on close and
 *                             on {@link SlotStore#checkpoint()})
 * @param clock                the time expiries are compared with (the system clock by default; tests
 *                             pass one they control)
 * @param cacheBytes           the DRAM tier: bytes of values kept in memory in front of the slots (0: none)
 * @param cacheWrites          whether the DRAM tier also takes the values written, not only those read
 */
public record StoreOptions(String engine, boolean direct, Durability durability, Eviction eviction, int batchSize,
        long checkpointIntervalMs, java.time.InstantSource clock, long cacheBytes, boolean cacheWrites) {

    /** When a write is acknowledged. */
    public enum Durability {
        /** When the write completed (it may still be in a volatile cache). */
        NONE,
        /** Only after fdatasync of the batch succeeded: group commit. */
        DURABLE
    }

    /** What a put does when the next slot of the ring still holds a live key. */
    public enum Eviction {
        /** Overwrite it: FIFO over the slot ring. */
        FIFO,
        /** FIFO, but a key read since it was written is reinserted (its slot rewritten at the new position). */
        FIFO_REINSERT,
        /** Refuse the put with {@link StoreException.Full}. */
        REJECT
    }

    public static final int MAX_BATCH = 4096;

    public StoreOptions {
        if (batchSize < 1 || batchSize > MAX_BATCH) {
            throw new IllegalArgumentException("batch size must be between 1 and " + MAX_BATCH + ": batchSize=" + batchSize);
        }
        if (checkpointIntervalMs < 0) {
            throw new IllegalArgumentException("checkpoint interval must not be negative");
        }
        if (clock == null) {
            clock = java.time.InstantSource.system();
        }
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("cache size must not be negative: cacheBytes=" + cacheBytes);
        }
    }

    /** Options without a clock of their own: the system clock. */
    public StoreOptions(String engine, boolean direct, Durability durability, Eviction eviction, int batchSize,
            long checkpointIntervalMs) {
        this(engine, direct, durability, eviction, batchSize, checkpointIntervalMs, null, 0, false);
    }

    public static StoreOptions defaults() {
        return new StoreOptions("uring", true, Durability.NONE, Eviction.FIFO, 64, 0);
    }

    public StoreOptions withEngine(String e) {
        return new StoreOptions(e, direct, durability, eviction, batchSize, checkpointIntervalMs, clock, cacheBytes,
                cacheWrites);
    }

    public StoreOptions withDirect(boolean d) {
        return new StoreOptions(engine, d, durability, eviction, batchSize, checkpointIntervalMs, clock, cacheBytes,
                cacheWrites);
    }

    public StoreOptions withDurability(Durability d) {
        return new StoreOptions(engine, direct, d, eviction, batchSize, checkpointIntervalMs, clock, cacheBytes,
                cacheWrites);
    }

    public StoreOptions withEviction(Eviction e) {
        return new StoreOptions(engine, direct, durability, e, batchSize, checkpointIntervalMs, clock, cacheBytes,
                cacheWrites);
    }

    public StoreOptions withBatchSize(int b) {
        return new StoreOptions(engine, direct, durability, eviction, b, checkpointIntervalMs, clock, cacheBytes,
                cacheWrites);
    }

    /** The clock expiries are compared with. */
    public StoreOptions withClock(java.time.InstantSource c) {
        return new StoreOptions(engine, direct, durability, eviction, batchSize, checkpointIntervalMs, c, cacheBytes,
                cacheWrites);
    }

    /**
     * A DRAM tier of {@code bytes} in front of the slots (0: none): values read are kept in memory,
     * off-heap, so that a read of a hot key costs no I/O (see {@code ValueCache}: S3-FIFO, at most
     * bytes / 8 a value).
     */
    public StoreOptions withCache(long bytes) {
        return new StoreOptions(engine, direct, durability, eviction, batchSize, checkpointIntervalMs, clock, bytes,
                cacheWrites);
    }

    /** Whether the DRAM tier also takes the values written (write-through), not only those read. */
    public StoreOptions withCacheWrites(boolean w) {
        return new StoreOptions(engine, direct, durability, eviction, batchSize, checkpointIntervalMs, clock,
                cacheBytes, w);
    }

    public StoreOptions withCheckpointIntervalMs(long ms) {
        return new StoreOptions(engine, direct, durability, eviction, batchSize, ms, clock, cacheBytes,
                cacheWrites);
    }
}
