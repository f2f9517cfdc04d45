package io.rawio.bench.lab;

import io.rawio.bench.job.Units;
import io.rawio.bench.metrics.DeviceStats;
import io.rawio.bench.run.PageCache;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.Privileges;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ext4 vs XFS vs btrfs: the same workloads on identical loop devices (--direct-io=on, over sparse files in
 * --dir), each file system made and mounted by the lab and removed at the end, with what reached the
 * device beside each result (bytes written and read, write requests, flushes; /sys/block/loopN/stat).
 */
public final class FileSystemsLab implements Lab {
    static final int RECORD = 4096;
    static final int GROUP = 16;
    static final List<String> FILE_SYSTEMS = List.of("ext4", "xfs", "btrfs");

    @Override
    public String name() {
        return "filesystems";
    }

    @Override
    public String summary() {
        return "ext4 vs XFS vs btrfs on identical loop devices (root): durable appends, random overwrites, first writes"
                + " into fallocate'd space, 10,000 small files, copy_file_range reflink vs copy, with device counters";
    }

    /** One workload on one file system: the operations, the bytes the program moved, and the device's counters. */
    record Measure(String fs, String workload, long ops, long bytes, long nanos, DeviceStats dev) {
        double opsPerSecond() {
            return ops / (nanos / 1e9);
        }

        /** Bytes written to the device per byte the program wrote (journal, metadata, copy-on-write). */
        double deviceBytesPerByte() {
            return bytes == 0 ? 0 : dev.writeBytes() / (double) bytes;
        }
    }

    /** The sizes of one run. */
    record Sizes(long imageBytes, int appends, int overwrites, long overwriteFileBytes, int firstWrites,
            int files, long copyBytes) {
        static Sizes of(boolean quick) {
            return quick ? new Sizes(512L << 20, 300, 300, 32L << 20, 200, 1000, 64L << 20)
                    : new Sizes(2304L << 20, 2000, 2000, 256L << 20, 1000, 10_000, 1L << 30);
        }
    }

