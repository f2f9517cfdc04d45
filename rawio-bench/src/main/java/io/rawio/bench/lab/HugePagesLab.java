package io.rawio.bench.lab;

import io.rawio.bench.metrics.DeviceStats;
import io.rawio.bench.run.Permutation;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.Mman;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.Privileges;
import io.rawio.nativeio.Procfs;
import io.rawio.nativeio.ResourceUsage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Huge pages for I/O buffers and mappings: hugetlb 2 MiB pages (reserved through /proc/sys/vm/nr_hugepages
 * for the run and released after, the original value restored) and transparent huge pages (MADV_HUGEPAGE)
 * against 4 KiB pages, for 256 KiB O_DIRECT reads from a loop device (the request sizes the device saw),
 * and for a dependent random walk over a large mapping (time per access and page faults; perf's dTLB
 * counters when they exist here).
 */
public final class HugePagesLab implements Lab {
    static final long HUGE = 2L << 20;
    static final int READ = 256 << 10;
    static final Path NR_HUGEPAGES = Path.of("/proc/sys/vm/nr_hugepages");

    @Override
    public String name() {
        return "hugepages";
    }

    @Override
    public String summary() {
        return "hugetlb 2 MiB pages and THP vs 4 KiB pages (root): 256 KiB O_DIRECT reads into each, and a random walk"
                + " over a large mapping: MiB/s, device request size, ns per access, page faults";
    }

    enum Pages {
        SMALL("4 KiB pages"), HUGETLB("hugetlb 2 MiB pages"), THP("THP (MADV_HUGEPAGE)");

        final String label;

        Pages(String label) {
            this.label = label;
        }
    }

