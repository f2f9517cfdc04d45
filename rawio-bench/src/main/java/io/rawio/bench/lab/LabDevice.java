package io.rawio.bench.lab;

import io.rawio.bench.metrics.DeviceStats;
import io.rawio.nativeio.BlockDevices;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.Privileges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a lab watches the device: as root a loop device over a scratch file, so its counters
 * (/sys/block/loopN/stat) see only the lab's I/O; otherwise a scratch file on the working directory's
 * disk, whose counters also see the rest of the machine.
 */
final class LabDevice implements AutoCloseable {
    private final Path path;
    private final String device;
    private final boolean isolated;
    private final Path image;
    private final String loop;

    private LabDevice(Path path, String device, boolean isolated, Path image, String loop) {
        this.path = path;
        this.device = device;
        this.isolated = isolated;
        this.image = image;
        this.loop = loop;
    }

    static LabDevice create(Path workDir, String name, long sizeBytes) throws IOException {
        Path img = workDir.resolve("rawio-lab-" + name + ".img");
        try (NativeFile f = NativeFile.open(img, OpenFlag.RDWR, OpenFlag.CREAT)) {
            f.allocate(0, sizeBytes);
        }
        if (Privileges.isRoot()) {
            String dev = command("losetup", "-f", "--show", img.toString());
            if (dev != null && dev.startsWith("/dev/loop")) {
                return new LabDevice(Path.of(dev), Path.of(dev).getFileName().toString(), true, img, dev);
            }
        }
        String disk = BlockDevices.diskOf(img).orElse(null);
        if (disk == null) {
            Files.deleteIfExists(img);
            throw new IOException("no block device found under " + workDir + " (/sys/block): the lab needs one");
        }
        return new LabDevice(img, disk, false, img, null);
    }

    private static String command(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The file or block device to do I/O on. */
    Path path() {
        return path;
    }

    /** The /sys/block name whose counters the lab reads. */
    String device() {
        return device;
    }

    /** Whether the counters see only the lab's I/O. */
    boolean isolated() {
        return isolated;
    }

    long sectorsWritten() {
        return DeviceStats.sample(device).map(DeviceStats::writeSectors).orElse(0L);
    }

    long sectorsRead() {
        return DeviceStats.sample(device).map(DeviceStats::readSectors).orElse(0L);
    }

    /** One sample of the device's counters (all zero when they cannot be read). */
    DeviceStats stats() {
        return DeviceStats.sample(device).orElse(new DeviceStats(device, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    /**
     * Waits (up to 2 s) until the device has nothing in flight and its counters stopped moving, so
     * asynchronous readahead or writeback of one step is not counted in the next.
     */
    void settle() {
        settle(device);
    }

    /** {@link #settle()} for any block device by name (sda, loop3). */
    static void settle(String device) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        DeviceStats last = DeviceStats.sample(device).orElse(null);
        while (last != null && System.nanoTime() < deadline) {
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            DeviceStats now = DeviceStats.sample(device).orElse(null);
            if (now == null || (now.inFlight() == 0 && now.readSectors() == last.readSectors()
                    && now.writeSectors() == last.writeSectors())) {
                return;
            }
            last = now;
        }
    }

    /** A sentence for the report when the counters are shared. */
    String sharedNote() {
        return "Not root: the counters are those of " + device + ", shared with everything else on this machine;"
                + " run as root for a private loop device.";
    }

    @Override
    public void close() throws IOException {
        if (loop != null) {
            command("losetup", "-d", loop);
        }
        Files.deleteIfExists(image);
    }
}
