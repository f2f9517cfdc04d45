package io.rawio.bench.metrics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One sample of /sys/block/DEV/stat (Documentation/block/stat.rst): what the block layer completed,
 * whatever the program asked for. Fields 12-17 (discard, flush) are absent on older kernels and read
 * as 0.
 */
public record DeviceStats(
        String device,
        long readIos, long readMerges, long readSectors, long readTicksMs,
        long writeIos, long writeMerges, long writeSectors, long writeTicksMs,
        long inFlight, long ioTicksMs, long timeInQueueMs,
        long flushIos, long flushTicksMs) {

    /** A sample of {@code /sys/block/<device>/stat}, or empty when it cannot be read. */
    public static Optional<DeviceStats> sample(String device) {
        return sample(device, Path.of("/sys/block", device, "stat"));
    }

    static Optional<DeviceStats> sample(String device, Path stat) {
        try {
            return Optional.of(parse(device, io.rawio.nativeio.Procfs.read(stat)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static DeviceStats parse(String device, String text) {
        String[] f = text.trim().split("\\s+");
        long[] v = new long[17];
        for (int i = 0; i < Math.min(f.length, v.length); i++) {
            v[i] = Long.parseLong(f[i]);
        }
        return new DeviceStats(device, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
                v[15], v[16]);
    }

    /** The device's read-ahead window in KiB ({@code queue/read_ahead_kb}), or empty when it cannot be read. */
    public static Optional<String> readAheadKb(String device) {
        try {
            return Optional.of(io.rawio.nativeio.Procfs.read(Path.of("/sys/block", device, "queue", "read_ahead_kb")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** This sample minus an earlier one (in_flight is kept as sampled). */
    public DeviceStats minus(DeviceStats e) {
        return new DeviceStats(device, readIos - e.readIos, readMerges - e.readMerges, readSectors - e.readSectors,
                readTicksMs - e.readTicksMs, writeIos - e.writeIos, writeMerges - e.writeMerges,
                writeSectors - e.writeSectors, writeTicksMs - e.writeTicksMs, inFlight, ioTicksMs - e.ioTicksMs,
                timeInQueueMs - e.timeInQueueMs, flushIos - e.flushIos, flushTicksMs - e.flushTicksMs);
    }

    public long readBytes() {
        return readSectors * 512;
    }

    public long writeBytes() {
        return writeSectors * 512;
    }
}
