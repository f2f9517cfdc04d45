package io.rawio.engine;

/** How writes reach stable storage: by explicit flush only, or per write (O_SYNC / O_DSYNC). */
public enum SyncMode {
    /** No flag: a write is durable only after FSYNC or FDATASYNC. */
    NONE,
    /** O_SYNC: each write returns after data and metadata are on stable storage. */
    SYNC,
    /** O_DSYNC: each write returns after data (and the metadata needed to read it) is stable. */
    DSYNC
}