    /** HugePages_Free from /proc/meminfo text, 0 when absent. */
    static long hugePagesFree(String meminfo) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith("HugePages_Free:")) {
                return Long.parseLong(line.substring(15).trim());
            }
        }
        return 0;
    }

    /** An anonymous mapping in the given pages; hugetlb needs that many free huge pages. */
    static MemorySegment map(Arena a, long size, Pages pages) throws NativeIoException {
        if (pages == Pages.HUGETLB) {
            long length = (size + HUGE - 1) & -HUGE;
            long addr = Libc.mmap(0, length, LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE,
                    LinuxConstants.MAP_PRIVATE | LinuxConstants.MAP_ANONYMOUS | LinuxConstants.MAP_HUGETLB, -1, 0);
            if (addr < 0 && addr > -4096) {
                throw new NativeIoException("mmap", (int) -addr, "MAP_HUGETLB", -1, 0, length,
                        "not enough free huge pages (/proc/sys/vm/nr_hugepages)");
            }
            return MemorySegment.ofAddress(addr).reinterpret(size, a, s -> Libc.munmap(addr, length));
        }
        MemorySegment m = AlignedMemory.mapAnonymous(a, size, pages == Pages.THP);
        if (pages == Pages.SMALL) {
            try {
                Mman.madvise(m, LinuxConstants.MADV_NOHUGEPAGE);
            } catch (NativeIoException e) {
                // Without THP the memory is in 4 KiB pages anyway.
            }
        }
        return m;
    }

    record Row(String test, Pages pages, double value, String unit, long minorFaults, String note) {
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        LabResult r = new LabResult(name(), "Huge pages for O_DIRECT buffers and large mappings",
                List.of("test", "pages", "result", "unit", "minor faults", "note"));
        if (!Privileges.isRoot() || !Shell.has("losetup")) {
            String why = "lab hugepages needs root and losetup: it reserves 2 MiB pages in /proc/sys/vm/nr_hugepages"
                    + " (released after) and reads a loop device it creates. Run it as root.";
            return r.refused(why);
        }
        boolean quick = ctx.quick();
        long walkBytes = quick ? 128L << 20 : 1L << 30;
        long walkSteps = quick ? 4_000_000 : 40_000_000;
        long readNs = quick ? 1_500_000_000L : 6_000_000_000L;
        long devBytes = quick ? 128L << 20 : 512L << 20;
        List<Row> rows = new ArrayList<>();
        Map<String, Object> raw = new LinkedHashMap<>();
        String original = Teardown.read(NR_HUGEPAGES);
        long want = walkBytes / HUGE + 1;
        try (Teardown t = new Teardown()) {
            if (!t.set(NR_HUGEPAGES, Long.toString(Long.parseLong(original) + want), original)) {
                throw new IOException("could not write " + NR_HUGEPAGES);
            }
            long free = hugePagesFree(Procfs.read(Path.of("/proc/meminfo")));
            raw.put("nr_hugepages_original", original);
            raw.put("huge_pages_free", free);
            String dev = t.loop(ctx.workDir().resolve("rawio-lab-hugepages.img"), devBytes);
            String name = Path.of(dev).getFileName().toString();
            Path queue = Path.of("/sys/block", name, "queue");
            String segs = Teardown.read(queue.resolve("max_segments"));
            String maxKb = Teardown.read(queue.resolve("max_sectors_kb"));
            try (Arena a = Arena.ofConfined(); NativeFile f = NativeFile.open(Path.of(dev), OpenFlag.RDWR, OpenFlag.DIRECT)) {
                MemorySegment fill = AlignedMemory.allocate(a, 1 << 20, 4096).fill((byte) 'h');
                for (long off = 0; off < devBytes; off += fill.byteSize()) {
                    f.writeFully(fill, off);
                }
                f.fsync();
                for (Pages p : Pages.values()) {
                    if (p == Pages.HUGETLB && free < 1) {
                        continue;
                    }
                    ctx.say("hugepages: 256 KiB O_DIRECT reads into " + p.label);
                    rows.add(directReads(f, name, devBytes, readNs, p, segs, maxKb));
                }
            }
            for (Pages p : Pages.values()) {
                if (p == Pages.HUGETLB && free * HUGE < walkBytes) {
                    rows.add(new Row("random walk", p, 0, "skipped", 0, free + " huge pages free, "
                            + walkBytes / HUGE + " needed"));
                    continue;
                }
                ctx.say("hugepages: random walk over " + (walkBytes >> 20) + " MiB in " + p.label);
                rows.addAll(walk(walkBytes, walkSteps, p));
            }
        }
        raw.put("nr_hugepages_after", Teardown.read(NR_HUGEPAGES));
        String perf = perfProbe();
        report(r, rows, raw, perf, walkBytes);
        return r;
    }

    private static Row directReads(NativeFile f, String dev, long devBytes, long ns, Pages pages, String segs,
            String maxKb) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = map(a, HUGE, pages);
            m.fill((byte) 0);
            MemorySegment buf = m.asSlice(0, READ);
            SplittableRandom rnd = new SplittableRandom(5);
            long blocks = devBytes / READ;
            LabDevice.settle(dev);
            DeviceStats before = DeviceStats.sample(dev).orElseThrow();
            long reads = 0;
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < ns) {
                f.readFully(buf, rnd.nextLong(blocks) * READ);
                reads++;
            }
            long nanos = System.nanoTime() - t0;
            DeviceStats d = DeviceStats.sample(dev).orElseThrow().minus(before);
            double mibs = reads * (double) READ / 1048576.0 / (nanos / 1e9);
            double reqKib = d.readIos() == 0 ? 0 : d.readBytes() / 1024.0 / d.readIos();
            return new Row("256 KiB O_DIRECT random reads", pages, mibs, "MiB/s", 0, String.format(Locale.ROOT,
                    "%.0f KiB per device request (max_segments=%s, max_sectors_kb=%s)", reqKib, segs, maxKb));
        }
    }

    private static long sink;

    private static List<Row> walk(long bytes, long steps, Pages pages) throws IOException {
        int lines = (int) (bytes / 64);
        int[] order = Permutation.of(lines, 9);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = map(a, bytes, pages);
            ResourceUsage u0 = ResourceUsage.thread();
            long t0 = System.nanoTime();
            // One cycle through every cache line in random order: each step's address comes from the last load.
            for (int i = 0; i < lines; i++) {
                m.set(ValueLayout.JAVA_LONG, (long) order[i] * 64, (long) order[(i + 1) % lines] * 64);
            }
            long touchNs = System.nanoTime() - t0;
            ResourceUsage u1 = ResourceUsage.thread();
            long at = (long) order[0] * 64;
            long t1 = System.nanoTime();
            for (long s = 0; s < steps; s++) {
                at = m.get(ValueLayout.JAVA_LONG, at);
            }
            long walkNs = System.nanoTime() - t1;
            ResourceUsage u2 = ResourceUsage.thread();
            sink += at;
            return List.of(
                    new Row("first touch of the mapping", pages, touchNs / 1e6, "ms", u1.minus(u0).minorFaults(),
                            (bytes >> 20) + " MiB"),
                    new Row("dependent random walk", pages, walkNs / (double) steps, "ns/access",
                            u2.minus(u1).minorFaults(), steps + " loads over " + (bytes >> 20) + " MiB"));
        }
    }

    /** Whether perf can count dTLB misses here, and if not, what it said. */
    static String perfProbe() {
        if (!Shell.has("perf")) {
            return "perf is not installed";
        }
        Shell.Result p = Shell.run(20, "perf", "stat", "-x,", "-e", "dTLB-load-misses", "--", "true");
        return perfSupported(p.output()) ? null : "perf stat reports dTLB-load-misses as not supported (no PMU here,"
                + " e.g. a VM without counter passthrough)";
    }

    /** Whether perf stat -x, output has a count for its event. */
    static boolean perfSupported(String output) {
        for (String line : output.split("\n")) {
            if (line.contains("dTLB-load-misses")) {
                return !line.startsWith("<not supported>") && !line.startsWith("<not counted>");
            }
        }
        return false;
    }

    private void report(LabResult r, List<Row> rows, Map<String, Object> raw, String perf, long walkBytes) {
        Map<String, List<double[]>> walk = new LinkedHashMap<>();
        List<Map<String, Object>> rawRows = new ArrayList<>();
        int x = 0;
        for (Row row : rows) {
            r.row(row.test(), row.pages().label, row.value(), row.unit(), row.minorFaults(), row.note());
            if (row.test().equals("dependent random walk") || row.test().startsWith("256 KiB")) {
                walk.computeIfAbsent(row.test() + " (" + row.unit() + ")", k -> new ArrayList<>())
                        .add(new double[] {row.pages().ordinal() + 1, row.value()});
            }
            rawRows.add(Map.of("test", row.test(), "pages", row.pages().name(), "value", row.value(), "unit", row.unit(),
                    "minor_faults", row.minorFaults(), "note", row.note()));
        }
        Row small = find(rows, "dependent random walk", Pages.SMALL);
        Row huge = find(rows, "dependent random walk", Pages.HUGETLB);
        Row thp = find(rows, "dependent random walk", Pages.THP);
        if (small != null && huge != null && thp != null) {
            r.finding(String.format(Locale.ROOT, "A dependent random walk over %d MiB: %.1f ns per load in 4 KiB pages,"
                    + " %.1f in hugetlb 2 MiB pages, %.1f with THP. With 4 KiB pages almost every load misses the TLB"
                    + " and walks four levels of page table (the table entries themselves miss the caches); a 2 MiB"
                    + " page is one TLB entry for 512 times the memory and a three-level walk.", walkBytes >> 20,
                    small.value(), huge.value(), thp.value()));
        }
        Row ts = find(rows, "first touch of the mapping", Pages.SMALL);
        Row th = find(rows, "first touch of the mapping", Pages.HUGETLB);
        if (ts != null && th != null) {
            r.finding(String.format(Locale.ROOT, "Touching the mapping the first time: %d page faults in 4 KiB pages,"
                    + " %d in hugetlb pages (one per 2 MiB, from the reserved pool).", ts.minorFaults(), th.minorFaults()));
        }
        Row ds = find(rows, "256 KiB O_DIRECT random reads", Pages.SMALL);
        Row dh = find(rows, "256 KiB O_DIRECT random reads", Pages.HUGETLB);
        if (ds != null && dh != null) {
            r.finding(String.format(Locale.ROOT, "256 KiB O_DIRECT reads: %.0f MiB/s into 4 KiB pages (%s), %.0f MiB/s"
                    + " into a 2 MiB page (%s). A buffer in 4 KiB pages is up to 64 physically separate pieces, one"
                    + " segment each; in a huge page it is one contiguous piece. Where max_segments is below 64 the"
                    + " 4 KiB-page read is split into more requests; where it is not, both arrive whole and a"
                    + " difference in MiB/s comes from the device under them, not the buffer.", ds.value(), ds.note(), dh.value(), dh.note()));
        }
        r.finding(perf == null ? "perf's dTLB counters exist here; run perf stat -e dTLB-load-misses -p PID beside"
                + " the walk for the miss counts." : "No TLB miss counts: " + perf + "; time per access and page faults"
                + " stand in for them.");
        r.finding(String.format(Locale.ROOT, "nr_hugepages was %s, raised for the run and restored (%s after).",
                raw.get("nr_hugepages_original"), raw.get("nr_hugepages_after")));
        r.finding("NUMA: this lab does not bind memory or threads to nodes; on a one-node machine there is nothing to"
                + " compare.");
        r.chart(new LabResult.Chart("pages", "By page kind (1: 4 KiB, 2: hugetlb, 3: THP)", "page kind", "value",
                false, walk, true));
        raw.put("rows", rawRows);
        raw.put("perf", perf == null ? "available" : perf);
        raw.forEach(r::raw);
    }

    private static Row find(List<Row> rows, String test, Pages p) {
        return rows.stream().filter(x -> x.test().equals(test) && x.pages() == p && !x.unit().equals("skipped"))
                .findFirst().orElse(null);
    }
}
