package io.rawio.engine;

/**
 * Settings an engine is created with.
 *
 * @param queueDepth  how many operations an asynchronous engine keeps in flight at most (the io_uring
 *                    ring's size); synchronous engines ignore it. A larger batch is split.
 * @param submitBatch how many queued operations an asynchronous engine hands to the kernel per
 *                    submission call (fio's iodepth_batch_submit); 0 for all of a batch at once, the
 *                    fewest system calls. Smaller values start the first operations sooner, which
 *                    keeps devices that begin work per submission (virtio) busier.
 */
public record EngineConfig(int queueDepth, int submitBatch) {
    public static final EngineConfig DEFAULT = new EngineConfig(128, 0);

    public EngineConfig(int queueDepth) {
        this(queueDepth, 0);
    }

    public EngineConfig {
        if (queueDepth <= 0) {
            throw new IllegalArgumentException("queue depth must be positive: queueDepth=" + queueDepth);
        }
        if (submitBatch < 0) {
            throw new IllegalArgumentException("submit batch must not be negative: submitBatch=" + submitBatch);
        }
    }
}
