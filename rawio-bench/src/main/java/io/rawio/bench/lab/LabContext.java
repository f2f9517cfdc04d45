package io.rawio.bench.lab;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Where and how a lab runs.
 *
 * @param workDir  the directory its scratch files go in (removed afterwards)
 * @param quick    about 15 s on small sizes instead of about 2 minutes
 * @param progress where a long lab says what it is doing (stderr when it is a terminal), or null
 * @param sizeBytes the largest file a lab that varies file size goes up to (mmap, scan), 0 for its default
 */
public record LabContext(Path workDir, boolean quick, PrintStream progress, long sizeBytes) {
    public LabContext(Path workDir, boolean quick, PrintStream progress) {
        this(workDir, quick, progress, 0);
    }

    /** {@link #sizeBytes()} when given, else {@code fallback}. */
    public long size(long fallback) {
        return sizeBytes > 0 ? sizeBytes : fallback;
    }

    public void say(String line) {
        if (progress != null) {
            progress.println(line);
        }
    }
}
