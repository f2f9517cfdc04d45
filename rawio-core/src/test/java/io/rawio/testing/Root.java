package io.rawio.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers for tests that need root (mounts, loop devices) and skip with a reason without it. */
public final class Root {
    private Root() {
    }

    public static boolean isRoot() {
        return io.rawio.nativeio.Privileges.isRoot();
    }

    /** Runs a command; returns its exit code, or -1 when it could not start or timed out. */
    public static int run(String... command) {
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Runs a command and returns its standard output, or null when it failed. */
    public static String output(String... command) {
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Mounts a tmpfs of {@code sizeBytes} at {@code dir} (root only); returns false when it could not.
     * A full tmpfs gives real ENOSPC without filling the machine's disk.
     */
    public static boolean mountTmpfs(Path dir, long sizeBytes) {
        return isRoot() && run("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes, "rawio-test", dir.toString()) == 0;
    }

    public static void unmount(Path dir) {
        run("umount", "-l", dir.toString());
    }
}
