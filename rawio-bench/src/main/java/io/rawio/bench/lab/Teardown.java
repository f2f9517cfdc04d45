package io.rawio.bench.lab;

import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What a root lab changed on the machine (loop devices, mounts, sysfs and procfs settings, scratch
 * files), undone in reverse order when the lab closes it, also when the lab failed halfway, and from a
 * shutdown hook on Ctrl-C or SIGTERM. Each acquisition registers its undo before it returns, so nothing
 * is left behind that was not registered. Only what this object created or changed is touched: the
 * machine's own disks and settings never are.
 */
public final class Teardown implements AutoCloseable {
    /** One undo step. */
    @FunctionalInterface
    public interface Undo {
        void run() throws Exception;
    }

    private record Step(String what, Undo undo) {
    }

    private final Deque<Step> steps = new ArrayDeque<>();
    private final Thread hook;
    private boolean closed;

    public Teardown() {
        hook = new Thread(this::undoAll, "rawio-lab-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Registers an undo step; steps run last-registered first. */
    public synchronized void add(String what, Undo undo) {
        if (closed) {
            throw new IllegalStateException("teardown closed: cannot register " + what);
        }
        steps.push(new Step(what, undo));
    }

    /** Steps not yet undone, newest first. */
    public synchronized List<String> pending() {
        return steps.stream().map(Step::what).toList();
    }

    /** Runs every step; a failing step does not stop the others. Returns what failed, one line each. */
    public synchronized List<String> undoAll() {
        List<String> failed = new ArrayList<>();
        while (!steps.isEmpty()) {
            Step s = steps.pop();
            try {
                s.undo().run();
            } catch (Exception e) {
                failed.add(s.what() + ": " + e.getMessage());
            }
        }
        return failed;
    }

    /** Undoes everything; fails, naming what was left behind, when a step could not be undone. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        List<String> failed = undoAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running or has run; the steps are already gone.
        }
        if (!failed.isEmpty()) {
            throw new IOException("could not undo: " + String.join("; ", failed));
        }
    }

    /** A scratch file of {@code sizeBytes} (sparse), deleted at the end. */
    public Path file(Path path, long sizeBytes) throws IOException {
        add("rm " + path, () -> Files.deleteIfExists(path));
        try (NativeFile f = NativeFile.open(path, OpenFlag.RDWR, OpenFlag.CREAT, OpenFlag.TRUNC)) {
            f.truncate(sizeBytes);
        }
        return path;
    }

    /** A scratch directory (empty at the end), removed at the end. */
    public Path directory(Path path) throws IOException {
        Files.createDirectories(path);
        add("rmdir " + path, () -> Files.deleteIfExists(path));
        return path;
    }

    /**
     * A loop device over a new sparse file of {@code sizeBytes}, with {@code --direct-io=on} so the backing
     * file's page cache stays out of the measurements. Returns /dev/loopN.
     */
    public String loop(Path image, long sizeBytes) throws IOException {
        file(image, sizeBytes);
        Shell.Result r = Shell.run("losetup", "-f", "--show", "--direct-io=on", image.toString());
        if (!r.ok() || !r.output().startsWith("/dev/loop")) {
            throw new IOException("losetup --direct-io=on " + image + " failed: " + r.output());
        }
        String dev = r.output().lines().findFirst().orElseThrow();
        add("losetup -d " + dev, () -> {
            Shell.Result d = Shell.run("losetup", "-d", dev);
            if (!d.ok()) {
                throw new IOException(d.output());
            }
        });
        return dev;
    }

    /** mkfs.{@code fs} on a device this object created. */
    public void mkfs(String device, String fs, String... options) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("mkfs." + fs));
        cmd.addAll(List.of(options));
        cmd.add(device);
        Shell.Result r = Shell.run(cmd.toArray(String[]::new));
        if (!r.ok()) {
            throw new IOException(String.join(" ", cmd) + " failed: " + r.output());
        }
    }

    /** Mounts {@code device} on a new directory {@code dir}; unmounted (lazily if busy) and removed at the end. */
    public Path mount(String device, Path dir, String... options) throws IOException {
        directory(dir);
        List<String> cmd = new ArrayList<>(List.of("mount"));
        if (options.length > 0) {
            cmd.add("-o");
            cmd.add(String.join(",", options));
        }
        cmd.add(device);
        cmd.add(dir.toString());
        Shell.Result r = Shell.run(cmd.toArray(String[]::new));
        if (!r.ok()) {
            throw new IOException("mount " + device + " " + dir + " failed: " + r.output());
        }
        add("umount " + dir, () -> {
            Shell.Result u = Shell.run("umount", dir.toString());
            if (!u.ok()) {
                Shell.Result lazy = Shell.run("umount", "-l", dir.toString());
                if (!lazy.ok()) {
                    throw new IOException(u.output());
                }
            }
        });
        return dir;
    }

    /**
     * Writes {@code value} to a sysfs or procfs file and restores {@code original} at the end. Returns
     * false (and changes nothing) when the kernel refused the value.
     */
    public boolean set(Path setting, String value, String original) {
        try {
            Files.writeString(setting, value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return false;
        }
        add("restore " + setting + "=" + original, () -> Files.writeString(setting, original, StandardCharsets.US_ASCII));
        return true;
    }

    /** The first line of a sysfs or procfs file, trimmed. */
    public static String read(Path setting) throws IOException {
        return io.rawio.nativeio.Procfs.read(setting).trim();
    }
}
