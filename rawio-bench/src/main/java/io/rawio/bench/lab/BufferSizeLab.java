package io.rawio.bench.lab;

import io.rawio.bench.run.PageCache;
import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngine;
import io.rawio.engine.IoFile;
import io.rawio.engine.OpenOptions;
import io.rawio.engine.PsyncEngine;
import io.rawio.memory.AlignedMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sequential write and read of one file with buffers from 512 B to 4 MiB, through the page cache and
 * with O_DIRECT: throughput and system calls per MiB, one pread/pwrite per buffer.
 */
public final class BufferSizeLab implements Lab {
    @Override
    public String name() {
        return "buffer-size";
    }

    @Override
    public String summary() {
        return "sequential read/write throughput and syscalls per MiB for buffers from 512 B to 4 MiB, buffered and O_DIRECT";
    }

    /** One measured point. */
    record Point(String mode, String op, int bufferBytes, long bytes, long nanos, long syscalls) {
        double mibPerSec() {
            return bytes / 1048576.0 / (nanos / 1e9);
        }

        double syscallsPerMib() {
            return syscalls / (bytes / 1048576.0);
        }
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        long fileSize = ctx.quick() ? 16L << 20 : 256L << 20;
        int[] sizes = ctx.quick() ? new int[] {4096, 65536, 1 << 20}
                : new int[] {512, 2048, 8192, 32768, 131072, 524288, 1 << 20, 4 << 20};
        long maxOpsPerPoint = ctx.quick() ? 4096 : 16384;
        Path file = ctx.workDir().resolve("rawio-lab-buffer-size.dat");
        List<Point> points = new ArrayList<>();
        try (IoEngine engine = new PsyncEngine(); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(arena, sizes[sizes.length - 1], 4096);
            buf.fill((byte) 0x5a);
            for (boolean direct : new boolean[] {false, true}) {
                for (int bs : sizes) {
                    try (IoFile f = engine.open(file, OpenOptions.readWrite().withCreate(true).withDirect(direct)
                            .withSize(fileSize))) {
                        if (direct && bs % f.alignment().offset() != 0) {
                            continue;
                        }
                        long bytes = Math.min(fileSize, bs * maxOpsPerPoint);
                        String mode = direct ? "O_DIRECT" : "buffered";
                        ctx.say("buffer-size: " + mode + " " + bs + " B");
                        points.add(pass(engine, f, buf.asSlice(0, bs), bytes, true, mode));
                        PageCache.drop(f.nativeFile());
                        points.add(pass(engine, f, buf.asSlice(0, bs), bytes, false, mode));
                    }
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        LabResult r = new LabResult(name(), "Buffer size: sequential throughput and system calls",
                List.of("mode", "op", "buffer", "MiB/s", "syscalls/MiB"));
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (Point p : points) {
            r.row(p.mode(), p.op(), io.rawio.bench.job.Units.formatSize(p.bufferBytes()), p.mibPerSec(), p.syscallsPerMib());
            series.computeIfAbsent(p.op() + " " + p.mode(), k -> new ArrayList<>())
                    .add(new double[] {p.bufferBytes(), p.mibPerSec()});
        }
        r.chart(new LabResult.Chart("throughput", "Sequential throughput by buffer size", "buffer (bytes)", "MiB/s",
                true, series));
        for (String mode : List.of("buffered", "O_DIRECT")) {
            for (String op : List.of("write", "read")) {
                List<Point> ps = points.stream().filter(p -> p.mode().equals(mode) && p.op().equals(op)).toList();
                if (ps.size() >= 2) {
                    Point small = ps.getFirst();
                    Point large = ps.getLast();
                    r.finding(String.format(java.util.Locale.ROOT,
                            "%s %s: %s buffers move %.0f MiB/s with %.0f syscalls/MiB; %s buffers %.0f MiB/s (%.1fx) with %.1f",
                            mode, op, io.rawio.bench.job.Units.formatSize(small.bufferBytes()), small.mibPerSec(),
                            small.syscallsPerMib(), io.rawio.bench.job.Units.formatSize(large.bufferBytes()),
                            large.mibPerSec(), large.mibPerSec() / small.mibPerSec(), large.syscallsPerMib()));
                }
            }
        }
        r.finding("Through the page cache small buffers cost system calls, not device work; with O_DIRECT each "
                + "buffer is one device request, so small buffers also cost device round trips.");
        List<Map<String, Object>> raw = new ArrayList<>();
        for (Point p : points) {
            raw.add(Map.of("mode", p.mode(), "op", p.op(), "buffer_bytes", p.bufferBytes(), "bytes", p.bytes(),
                    "nanos", p.nanos(), "syscalls", p.syscalls()));
        }
        r.raw("points", raw);
        return r;
    }

    private static Point pass(IoEngine engine, IoFile f, MemorySegment buf, long bytes, boolean write, String mode) {
        IoBatch batch = new IoBatch(1);
        long sys0 = engine.syscalls();
        long t0 = System.nanoTime();
        long done = 0;
        for (long off = 0; off < bytes; off += buf.byteSize()) {
            batch.clear();
            if (write) {
                batch.write(f, off, buf);
            } else {
                batch.read(f, off, buf);
            }
            engine.execute(batch);
            if (batch.result(0) < 0) {
                throw new IllegalStateException(batch.failure(0).getMessage());
            }
            done += batch.result(0);
        }
        if (write) {
            batch.clear();
            batch.fdatasync(f);
            engine.execute(batch);
        }
        long nanos = System.nanoTime() - t0;
        return new Point(mode, write ? "write" : "read", (int) buf.byteSize(), done, nanos, engine.syscalls() - sys0);
    }
}
