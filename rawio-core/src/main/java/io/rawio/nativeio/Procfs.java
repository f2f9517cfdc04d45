package io.rawio.nativeio;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads /proc and /sys files. They report a size of 0 (procfs) or 4096 (sysfs) whatever they hold,
 * and {@link Files#readString} sizes its read from that: on /proc/sys/vm/dirty_expire_centisecs it
 * returns "3" for "3000". Reading the stream to its end is always right.
 */
public final class Procfs {
    private Procfs() {
    }

    /** The file's whole text, trimmed. */
    public static String read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }
}
