package io.rawio.bench.run;

import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Empties the page cache before a measurement, so that its reads go to the device: one file's pages
 * with posix_fadvise, or the whole system's through /proc/sys/vm/drop_caches. Both drop only clean
 * pages; a dirty page stays until it is written back, so write (and fsync) before dropping.
 */
public final class PageCache {
    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

    private PageCache() {
    }

    /** Drops the open file's cached pages: POSIX_FADV_DONTNEED over the whole file (man 2 posix_fadvise). */
    public static void drop(NativeFile file) throws NativeIoException {
        file.fadvise(0, 0, LinuxConstants.POSIX_FADV_DONTNEED);
    }

    /** Drops the file's cached pages; see {@link #drop(NativeFile)}. */
    public static void drop(Path file) throws IOException {
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY)) {
            drop(f);
        }
    }

    /**
     * Drops every clean cached page, dentry and inode of the system: sync(1), then "3" to
     * /proc/sys/vm/drop_caches (Documentation/admin-guide/sysctl/vm.rst). Needs root.
     */
    public static void dropAll() throws IOException {
        try {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while syncing", e);
        }
        Files.writeString(DROP_CACHES, "3");
    }
}
