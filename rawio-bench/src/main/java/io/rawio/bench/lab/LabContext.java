package io.rawio.bench.lab;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Where and how a lab runs.
 *
 * @param workDir  the directory its scratch files go in (removed afterwards)
 * @param quick    about 15 s on small sizes instead of about 2 minutes
 * @param progress where a long lab says what it is doing (stderr when it is a terminal), or null
 */
public record LabContext(Path workDir, boolean quick, PrintStream progress) {
    public void say(String line) {
        if (progress != null) {
            progress.println(line);
        }
    }
}
