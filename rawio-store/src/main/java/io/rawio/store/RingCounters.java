package io.rawio.store;

/**
 * The ring state's counters and sequence numbers: plain fields, every one GUARDED_BY(RingState.lock),
 * shared by the ring state and the window planner it calls with the lock held.
 */
final class RingCounters {
    /** The next slot version (the store-wide order of writes). */
    long nextVersion;
    /** The last checkpoint generation handed out. */
    long generation;
    /** Keys committed since the last checkpoint snapshot. */
    long writesSinceCheckpoint;
    // Since open.
    long hits;
    long misses;
    long evictions;
    long reinsertions;
    long corruptions;
    long expired;
    long bytesWritten;
    long bytesStored;
    long checkpoints;
}
