package io.rawio.bench.lab;

import io.rawio.bench.run.PageCache;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.Mman;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A log analyzer: count the lines and the lines containing "ERROR" of a large log file, from a cold
 * cache, by read() with several buffer sizes, by mmap + MADV_SEQUENTIAL, by parallel chunks (one per
 * core), and by O_DIRECT streaming, next to {@code wc -l} on the same file; and the streaming analyzer
 * whose memory stays flat: a window mapped at a time (MADV_SEQUENTIAL + MADV_WILLNEED on the next one,
 * munmap behind, with or without POSIX_FADV_DONTNEED behind) and a read loop that drops the pages behind
 * it. GiB/s, the process's peak RSS growth and the file's peak pages in the page cache (mincore), and
 * every method's counts must agree.
 */
public final class ScanLab implements Lab {
    static final byte[] PATTERN = "ERROR".getBytes(StandardCharsets.US_ASCII);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    @Override
    public String name() {
        return "scan";
    }

    @Override
    public String summary() {
        return "count lines and matches in a large log file: read() buffers, mmap + MADV_SEQUENTIAL, parallel "
                + "chunks, O_DIRECT, next to wc -l; a sliding mapped window and a read loop with FADV_DONTNEED behind:"
                + " GiB/s, peak RSS and page-cache pages";
    }

