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
 */
public record StoreOptions(String engine, boolean direct, Durability durability, Eviction eviction, int batchSize,
        long checkpointIntervalMs) {

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
    }

    public static StoreOptions defaults() {
        return new StoreOptions("uring", true, Durability.NONE, Eviction.FIFO, 64, 0);
    }

    public StoreOptions withEngine(String e) {
        return new StoreOptions(e, direct, durability, eviction, batchSize, checkpointIntervalMs);
    }

    public StoreOptions withDirect(boolean d) {
        return new StoreOptions(engine, d, durability, eviction, batchSize, checkpointIntervalMs);
    }

    public StoreOptions withDurability(Durability d) {
        return new StoreOptions(engine, direct, d, eviction, batchSize, checkpointIntervalMs);
    }

    public StoreOptions withEviction(Eviction e) {
        return new StoreOptions(engine, direct, durability, e, batchSize, checkpointIntervalMs);
    }

    public StoreOptions withBatchSize(int b) {
        return new StoreOptions(engine, direct, durability, eviction, b, checkpointIntervalMs);
    }

    public StoreOptions withCheckpointIntervalMs(long ms) {
        return new StoreOptions(engine, direct, durability, eviction, batchSize, ms);
    }
}