    /** Why the lab cannot run here, or null. */
    static String refusal() {
        if (!Privileges.isRoot()) {
            return "lab filesystems needs root: it creates loop devices (losetup), formats them (mkfs.ext4, mkfs.xfs,"
                    + " mkfs.btrfs) and mounts them. Run it as root, e.g. sudo bin/rawio lab filesystems.";
        }
        if (!Shell.has("losetup")) {
            return "lab filesystems needs losetup (util-linux)";
        }
        return null;
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        LabResult r = new LabResult(name(), "ext4 vs XFS vs btrfs on identical loop devices",
                List.of("fs", "workload", "ops", "ops/s", "device MiB written", "device bytes/byte", "device MiB read",
                        "device writes", "flushes"));
        String refused = refusal();
        if (refused != null) {
            return r.refused(refused);
        }
        Sizes sizes = Sizes.of(ctx.quick());
        List<Measure> all = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String fs : FILE_SYSTEMS) {
            if (!Shell.has("mkfs." + fs)) {
                skipped.add(fs + ": mkfs." + fs + " is not installed (apt-get install "
                        + (fs.equals("ext4") ? "e2fsprogs" : fs + "progs") + ")");
                continue;
            }
            try (Teardown t = new Teardown()) {
                ctx.say("filesystems: " + fs + ": mkfs and mount");
                String dev = t.loop(ctx.workDir().resolve("rawio-lab-fs-" + fs + ".img"), sizes.imageBytes());
                t.mkfs(dev, fs, fs.equals("ext4") ? "-F" : "-f", "-q");
                Path mnt = t.mount(dev, ctx.workDir().resolve("rawio-lab-fs-" + fs));
                all.addAll(workloads(ctx, fs, Path.of(dev).getFileName().toString(), mnt, sizes));
            }
        }
        report(r, all, skipped, sizes);
        return r;
    }

    private interface Workload {
        /** Runs on the clock; returns {ops, bytes the program wrote}. */
        long[] run() throws IOException;
    }

    private static Measure measure(String fs, String dev, Path mnt, String workload, Workload w) throws IOException {
        syncfs(mnt);
        LabDevice.settle(dev);
        DeviceStats before = sample(dev);
        long t0 = System.nanoTime();
        long[] done = w.run();
        long nanos = System.nanoTime() - t0;
        // What the file system still writes for it (journal commit, log, metadata) counts, off the clock.
        syncfs(mnt);
        LabDevice.settle(dev);
        return new Measure(fs, workload, done[0], done[1], nanos, sample(dev).minus(before));
    }

    private static List<Measure> workloads(LabContext ctx, String fs, String dev, Path mnt, Sizes s) throws IOException {
        List<Measure> out = new ArrayList<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(a, 1 << 20, 4096).fill((byte) 'r');
            MemorySegment rec = buf.asSlice(0, RECORD);
            ctx.say("filesystems: " + fs + ": durable appends");
            out.add(measure(fs, dev, mnt, "append 4 KiB, fdatasync each", () -> {
                try (NativeFile f = NativeFile.open(mnt.resolve("wal-1"), OpenFlag.WRONLY, OpenFlag.CREAT)) {
                    for (int i = 0; i < s.appends(); i++) {
                        f.writeFully(rec, (long) i * RECORD);
                        f.fdatasync();
                    }
                }
                return new long[] {s.appends(), (long) s.appends() * RECORD};
            }));
            out.add(measure(fs, dev, mnt, "append " + GROUP + " x 4 KiB, fdatasync per group", () -> {
                int groups = s.appends() / GROUP;
                MemorySegment g = buf.asSlice(0, (long) GROUP * RECORD);
                try (NativeFile f = NativeFile.open(mnt.resolve("wal-16"), OpenFlag.WRONLY, OpenFlag.CREAT)) {
                    for (int i = 0; i < groups; i++) {
                        f.writeFully(g, (long) i * g.byteSize());
                        f.fdatasync();
                    }
                }
                return new long[] {groups, (long) groups * GROUP * RECORD};
            }));

            ctx.say("filesystems: " + fs + ": random overwrites");
            Path data = mnt.resolve("data");
            writeZeros(data, s.overwriteFileBytes(), buf);
            long pages = s.overwriteFileBytes() / RECORD;
            out.add(measure(fs, dev, mnt, "overwrite 4 KiB random, buffered + fsync", () -> {
                SplittableRandom rnd = new SplittableRandom(1);
                try (NativeFile f = NativeFile.open(data, OpenFlag.WRONLY)) {
                    for (int i = 0; i < s.overwrites(); i++) {
                        f.writeFully(rec, rnd.nextLong(pages) * RECORD);
                        f.fsync();
                    }
                }
                return new long[] {s.overwrites(), (long) s.overwrites() * RECORD};
            }));
            out.add(measure(fs, dev, mnt, "overwrite 4 KiB random, O_DIRECT", () -> {
                SplittableRandom rnd = new SplittableRandom(2);
                try (NativeFile f = NativeFile.open(data, OpenFlag.WRONLY, OpenFlag.DIRECT)) {
                    for (int i = 0; i < s.overwrites(); i++) {
                        f.writeFully(rec, rnd.nextLong(pages) * RECORD);
                    }
                }
                return new long[] {s.overwrites(), (long) s.overwrites() * RECORD};
            }));

            ctx.say("filesystems: " + fs + ": first writes into fallocate'd vs zero-filled space");
            long span = (long) s.firstWrites() * RECORD * 4;
            Path unwritten = mnt.resolve("fallocated");
            try (NativeFile f = NativeFile.open(unwritten, OpenFlag.RDWR, OpenFlag.CREAT)) {
                f.allocate(0, span);
                f.fsync();
            }
            Path zeroed = mnt.resolve("zeroed");
            writeZeros(zeroed, span, buf);
            for (Path p : List.of(unwritten, zeroed)) {
                String what = p == unwritten ? "first write into fallocate'd space, O_DIRECT + fdatasync"
                        : "first write into zero-filled space, O_DIRECT + fdatasync";
                out.add(measure(fs, dev, mnt, what, () -> {
                    try (NativeFile f = NativeFile.open(p, OpenFlag.WRONLY, OpenFlag.DIRECT)) {
                        // Every fourth page, front to back: each write lands in space not written before.
                        for (int i = 0; i < s.firstWrites(); i++) {
                            f.writeFully(rec, (long) i * 4 * RECORD);
                            f.fdatasync();
                        }
                    }
                    return new long[] {s.firstWrites(), (long) s.firstWrites() * RECORD};
                }));
            }

            ctx.say("filesystems: " + fs + ": " + s.files() + " small files");
            Path dir = mnt.resolve("files");
            java.nio.file.Files.createDirectories(dir);
            out.add(measure(fs, dev, mnt, String.format(Locale.ROOT, "create + write 4 KiB + fsync, %,d files",
                    s.files()), () -> {
                for (int i = 0; i < s.files(); i++) {
                    try (NativeFile f = NativeFile.open(dir.resolve("f" + i), OpenFlag.WRONLY, OpenFlag.CREAT,
                            OpenFlag.EXCL)) {
                        f.writeFully(rec, 0);
                        f.fsync();
                    }
                }
                try (NativeFile d = NativeFile.open(dir, OpenFlag.RDONLY, OpenFlag.DIRECTORY)) {
                    d.fsync();
                }
                return new long[] {s.files(), (long) s.files() * RECORD};
            }));

            ctx.say("filesystems: " + fs + ": copy_file_range of " + Units.formatSize(s.copyBytes()));
            Path src = mnt.resolve("copy-src");
            writeZeros(src, s.copyBytes(), buf.fill((byte) 'c'));
            PageCache.drop(src);
            Path dst = mnt.resolve("copy-dst");
            out.add(measure(fs, dev, mnt, "copy_file_range " + Units.formatSize(s.copyBytes()) + " + fsync", () -> {
                try (NativeFile in = NativeFile.open(src, OpenFlag.RDONLY);
                     NativeFile o = NativeFile.open(dst, OpenFlag.WRONLY, OpenFlag.CREAT)) {
                    long done = 0;
                    while (done < s.copyBytes()) {
                        long n = in.copyFileRange(done, o, done, s.copyBytes() - done);
                        if (n <= 0) {
                            throw new IOException("copy_file_range returned " + n + " at " + done + ", path=" + src);
                        }
                        done += n;
                    }
                    o.fsync();
                }
                return new long[] {1, s.copyBytes()};
            }));
        }
        return out;
    }

    private static void writeZeros(Path file, long size, MemorySegment buf) throws IOException {
        try (NativeFile f = NativeFile.open(file, OpenFlag.WRONLY, OpenFlag.CREAT, OpenFlag.TRUNC)) {
            for (long off = 0; off < size; off += buf.byteSize()) {
                f.writeFully(buf.asSlice(0, Math.min(buf.byteSize(), size - off)), off);
            }
            f.fsync();
        }
    }

    private static void syncfs(Path mnt) {
        Shell.run("sync", "-f", mnt.toString());
    }

    private static DeviceStats sample(String dev) {
        return DeviceStats.sample(dev).orElse(new DeviceStats(dev, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    static Measure find(List<Measure> all, String fs, String workloadPrefix) {
        return all.stream().filter(m -> m.fs().equals(fs) && m.workload().startsWith(workloadPrefix)).findFirst()
                .orElse(null);
    }

    private void report(LabResult r, List<Measure> all, List<String> skipped, Sizes s) {
        Map<String, List<double[]>> rate = new LinkedHashMap<>();
        Map<String, List<double[]>> amp = new LinkedHashMap<>();
        List<String> workloads = all.stream().map(Measure::workload).distinct().toList();
        List<Map<String, Object>> raw = new ArrayList<>();
        for (Measure m : all) {
            r.row(m.fs(), m.workload(), m.ops(), m.opsPerSecond(), m.dev().writeBytes() / 1048576.0,
                    m.deviceBytesPerByte(), m.dev().readBytes() / 1048576.0, m.dev().writeIos(), m.dev().flushIos());
            int x = workloads.indexOf(m.workload()) + 1;
            if (!m.workload().startsWith("copy")) {
                rate.computeIfAbsent(m.fs(), k -> new ArrayList<>()).add(new double[] {x, m.opsPerSecond()});
            }
            amp.computeIfAbsent(m.fs(), k -> new ArrayList<>()).add(new double[] {x, Math.max(1e-3, m.deviceBytesPerByte())});
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("fs", m.fs());
            row.put("workload", m.workload());
            row.put("ops", m.ops());
            row.put("bytes", m.bytes());
            row.put("nanos", m.nanos());
            row.put("device_write_bytes", m.dev().writeBytes());
            row.put("device_read_bytes", m.dev().readBytes());
            row.put("device_writes", m.dev().writeIos());
            row.put("device_flushes", m.dev().flushIos());
            raw.add(row);
        }
        for (String why : skipped) {
            r.finding("Skipped " + why + ".");
        }
        List<String> fss = all.stream().map(Measure::fs).distinct().toList();
        StringBuilder appends = new StringBuilder();
        StringBuilder first = new StringBuilder();
        StringBuilder files = new StringBuilder();
        StringBuilder copies = new StringBuilder();
        for (String fs : fss) {
            Measure a1 = find(all, fs, "append 4 KiB");
            Measure ag = find(all, fs, "append " + GROUP);
            Measure fu = find(all, fs, "first write into fallocate");
            Measure fz = find(all, fs, "first write into zero");
            Measure sf = find(all, fs, "create");
            Measure cp = find(all, fs, "copy_file_range");
            if (a1 != null && ag != null) {
                appends.append(String.format(Locale.ROOT, "%s %.0f commits/s and %.1f device bytes per byte (%.0f"
                        + " commits/s, %.1f per byte in groups of %d); ", fs, a1.opsPerSecond(), a1.deviceBytesPerByte(),
                        ag.opsPerSecond(), ag.deviceBytesPerByte(), GROUP));
            }
            if (fu != null && fz != null) {
                first.append(String.format(Locale.ROOT, "%s %.0f vs %.0f writes/s (%.1f vs %.1f device bytes per byte); ",
                        fs, fu.opsPerSecond(), fz.opsPerSecond(), fu.deviceBytesPerByte(), fz.deviceBytesPerByte()));
            }
            if (sf != null) {
                files.append(String.format(Locale.ROOT, "%s %.0f files/s, %.1f device bytes per byte; ", fs,
                        sf.opsPerSecond(), sf.deviceBytesPerByte()));
            }
            if (cp != null) {
                copies.append(String.format(Locale.ROOT, "%s %.0f ms and %.0f MiB written to the device; ", fs,
                        cp.nanos() / 1e6, cp.dev().writeBytes() / 1048576.0));
            }
        }
        if (!appends.isEmpty()) {
            r.finding("Durable 4 KiB appends: " + trim(appends) + ". An append changes the file's size, so every"
                    + " fdatasync must also make the size durable: ext4 commits a jbd2 journal transaction (ordered"
                    + " mode: the data block first, then the journal with the inode, then a flush), XFS forces its log,"
                    + " btrfs writes the data and a log-tree item and flushes; grouping records shares that metadata"
                    + " write and the flush among them.");
        }
        if (!first.isEmpty()) {
            r.finding("First write into fallocate'd (unwritten) vs zero-filled space: " + trim(first) + ". fallocate"
                    + " reserves extents marked unwritten so reads return zeros; the first write into one must convert"
                    + " the extent to written, a metadata change that the fdatasync has to journal (the extra device bytes per"
                    + " byte), while a write into zero-filled space changes data only; what that costs in time depends on"
                    + " how the journal or log write shares the flush. On btrfs every overwrite is copy-on-write anyway, so both"
                    + " allocate new space.");
        }
        if (!files.isEmpty()) {
            r.finding(String.format(Locale.ROOT, "%,d small files, each created, written and fsynced: ", s.files())
                    + trim(files) + ". Creating a file changes the directory, the inode table and the allocation maps,"
                    + " and each fsync commits them (a journal transaction on ext4, a log force on XFS, a tree log"
                    + " write on btrfs).");
        }
        if (!copies.isEmpty()) {
            r.finding("copy_file_range of " + Units.formatSize(s.copyBytes()) + ": " + trim(copies) + ". XFS (made with"
                    + " reflink=1, mkfs.xfs's default) and btrfs share the source's extents (a reflink: metadata only,"
                    + " nearly nothing written), ext4 has no shared extents and copies the bytes in the kernel (read and"
                    + " written, without passing through user space).");
        }
        r.finding("Device counters of the loop device only (losetup --direct-io=on over a file in --dir): bytes include"
                + " what the file system wrote after the last call (a syncfs and a settle off the clock). Times are"
                + " those of the disk under the loop files, so compare the file systems with each other, not with a"
                + " bare device. O_DIRECT overwrites are not durable without a flush and are shown for their cost only.");
        r.chart(new LabResult.Chart("ops", "Operations per second by workload (table order)", "workload", "ops/s",
                false, rate, true));
        r.chart(new LabResult.Chart("amplification", "Device bytes written per byte written by the program",
                "workload", "device bytes / byte", false, amp, true));
        r.raw("workloads", workloads);
        r.raw("results", raw);
        r.raw("image_bytes", s.imageBytes());
    }

    private static String trim(StringBuilder sb) {
        return sb.substring(0, sb.length() - 2);
    }
}