    /** Lines and pattern matches of a region. */
    record Counts(long lines, long matches) {
        Counts plus(Counts o) {
            return new Counts(lines + o.lines, matches + o.matches);
        }
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        // Whole MiB: the log is written in 1 MiB chunks that end at line boundaries.
        long size = Math.max(1L << 20, ctx.size(ctx.quick() ? 64L << 20 : 2L << 30) >> 20 << 20);
        Path file = ctx.workDir().resolve("rawio-lab-scan.log");
        LabResult r = new LabResult(name(), "Scanning a " + io.rawio.bench.job.Units.formatSize(size) + " log file",
                List.of("method", "GiB/s", "lines", "ERROR lines", "peak RSS growth", "peak cached"));
        // The streaming analyzer's window: 64 MiB, or an eighth of a smaller file, in whole MiB (line boundaries).
        long window = Math.max(1L << 20, Math.min(64L << 20, size / 8) >> 20 << 20);
        String w = io.rawio.bench.job.Units.formatSize(window);
        Map<String, List<double[]>> bars = new LinkedHashMap<>();
        Map<String, List<double[]>> memory = new LinkedHashMap<>();
        Map<String, long[]> peaks = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        try {
            ctx.say("scan: writing the log");
            generate(file, size);
            int cores = Runtime.getRuntime().availableProcessors();
            List<Object[]> methods = List.of(
                    new Object[] {"read(), 64 KiB buffer", (Scanner) f -> readScan(f, 64 << 10, false)},
                    new Object[] {"read(), 1 MiB buffer", (Scanner) f -> readScan(f, 1 << 20, false)},
                    new Object[] {"mmap + MADV_SEQUENTIAL", (Scanner) ScanLab::mmapScan},
                    new Object[] {"parallel chunks x " + cores, (Scanner) f -> parallelScan(f, cores)},
                    new Object[] {"O_DIRECT, 1 MiB", (Scanner) f -> readScan(f, 1 << 20, true)},
                    new Object[] {"mmap window " + w + ", munmap behind", (Scanner) f -> windowScan(f, window, false)},
                    new Object[] {"mmap window " + w + ", munmap + FADV_DONTNEED behind",
                        (Scanner) f -> windowScan(f, window, true)},
                    new Object[] {"read(), 1 MiB, FADV_DONTNEED every " + w, (Scanner) f -> readScan(f, 1 << 20, false, window)});
            int k = 0;
            Counts expected = null;
            for (Object[] m : methods) {
                String label = (String) m[0];
                ctx.say("scan: " + label);
                PageCache.drop(file);
                Counts c;
                long nanos;
                long rss;
                long cached;
                try (MemoryWatch watch = MemoryWatch.start(file)) {
                    long t0 = System.nanoTime();
                    c = ((Scanner) m[1]).scan(file);
                    nanos = System.nanoTime() - t0;
                    watch.close();
                    rss = watch.peakRssGrowthBytes();
                    cached = watch.peakCachedBytes();
                }
                if (expected == null) {
                    expected = c;
                } else if (!expected.equals(c)) {
                    throw new IOException("methods disagree: " + expected + " vs " + label + " " + c);
                }
                double gibs = size / (double) (1L << 30) / (nanos / 1e9);
                r.row(label, gibs, c.lines(), c.matches(), mib(rss), mib(cached));
                bars.computeIfAbsent("GiB/s", x -> new ArrayList<>()).add(new double[] {++k, gibs});
                memory.computeIfAbsent("peak RSS growth (MiB)", x -> new ArrayList<>()).add(new double[] {k, rss / 1048576.0});
                memory.computeIfAbsent("peak cached (MiB)", x -> new ArrayList<>()).add(new double[] {k, cached / 1048576.0});
                raw.add(Map.of("method", label, "bytes", size, "nanos", nanos, "lines", c.lines(), "matches", c.matches(),
                        "peak_rss_growth_bytes", rss, "peak_cached_bytes", cached));
                peaks.put(label, new long[] {rss, cached});
            }
            PageCache.drop(file);
            long t0 = System.nanoTime();
            long wc = wcLines(file);
            long nanos = System.nanoTime() - t0;
            if (wc >= 0) {
                double gibs = size / (double) (1L << 30) / (nanos / 1e9);
                r.row("wc -l", gibs, wc, "", "", "");
                bars.get("GiB/s").add(new double[] {++k, gibs});
                raw.add(Map.of("method", "wc -l", "bytes", size, "nanos", nanos, "lines", wc));
                if (wc != expected.lines()) {
                    r.finding("wc -l counted " + wc + " lines, rawio " + expected.lines() + ": they should agree.");
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        r.finding("From a cold cache the disk sets the pace; bigger read buffers, madvise(SEQUENTIAL) and parallel"
                + " chunks help as far as they keep more of it busy, and O_DIRECT trades the page cache's readahead"
                + " for one large request at a time.");
        long[] whole = peaks.get("mmap + MADV_SEQUENTIAL");
        long[] slide = peaks.get("mmap window " + w + ", munmap behind");
        long[] slideDrop = peaks.get("mmap window " + w + ", munmap + FADV_DONTNEED behind");
        long[] readDrop = peaks.get("read(), 1 MiB, FADV_DONTNEED every " + w);
        long[] read = peaks.get("read(), 1 MiB buffer");
        if (whole != null && slide != null && slideDrop != null && readDrop != null && read != null) {
            r.finding(String.format(java.util.Locale.ROOT, "Memory of a %s file: mapping all of it grew the process by"
                    + " %s (every touched page of a shared mapping counts as resident until munmap); a %s window"
                    + " unmapped behind kept it at %s, but the file's pages stayed in the page cache (%s at the peak):"
                    + " munmap drops the mapping, not the cache. Adding POSIX_FADV_DONTNEED behind kept the cache at"
                    + " %s, about the window plus the one read ahead with MADV_WILLNEED; a read() loop grew the process"
                    + " by %s and left %s cached, %s with FADV_DONTNEED every window. The cache is reclaimable, but it"
                    + " pushes out other files' pages, which is what a streaming analyzer on a busy host should not do.",
                    io.rawio.bench.job.Units.formatSize(size), mibText(whole[0]), w, mibText(slide[0]), mibText(slide[1]),
                    mibText(slideDrop[1]), mibText(read[0]), mibText(read[1]), mibText(readDrop[1])));
        }
        r.finding("Memory columns: the process's VmRSS peak minus its value before the method, and the file's pages"
                + " in the page cache (mincore), both sampled every 10 ms during the scan.");
        r.chart(new LabResult.Chart("gibs", "GiB/s by method (in table order)", "method", "GiB/s", false, bars));
        r.chart(new LabResult.Chart("memory", "Peak memory by method (in table order)", "method", "MiB", false, memory));
        r.raw("window_bytes", window);
        r.raw("results", raw);
        return r;
    }

    @FunctionalInterface
    private interface Scanner {
        Counts scan(Path file) throws IOException;
    }

    private static void generate(Path file, long size) throws IOException {
        SplittableRandom rnd = new SplittableRandom(11);
        String[] levels = {"INFO ", "DEBUG", "WARN ", "INFO ", "INFO "};
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDWR, OpenFlag.CREAT, OpenFlag.TRUNC);
             Arena a = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(a, 1 << 20, 4096);
            long off = 0;
            while (off < size) {
                long at = 0;
                while (at < buf.byteSize() - 200) {
                    String level = rnd.nextInt(100) == 0 ? "ERROR" : levels[rnd.nextInt(levels.length)];
                    byte[] line = ("2026-11-23T06:00:00." + rnd.nextInt(1000) + " " + level + " request id="
                            + rnd.nextLong() + " took " + rnd.nextInt(10_000) + "us\n").getBytes(StandardCharsets.US_ASCII);
                    MemorySegment.copy(line, 0, buf, ValueLayout.JAVA_BYTE, at, line.length);
                    at += line.length;
                }
                // Pad the chunk with newlines so every chunk ends at a line boundary.
                buf.asSlice(at, buf.byteSize() - at).fill((byte) '\n');
                long n = Math.min(buf.byteSize(), size - off);
                f.writeFully(buf.asSlice(0, n), off);
                off += n;
            }
            f.fsync();
        }
    }

