package io.rawio.bench.lab;

import io.rawio.bench.run.PageCache;
import io.rawio.bench.run.Permutation;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.Mman;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.ResourceUsage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * mmap vs pread over files from a cold page cache, sequential and random, with each madvise hint; and
 * anonymous memory with and without MADV_HUGEPAGE. Throughput and page faults per MiB.
 */
public final class MmapLab implements Lab {
    static final int PAGE = 4096;

    @Override
    public String name() {
        return "mmap";
    }

    @Override
    public String summary() {
        return "mmap vs pread, sequential and random, with madvise NORMAL/SEQUENTIAL/RANDOM/WILLNEED; anonymous "
                + "memory with and without MADV_HUGEPAGE: throughput and page faults per MiB";
    }

    private record Row(String what, String access, long bytes, long nanos, long minor, long major) {
        double mibs() {
            return bytes / 1048576.0 / (nanos / 1e9);
        }

        double per(long faults) {
            return faults / (bytes / 1048576.0);
        }
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        long max = ctx.size(ctx.quick() ? 32L << 20 : 512L << 20);
        List<Long> sizeList = new ArrayList<>();
        for (long s = 1L << 20; s < max; s *= ctx.quick() ? 32 : 8) {
            sizeList.add(s);
        }
        sizeList.add(Math.max(PAGE, max / PAGE * PAGE));
        long[] sizes = sizeList.stream().mapToLong(Long::longValue).toArray();
        Path file = ctx.workDir().resolve("rawio-lab-mmap.dat");
        List<Row> rows = new ArrayList<>();
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        try {
            for (long size : sizes) {
                write(file, size);
                for (String access : List.of("sequential", "random")) {
                    ctx.say("mmap: " + (size >> 20) + " MiB " + access);
                    boolean random = access.equals("random");
                    // The page order is made once, and the cache dropped, before each clock starts.
                    int pages = (int) (size / PAGE);
                    int[] order = random ? Permutation.of(pages, 5) : Permutation.identity(pages);
                    Body cold = () -> PageCache.drop(file);
                    rows.add(measure("pread 4 KiB", access, size, cold, () -> pread(file, order, random)));
                    for (int advice : new int[] {LinuxConstants.MADV_NORMAL, LinuxConstants.MADV_SEQUENTIAL,
                        LinuxConstants.MADV_RANDOM, LinuxConstants.MADV_WILLNEED}) {
                        rows.add(measure("mmap " + adviceName(advice), access, size, cold,
                                () -> mapped(file, size, advice, order)));
                    }
                }
            }
            long anon = ctx.quick() ? 64L << 20 : 512L << 20;
            for (boolean huge : new boolean[] {false, true}) {
                ctx.say("mmap: anonymous " + (huge ? "MADV_HUGEPAGE" : "4 KiB pages"));
                rows.add(measure(huge ? "anonymous, MADV_HUGEPAGE" : "anonymous, 4 KiB pages", "first touch", anon,
                        () -> { }, () -> touchAnonymous(anon, huge)));
            }
        } finally {
            Files.deleteIfExists(file);
        }
        LabResult r = new LabResult(name(), "mmap vs pread, and huge pages",
                List.of("method", "access", "size", "MiB/s", "minor faults/MiB", "major faults/MiB"));
        for (Row row : rows) {
            r.row(row.what(), row.access(), io.rawio.bench.job.Units.formatSize(row.bytes()), row.mibs(),
                    row.per(row.minor()), row.per(row.major()));
            if (!row.access().equals("first touch")) {
                series.computeIfAbsent(row.what() + " " + row.access(), k -> new ArrayList<>())
                        .add(new double[] {row.bytes(), row.mibs()});
            }
        }
        Row small = rows.stream().filter(x -> x.what().equals("anonymous, 4 KiB pages")).findFirst().orElseThrow();
        Row huge = rows.stream().filter(x -> x.what().equals("anonymous, MADV_HUGEPAGE")).findFirst().orElseThrow();
        r.finding(String.format(java.util.Locale.ROOT, "Touching anonymous memory: %.0f minor faults per MiB in 4 KiB"
                + " pages, %.1f with MADV_HUGEPAGE (%s): one fault maps 2 MiB.", small.per(small.minor()),
                huge.per(huge.minor()), AlignedMemory.hugePagesStatus()));
        double randomMajor = rows.stream().filter(x -> x.what().equals("mmap MADV_RANDOM")).mapToDouble(x -> x.per(x.major()))
                .max().orElse(0);
        r.finding(String.format(java.util.Locale.ROOT, "From a cold cache, MADV_RANDOM turns readahead off and every"
                + " first touch of a mapped page is a major fault that waits for the device (%.0f per MiB); with the"
                + " other hints readahead and fault-around fill many pages per fault.", randomMajor));
        r.chart(new LabResult.Chart("throughput", "Cold-cache throughput by file size", "file size (bytes)", "MiB/s", true,
                series));
        List<Map<String, Object>> raw = new ArrayList<>();
        for (Row row : rows) {
            raw.add(Map.of("method", row.what(), "access", row.access(), "bytes", row.bytes(), "nanos", row.nanos(),
                    "minor_faults", row.minor(), "major_faults", row.major()));
        }
        r.raw("results", raw);
        return r;
    }

