package io.rawio.nativeio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this process runs as root (loop devices, mounts and block tracepoints need it). */
public final class Privileges {
    private Privileges() {
    }

    /** The real uid is 0, from the Uid line of /proc/self/status. */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