    /**
     * Counts newlines and "ERROR" in [0, length). A match is counted where it starts, so chunks must
     * overlap by PATTERN.length - 1 bytes for matches across a boundary; the log's lines never span
     * the chunk ends the callers use.
     */
    static Counts count(MemorySegment s, long length) {
        return count(s, length, length);
    }

    /** Lines and matches that start in [0, end); a match may read up to {@code length}. */
    static Counts count(MemorySegment s, long end, long length) {
        long lines = 0;
        long matches = 0;
        long i = 0;
        long nl = 0x0a0a0a0a0a0a0a0aL;
        long ee = 0x4545454545454545L; // 'E'
        for (; i + 8 <= end; i += 8) {
            long v = s.get(LONG, i);
            lines += zeroBytes(v ^ nl);
            long e = zeroMask(v ^ ee);
            while (e != 0) {
                int bit = Long.numberOfTrailingZeros(e) >>> 3;
                if (matchesAt(s, i + bit, length)) {
                    matches++;
                }
                e &= e - 1;
                e &= ~(0xffL << (bit * 8));
            }
        }
        for (; i < end; i++) {
            byte b = s.get(ValueLayout.JAVA_BYTE, i);
            if (b == '\n') {
                lines++;
            } else if (b == 'E' && matchesAt(s, i, length)) {
                matches++;
            }
        }
        return new Counts(lines, matches);
    }

    /** Bytes of v that are zero, exactly (no false positives). */
    static int zeroBytes(long v) {
        long t = ((v & 0x7f7f7f7f7f7f7f7fL) + 0x7f7f7f7f7f7f7f7fL) | v;
        return 8 - Long.bitCount(t & 0x8080808080808080L);
    }

    /** The high bit of every zero byte of v set, exactly. */
    static long zeroMask(long v) {
        long t = ((v & 0x7f7f7f7f7f7f7f7fL) + 0x7f7f7f7f7f7f7f7fL) | v;
        return ~t & 0x8080808080808080L;
    }

    private static boolean matchesAt(MemorySegment s, long at, long length) {
        if (at + PATTERN.length > length) {
            return false;
        }
        for (int j = 0; j < PATTERN.length; j++) {
            if (s.get(ValueLayout.JAVA_BYTE, at + j) != PATTERN[j]) {
                return false;
            }
        }
        return true;
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    private static String mibText(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.0f MiB", mib(bytes));
    }

    /**
     * One window mapped at a time: the next one is mapped ahead with MADV_SEQUENTIAL and MADV_WILLNEED (the
     * kernel starts reading it while this one is counted), this one unmapped behind, and with
     * {@code dropBehind} its pages dropped from the page cache too. Windows are whole MiB, so no line spans two.
     */
    static Counts windowScan(Path file, long window, boolean dropBehind) throws IOException {
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY)) {
            long size = f.size();
            Counts total = new Counts(0, 0);
            Arena current = Arena.ofConfined();
            MemorySegment m = mapWindow(current, f, 0, Math.min(window, size));
            try {
                for (long off = 0; off < size; off += window) {
                    long len = Math.min(window, size - off);
                    Arena next = null;
                    MemorySegment nextWindow = null;
                    if (off + len < size) {
                        next = Arena.ofConfined();
                        nextWindow = mapWindow(next, f, off + len, Math.min(window, size - off - len));
                        Mman.madvise(nextWindow, LinuxConstants.MADV_WILLNEED);
                    }
                    total = total.plus(count(m, len));
                    current.close();
                    if (dropBehind) {
                        f.fadvise(off, len, LinuxConstants.POSIX_FADV_DONTNEED);
                    }
                    current = next;
                    m = nextWindow;
                }
            } finally {
                if (current != null && current.scope().isAlive()) {
                    current.close();
                }
            }
            return total;
        }
    }