    private interface Body {
        void run() throws IOException;
    }

    /** Runs {@code before} off the clock, then times {@code body}. */
    private Row measure(String what, String access, long size, Body before, Body body) throws IOException {
        before.run();
        ResourceUsage u0 = ResourceUsage.thread();
        long t0 = System.nanoTime();
        body.run();
        long nanos = System.nanoTime() - t0;
        ResourceUsage u = ResourceUsage.thread().minus(u0);
        return new Row(what, access, size, nanos, u.minorFaults(), u.majorFaults());
    }

    private static String adviceName(int advice) {
        return switch (advice) {
            case LinuxConstants.MADV_SEQUENTIAL -> "MADV_SEQUENTIAL";
            case LinuxConstants.MADV_RANDOM -> "MADV_RANDOM";
            case LinuxConstants.MADV_WILLNEED -> "MADV_WILLNEED";
            default -> "MADV_NORMAL";
        };
    }

    private static void write(Path file, long size) throws IOException {
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDWR, OpenFlag.CREAT, OpenFlag.TRUNC);
             Arena a = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(a, 1 << 20, PAGE).fill((byte) 7);
            for (long off = 0; off < size; off += buf.byteSize()) {
                f.writeFully(buf.asSlice(0, Math.min(buf.byteSize(), size - off)), off);
            }
            f.fsync();
            PageCache.drop(f);
        }
    }

    private static void pread(Path file, int[] order, boolean random) throws IOException {
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY); Arena a = Arena.ofConfined()) {
            if (random) {
                f.fadvise(0, 0, LinuxConstants.POSIX_FADV_RANDOM);
            }
            MemorySegment buf = AlignedMemory.allocate(a, PAGE, PAGE);
            for (int p : order) {
                f.readFully(buf, (long) p * PAGE);
            }
        }
    }

    private static long sink;

    private static void mapped(Path file, long size, int advice, int[] order) throws IOException {
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY); Arena a = Arena.ofConfined()) {
            MemorySegment m = Mman.map(a, f, 0, size, LinuxConstants.PROT_READ, LinuxConstants.MAP_SHARED);
            Mman.madvise(m, advice);
            MemorySegment buf = AlignedMemory.allocate(a, PAGE, PAGE);
            long s = 0;
            for (int p : order) {
                MemorySegment.copy(m, (long) p * PAGE, buf, 0, PAGE);
                s += buf.get(ValueLayout.JAVA_LONG, 0);
            }
            sink += s;
        }
    }

    private static void touchAnonymous(long size, boolean huge) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = AlignedMemory.mapAnonymous(a, size, huge);
            for (long off = 0; off < size; off += PAGE) {
                m.set(ValueLayout.JAVA_LONG, off, off);
            }
        }
    }
}
