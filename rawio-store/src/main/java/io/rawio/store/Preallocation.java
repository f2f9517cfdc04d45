package io.rawio.store;

/** How {@link SlotStore#format} reserves a regular file's blocks. A block device is never written ahead. */
public enum Preallocation {
    /**
     * fallocate, then write zeros over the whole file (the default). Takes as long as writing the
     * file once, and leaves every block allocated and written, so no later write pays for
     * converting an unwritten extent (on ext4 a first O_DIRECT write into a fallocated range ran
     * at two thirds of the speed of a rewrite).
     */
    WRITE_ZEROS,
    /** fallocate only: instant, but each block's first write converts an unwritten extent. */
    FALLOCATE
}
