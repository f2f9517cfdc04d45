package io.rawio.engine;

/**
 * Settings an engine is created with.
 *
 * @param queueDepth how many operations an asynchronous engine keeps in flight at most (the io_uring
 *                   ring's size); synchronous engines ignore it. A larger batch is split.
 */
public record EngineConfig(int queueDepth) {
    public static final EngineConfig DEFAULT = new EngineConfig(128);

    public EngineConfig {
        if (queueDepth <= 0) {
            throw new IllegalArgumentException("queue depth must be positive: queueDepth=" + queueDepth);
        }
    }
}
