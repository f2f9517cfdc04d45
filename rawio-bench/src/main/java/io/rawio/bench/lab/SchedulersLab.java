package io.rawio.bench.lab;

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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * I/O schedulers on a loop device the lab creates (the machine's own disks are never switched): QD1
 * 4 KiB O_DIRECT random reads while a background writer streams 1 MiB O_DIRECT writes, per scheduler in
 * the device's queue/scheduler; then a buffered sequential reader under several read_ahead_kb and
 * nr_requests values. Every setting is restored and the device removed at the end.
 */
public final class SchedulersLab implements Lab {
    static final int BLOCK = 4096;
    static final int WRITE = 1 << 20;

    @Override
    public String name() {
        return "schedulers";
    }

    @Override
    public String summary() {
        return "none vs mq-deadline vs kyber vs bfq on a loop device (root): QD1 random-read latency beside a sequential"
                + " writer, both throughputs; read_ahead_kb and nr_requests under a sequential reader";
    }

    /** The schedulers a queue/scheduler file offers, in its order, and the active one (in brackets). */
    record Schedulers(List<String> available, String active) {
        static Schedulers parse(String text) {
            List<String> names = new ArrayList<>();
            String active = null;
            for (String t : text.trim().split("\\s+")) {
                if (t.isEmpty()) {
                    continue;
                }
                if (t.startsWith("[") && t.endsWith("]")) {
                    t = t.substring(1, t.length() - 1);
                    active = t;
                }
                names.add(t);
            }
            return new Schedulers(List.copyOf(names), active);
        }
    }

    /** One scheduler under the mixed load. */
    record Mixed(String scheduler, boolean writer, Histogram latencyNs, long reads, long writtenBytes, long nanos) {
        double readsPerSecond() {
            return reads / (nanos / 1e9);
        }

        double writerMibPerSecond() {
            return writtenBytes / 1048576.0 / (nanos / 1e9);
        }
    }

    /** One sequential read under one read_ahead_kb / nr_requests. */
    record Sequential(int readAheadKb, String nrRequests, long bytes, long nanos, long deviceReads, long deviceBytes) {
        double mibPerSecond() {
            return bytes / 1048576.0 / (nanos / 1e9);
        }

        double avgRequestKib() {
            return deviceReads == 0 ? 0 : deviceBytes / 1024.0 / deviceReads;
        }
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        LabResult r = new LabResult(name(), "I/O schedulers, read_ahead_kb and nr_requests on a loop device",
                List.of("test", "scheduler", "setting", "read p50 us", "read p99 us", "read p99.9 us", "reads/s",
                        "writer MiB/s", "seq MiB/s", "avg request KiB"));
        if (!Privileges.isRoot() || !Shell.has("losetup")) {
            String why = "lab schedulers needs root and losetup: it creates a loop device and switches that device's"
                    + " scheduler, nr_requests and read_ahead_kb (never the machine's own disks). Run it as root.";
            return r.refused(why);
        }
        boolean quick = ctx.quick();
        long half = quick ? 128L << 20 : 512L << 20;
        long runNs = quick ? 1_500_000_000L : 6_000_000_000L;
        List<Mixed> mixed = new ArrayList<>();
        List<Sequential> seq = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        Schedulers scheds;
        try (Teardown t = new Teardown(); Arena a = Arena.ofShared()) {
            String dev = t.loop(ctx.workDir().resolve("rawio-lab-schedulers.img"), 2 * half);
            String name = Path.of(dev).getFileName().toString();
            Path queue = Path.of("/sys/block", name, "queue");
            scheds = Schedulers.parse(Teardown.read(queue.resolve("scheduler")));
            MemorySegment wbuf = AlignedMemory.allocate(a, WRITE, BLOCK).fill((byte) 'w');
            ctx.say("schedulers: filling " + io.rawio.bench.job.Units.formatSize(half) + " to read from");
            try (NativeFile f = NativeFile.open(Path.of(dev), OpenFlag.WRONLY, OpenFlag.DIRECT)) {
                for (long off = 0; off < half; off += WRITE) {
                    f.writeFully(wbuf, off);
                }
                f.fsync();
            }
            mixed.add(mixed(Path.of(dev), scheds.active() + ", no writer", false, half, runNs, a));
            for (String s : scheds.available()) {
                if (!t.set(queue.resolve("scheduler"), s, scheds.active())) {
                    refused.add(s);
                    continue;
                }
                ctx.say("schedulers: " + s);
                mixed.add(mixed(Path.of(dev), s, true, half, runNs, a));
            }
            t.set(queue.resolve("scheduler"), scheds.active(), scheds.active());
            String nrDefault = Teardown.read(queue.resolve("nr_requests"));
            String raDefault = Teardown.read(queue.resolve("read_ahead_kb"));
            int[] ras = quick ? new int[] {0, 128, 2048} : new int[] {0, 32, 128, 512, 2048, 8192};
            long seqBytes = quick ? 64L << 20 : 256L << 20;
            for (String nr : List.of(nrDefault, "4")) {
                if (!t.set(queue.resolve("nr_requests"), nr, nrDefault)) {
                    refused.add("nr_requests=" + nr);
                    continue;
                }
                for (int ra : ras) {
                    if (!t.set(queue.resolve("read_ahead_kb"), Integer.toString(ra), raDefault)) {
                        refused.add("read_ahead_kb=" + ra);
                        continue;
                    }
                    ctx.say("schedulers: sequential reader, read_ahead_kb=" + ra + ", nr_requests=" + nr);
                    seq.add(sequential(Path.of(dev), name, ra, nr, seqBytes, a));
                }
            }
        }
        report(r, mixed, seq, scheds, refused);
        return r;
    }

    private static Mixed mixed(Path dev, String label, boolean withWriter, long half, long runNs, Arena a)
            throws IOException {
        AtomicLong written = new AtomicLong();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        long deadline = System.nanoTime() + runNs;
        Thread writer = null;
        if (withWriter) {
            MemorySegment wbuf = AlignedMemory.allocate(a, WRITE, BLOCK).fill((byte) 'W');
            writer = Thread.ofPlatform().name("rawio-lab-writer").start(() -> {
                try (NativeFile f = NativeFile.open(dev, OpenFlag.WRONLY, OpenFlag.DIRECT)) {
                    long off = half;
                    while (System.nanoTime() < deadline) {
                        f.writeFully(wbuf, off);
                        written.addAndGet(WRITE);
                        off = off + WRITE >= 2 * half ? half : off + WRITE;
                    }
                } catch (IOException | RuntimeException e) {
                    failed.set(e);
                }
            });
        }
        Histogram h = new Histogram(3);
        long reads = 0;
        long t0 = System.nanoTime();
        try (NativeFile f = NativeFile.open(dev, OpenFlag.RDONLY, OpenFlag.DIRECT);
             Arena local = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(local, BLOCK, BLOCK);
            SplittableRandom rnd = new SplittableRandom(7);
            long blocks = half / BLOCK;
            while (System.nanoTime() < deadline) {
                long s = System.nanoTime();
                f.readFully(buf, rnd.nextLong(blocks) * BLOCK);
                h.recordValue(System.nanoTime() - s);
                reads++;
            }
        }
        long nanos = System.nanoTime() - t0;
        if (writer != null) {
            try {
                writer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failed.get() != null) {
            throw new IOException("background writer failed: " + failed.get().getMessage(), failed.get());
        }
        return new Mixed(label, withWriter, h, reads, written.get(), nanos);
    }

    private static Sequential sequential(Path dev, String name, int ra, String nr, long bytes, Arena a)
            throws IOException {
        try (NativeFile f = NativeFile.open(dev, OpenFlag.RDONLY)) {
            PageCache.drop(f);
            LabDevice.settle(name);
            MemorySegment buf = AlignedMemory.allocate(a, 16 << 10, BLOCK);
            DeviceStats before = DeviceStats.sample(name).orElseThrow(() -> new IOException("no /sys/block/" + name + "/stat"));
            long t0 = System.nanoTime();
            for (long off = 0; off < bytes; off += buf.byteSize()) {
                f.readFully(buf, off);
            }
            long nanos = System.nanoTime() - t0;
            LabDevice.settle(name);
            DeviceStats d = DeviceStats.sample(name).orElseThrow().minus(before);
            PageCache.drop(f);
            return new Sequential(ra, nr, bytes, nanos, d.readIos(), d.readBytes());
        }
    }

    private static double us(Histogram h, double pct) {
        return h.getValueAtPercentile(pct) / 1000.0;
    }

    private void report(LabResult r, List<Mixed> mixed, List<Sequential> seq, Schedulers scheds, List<String> refused) {
        Map<String, List<double[]>> lat = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        int x = 0;
        for (Mixed m : mixed) {
            x++;
            r.row("QD1 4 KiB random read" + (m.writer() ? " + 1 MiB writer" : ""), m.scheduler(), "",
                    us(m.latencyNs(), 50), us(m.latencyNs(), 99), us(m.latencyNs(), 99.9), m.readsPerSecond(),
                    m.writer() ? m.writerMibPerSecond() : "", "", "");
            lat.computeIfAbsent("p50", k -> new ArrayList<>()).add(new double[] {x, us(m.latencyNs(), 50)});
            lat.computeIfAbsent("p99", k -> new ArrayList<>()).add(new double[] {x, us(m.latencyNs(), 99)});
            raw.add(Map.of("scheduler", m.scheduler(), "writer", m.writer(), "reads", m.reads(), "nanos", m.nanos(),
                    "p50_ns", m.latencyNs().getValueAtPercentile(50), "p99_ns", m.latencyNs().getValueAtPercentile(99),
                    "p999_ns", m.latencyNs().getValueAtPercentile(99.9), "written_bytes", m.writtenBytes()));
        }
        Map<String, List<double[]>> seqSeries = new LinkedHashMap<>();
        List<Map<String, Object>> rawSeq = new ArrayList<>();
        for (Sequential s : seq) {
            r.row("sequential read, 16 KiB buffered", scheds.active(), "read_ahead_kb=" + s.readAheadKb()
                    + " nr_requests=" + s.nrRequests(), "", "", "", "", "", s.mibPerSecond(), s.avgRequestKib());
            seqSeries.computeIfAbsent("nr_requests=" + s.nrRequests(), k -> new ArrayList<>())
                    .add(new double[] {Math.max(1, s.readAheadKb()), s.mibPerSecond()});
            rawSeq.add(Map.of("read_ahead_kb", s.readAheadKb(), "nr_requests", s.nrRequests(), "bytes", s.bytes(),
                    "nanos", s.nanos(), "device_reads", s.deviceReads(), "device_read_bytes", s.deviceBytes()));
        }
        if (!mixed.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (Mixed m : mixed) {
                sb.append(String.format(Locale.ROOT, "%s p50 %.0f us, p99 %.0f us", m.scheduler(),
                        us(m.latencyNs(), 50), us(m.latencyNs(), 99)));
                sb.append(m.writer() ? String.format(Locale.ROOT, ", writer %.0f MiB/s; ", m.writerMibPerSecond()) : "; ");
            }
            r.finding("QD1 4 KiB reads beside a streaming writer: " + sb.substring(0, sb.length() - 2) + ". none"
                    + " dispatches in arrival order, so a read queues behind the writer's 1 MiB requests; mq-deadline"
                    + " gives reads a shorter deadline and prefers them, kyber throttles the writer's queue depth to"
                    + " meet a read latency target, bfq shares the device's time among processes (threads of one"
                    + " process share one queue unless they differ in I/O context). On a loop device the queue in"
                    + " front of the loop driver is what is scheduled; the disk under it adds its own queue.");
        }
        if (!seq.isEmpty()) {
            Sequential none = seq.stream().filter(s -> s.readAheadKb() == 0).findFirst().orElse(null);
            Sequential most = seq.stream().filter(s -> s.nrRequests().equals(seq.get(0).nrRequests()))
                    .max((p, q) -> Integer.compare(p.readAheadKb(), q.readAheadKb())).orElse(null);
            if (none != null && most != null) {
                r.finding(String.format(Locale.ROOT, "A buffered sequential reader with 16 KiB reads: read_ahead_kb=0"
                        + " gave %.0f MiB/s in %.0f KiB requests, read_ahead_kb=%d %.0f MiB/s in %.0f KiB requests:"
                        + " readahead turns many small synchronous reads into few large ones issued ahead of the"
                        + " reader. nr_requests caps how many requests the queue holds at once; a"
                        + " single reader with readahead keeps few in flight, so the two series differ by what the disk"
                        + " under the loop file does between runs more than by the cap.", none.mibPerSecond(),
                        none.avgRequestKib(), most.readAheadKb(), most.mibPerSecond(), most.avgRequestKib()));
            }
        }
        if (!refused.isEmpty()) {
            r.finding("The kernel refused: " + String.join(", ", refused) + ".");
        }
        r.chart(new LabResult.Chart("latency", "QD1 read latency by scheduler (table order)", "scheduler", "us", false,
                lat, true));
        r.chart(new LabResult.Chart("sequential", "Sequential reader by read_ahead_kb", "read_ahead_kb (0 shown at 1)",
                "MiB/s", true, seqSeries));
        r.raw("schedulers", scheds.available());
        r.raw("mixed", raw);
        r.raw("sequential", rawSeq);
        r.raw("refused", refused);
    }
}
