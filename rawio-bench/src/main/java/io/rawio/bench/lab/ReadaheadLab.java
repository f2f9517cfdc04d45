package io.rawio.bench.lab;

import io.rawio.bench.metrics.DeviceStats;
import io.rawio.bench.run.PageCache;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the device really reads for a read from a cold cache: readahead for buffered reads, none for
 * O_DIRECT, and what POSIX_FADV_SEQUENTIAL and POSIX_FADV_RANDOM change.
 */
public final class ReadaheadLab implements Lab {
    @Override
    public String name() {
        return "readahead";
    }

    @Override
    public String summary() {
        return "sectors the device reads for buffered vs O_DIRECT reads from a cold cache, and with "
                + "POSIX_FADV_SEQUENTIAL / RANDOM";
    }

    /** A read pattern: reads of {@code bytes} each, {@code count} of them, one after the other. */
    private record Case(String label, boolean direct, int advice, int bytes, int count) {
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        int rounds = ctx.quick() ? 1 : 5;
        List<Case> cases = List.of(
                new Case("buffered 128 KiB", false, LinuxConstants.POSIX_FADV_NORMAL, 128 << 10, 1),
                new Case("O_DIRECT 128 KiB", true, -1, 128 << 10, 1),
                new Case("buffered 4 KiB", false, LinuxConstants.POSIX_FADV_NORMAL, 4096, 1),
                new Case("buffered 4 KiB, FADV_RANDOM", false, LinuxConstants.POSIX_FADV_RANDOM, 4096, 1),
                new Case("buffered 4 KiB x 64 sequential", false, LinuxConstants.POSIX_FADV_NORMAL, 4096, 64),
                new Case("same, FADV_SEQUENTIAL", false, LinuxConstants.POSIX_FADV_SEQUENTIAL, 4096, 64),
                new Case("O_DIRECT 4 KiB x 64 sequential", true, -1, 4096, 64));
        LabResult r = new LabResult(name(), "Readahead: what the device reads for a cold read",
                List.of("reads", "asked (KiB)", "device read (KiB)", "device requests", "x asked"));
        Map<String, List<double[]>> bars = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        String readAheadKb;
        try (LabDevice dev = LabDevice.create(ctx.workDir(), name(), 64L << 20); Arena arena = Arena.ofConfined();
             NativeFile holder = NativeFile.open(dev.path(), OpenFlag.RDONLY)) {
            MemorySegment buf = AlignedMemory.allocate(arena, 128 << 10, 4096);
            int at = 0;
            for (Case c : cases) {
                ctx.say("readahead: " + c.label());
                long sectors = 0;
                long requests = 0;
                for (int round = 0; round < rounds; round++) {
                    long offset = (long) (at++ % 24) * (2 << 20);
                    // Cold cache: drop the whole device's (or file's) cached pages first.
                    dev.settle();
                    PageCache.drop(holder);
                    try (NativeFile f = c.direct() ? NativeFile.open(dev.path(), OpenFlag.RDONLY, OpenFlag.DIRECT)
                            : NativeFile.open(dev.path(), OpenFlag.RDONLY)) {
                        if (c.advice() >= 0) {
                            f.fadvise(0, 0, c.advice());
                        }
                        DeviceStats before = dev.stats();
                        for (int i = 0; i < c.count(); i++) {
                            f.readFully(buf.asSlice(0, c.bytes()), offset + (long) i * c.bytes());
                        }
                        dev.settle(); // readahead the reads started still counts for them
                        // one sample per edge, so sectors and requests are counted over the same interval
                        DeviceStats delta = dev.stats().minus(before);
                        sectors += delta.readSectors();
                        requests += delta.readIos();
                    }
                }
                double askedKiB = (double) c.bytes() * c.count() / 1024;
                double readKiB = sectors * 512.0 / 1024 / rounds;
                r.row(c.label(), askedKiB, readKiB, (double) requests / rounds, readKiB / askedKiB);
                bars.computeIfAbsent("device KiB per read pattern", k -> new ArrayList<>())
                        .add(new double[] {bars.getOrDefault("device KiB per read pattern", List.of()).size() + 1, readKiB});
                raw.add(Map.of("case", c.label(), "asked_bytes", (long) c.bytes() * c.count(), "device_sectors",
                        sectors / rounds, "device_requests", requests / rounds, "rounds", rounds));
            }
            if (!dev.isolated()) {
                r.finding(dev.sharedNote());
            }
            r.raw("device", dev.device());
            r.raw("isolated", dev.isolated());
            readAheadKb = DeviceStats.readAheadKb(dev.device()).orElse("unknown");
            r.raw("read_ahead_kb", readAheadKb);
        }
        List<List<Object>> rows = r.rows();
        r.finding(String.format(Locale.ROOT, "A cold 128 KiB buffered read made the device read %s KiB, a cold"
                + " 4 KiB one %s KiB, and with POSIX_FADV_RANDOM %s KiB (the device's read_ahead_kb is %s).",
                LabReport.cell(rows.get(0).get(2)), LabReport.cell(rows.get(2).get(2)), LabReport.cell(rows.get(3).get(2)),
                readAheadKb));
        r.finding(String.format(Locale.ROOT, "O_DIRECT reads exactly what it asks: %s KiB for 128 KiB, %s KiB for"
                + " 64 x 4 KiB, in %s requests: one per read, no readahead.", LabReport.cell(rows.get(1).get(2)), LabReport.cell(rows.get(6).get(2)),
                LabReport.cell(rows.get(6).get(3))));
        r.finding(String.format(Locale.ROOT, "64 sequential 4 KiB buffered reads took %s device requests (%s with"
                + " POSIX_FADV_SEQUENTIAL, which doubles the readahead window).", LabReport.cell(rows.get(4).get(3)),
                LabReport.cell(rows.get(5).get(3))));
        r.chart(new LabResult.Chart("device-read", "KiB the device read, by read pattern (1..7 as in the table)",
                "read pattern", "KiB read from the device", false, bars));
        r.raw("cases", raw);
        return r;
    }
}
