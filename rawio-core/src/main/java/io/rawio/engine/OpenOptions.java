package io.rawio.engine;

import io.rawio.nativeio.OpenFlag;
import java.util.EnumSet;
import java.util.Set;

/**
 * How an engine opens a file. Immutable; the {@code with…} methods return a copy.
 *
 * @param write       open read-write rather than read-only
 * @param create      create the file when missing
 * @param direct      O_DIRECT: bypass the page cache (buffers, offsets and lengths must be aligned)
 * @param sync        O_SYNC / O_DSYNC
 * @param exclusive   O_EXCL: with create, fail if the file exists; on a block device, fail if it is
 *                    mounted or opened exclusively elsewhere
 * @param sizeBytes   when positive, preallocate (fallocate) the file to at least this size on open
 * @param madvise     for the mmap engine: the MADV_* advice applied to the mapping, or -1 for none
 */
public record OpenOptions(
        boolean write, boolean create, boolean direct, SyncMode sync, boolean exclusive, long sizeBytes, int madvise) {

    public static OpenOptions readOnly() {
        return new OpenOptions(false, false, false, SyncMode.NONE, false, 0, -1);
    }

    public static OpenOptions readWrite() {
        return new OpenOptions(true, false, false, SyncMode.NONE, false, 0, -1);
    }

    public OpenOptions withCreate(boolean v) {
        return new OpenOptions(write, v, direct, sync, exclusive, sizeBytes, madvise);
    }

    public OpenOptions withDirect(boolean v) {
        return new OpenOptions(write, create, v, sync, exclusive, sizeBytes, madvise);
    }

    public OpenOptions withSync(SyncMode v) {
        return new OpenOptions(write, create, direct, v, exclusive, sizeBytes, madvise);
    }

    public OpenOptions withExclusive(boolean v) {
        return new OpenOptions(write, create, direct, sync, v, sizeBytes, madvise);
    }

    /** Preallocate to at least this many bytes on open (regular files only). */
    public OpenOptions withSize(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("size must not be negative: size=" + bytes);
        }
        return new OpenOptions(write, create, direct, sync, exclusive, bytes, madvise);
    }

    public OpenOptions withMadvise(int advice) {
        return new OpenOptions(write, create, direct, sync, exclusive, sizeBytes, advice);
    }

    /** The open(2) flags these options stand for. */
    public Set<OpenFlag> flags() {
        EnumSet<OpenFlag> f = EnumSet.of(write ? OpenFlag.RDWR : OpenFlag.RDONLY);
        if (create) {
            f.add(OpenFlag.CREAT);
        }
        if (direct) {
            f.add(OpenFlag.DIRECT);
        }
        if (exclusive) {
            f.add(OpenFlag.EXCL);
        }
        switch (sync) {
            case SYNC -> f.add(OpenFlag.SYNC);
            case DSYNC -> f.add(OpenFlag.DSYNC);
            case NONE -> { }
        }
        return f;
    }
}