    private static MemorySegment mapWindow(Arena a, NativeFile f, long offset, long length) throws IOException {
        MemorySegment m = Mman.map(a, f, offset, length, LinuxConstants.PROT_READ, LinuxConstants.MAP_SHARED);
        Mman.madvise(m, LinuxConstants.MADV_SEQUENTIAL);
        return m;
    }

    private static Counts readScan(Path file, int bufSize, boolean direct) throws IOException {
        return readScan(file, bufSize, direct, 0);
    }

    /** read() front to back; with {@code dropEvery} > 0, POSIX_FADV_DONTNEED on what was read, every that many bytes. */
    static Counts readScan(Path file, int bufSize, boolean direct, long dropEvery) throws IOException {
        try (NativeFile f = direct ? NativeFile.open(file, OpenFlag.RDONLY, OpenFlag.DIRECT)
                : NativeFile.open(file, OpenFlag.RDONLY); Arena a = Arena.ofConfined()) {
            if (!direct) {
                f.fadvise(0, 0, LinuxConstants.POSIX_FADV_SEQUENTIAL);
            }
            MemorySegment buf = AlignedMemory.allocate(a, bufSize, 4096);
            Counts total = new Counts(0, 0);
            long off = 0;
            long size = f.size();
            // Each read overlaps the next by the pattern's length - 1, so a match across two reads counts once.
            // O_DIRECT needs aligned offsets: its 1 MiB reads end where the log's 1 MiB chunks end, at a
            // line boundary, so nothing spans them.
            int keep = direct ? 0 : PATTERN.length - 1;
            long dropped = 0;
            while (off < size) {
                long n = f.readFully(buf, off);
                if (n <= 0) {
                    break;
                }
                long end = off + n >= size ? n : n - keep;
                total = total.plus(count(buf, end, n));
                off += end;
                if (dropEvery > 0 && off - dropped >= dropEvery) {
                    f.fadvise(dropped, off - dropped, LinuxConstants.POSIX_FADV_DONTNEED);
                    dropped = off;
                }
            }
            return total;
        }
    }

    private static Counts mmapScan(Path file) throws IOException {
        try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY); Arena a = Arena.ofConfined()) {
            long size = f.size();
            MemorySegment m = Mman.map(a, f, 0, size, LinuxConstants.PROT_READ, LinuxConstants.MAP_SHARED);
            Mman.madvise(m, LinuxConstants.MADV_SEQUENTIAL);
            return count(m, size);
        }
    }

    private static Counts parallelScan(Path file, int parts) throws IOException {
        long size = Files.size(file);
        long chunk = ((size / parts) + (1 << 20) - 1) & -(1L << 20); // whole 1 MiB pieces: lines never span them
        ExecutorService pool = Executors.newFixedThreadPool(parts);
        try {
            List<Future<Counts>> futures = new ArrayList<>();
            for (int p = 0; p < parts; p++) {
                long from = p * chunk;
                long to = Math.min(size, from + chunk);
                if (from >= to) {
                    break;
                }
                futures.add(pool.submit(() -> {
                    try (NativeFile f = NativeFile.open(file, OpenFlag.RDONLY); Arena a = Arena.ofConfined()) {
                        MemorySegment buf = AlignedMemory.allocate(a, 1 << 20, 4096);
                        Counts c = new Counts(0, 0);
                        for (long off = from; off < to; off += buf.byteSize()) {
                            long n = f.readFully(buf.asSlice(0, Math.min(buf.byteSize(), to - off)), off);
                            c = c.plus(count(buf, n));
                        }
                        return c;
                    }
                }));
            }
            Counts total = new Counts(0, 0);
            for (Future<Counts> fu : futures) {
                total = total.plus(fu.get());
            }
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdown();
        }
    }

    private static long wcLines(Path file) {
        try {
            Process p = new ProcessBuilder("wc", "-l", file.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? Long.parseLong(out.split("\\s+")[0]) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
