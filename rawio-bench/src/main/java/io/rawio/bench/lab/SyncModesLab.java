package io.rawio.bench.lab;

import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * When does a write reach the device? The same 128 KiB write with O_DIRECT, O_SYNC, O_DSYNC, write +
 * fsync, and plain buffered, watched through the device's own counters (/sys/block/DEV/stat sampled
 * every 20 ms); then a buffered and an O_DIRECT read of data just written.
 *
 * <p>As root the lab attaches a loop device to a scratch file and writes to it, so the counters see
 * only the lab's I/O; otherwise it writes a file on the working directory's disk, whose counters
 * also see everything else the machine does (the lab says so).
 */
public final class SyncModesLab implements Lab {
    static final int SIZE = 128 * 1024;

    @Override
    public String name() {
        return "sync-modes";
    }

    @Override
    public String summary() {
        return "when a 128 KiB write reaches the device: buffered, O_SYNC, O_DSYNC, O_DIRECT, write+fsync; "
                + "O_DIRECT reads bypass the cache";
    }

    enum Mode {
        O_DIRECT(EnumSet.of(OpenFlag.DIRECT), false),
        O_SYNC(EnumSet.of(OpenFlag.SYNC), false),
        O_DSYNC(EnumSet.of(OpenFlag.DSYNC), false),
        WRITE_FSYNC(EnumSet.noneOf(OpenFlag.class), true),
        BUFFERED(EnumSet.noneOf(OpenFlag.class), false);

        final EnumSet<OpenFlag> flags;
        final boolean fsync;

        Mode(EnumSet<OpenFlag> flags, boolean fsync) {
            this.flags = flags;
            this.fsync = fsync;
        }

        String label() {
            return this == WRITE_FSYNC ? "write+fsync" : this == BUFFERED ? "buffered" : name();
        }
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        long waitMs = ctx.quick() ? 1500 : 40_000;
        LabDevice t = LabDevice.create(ctx.workDir(), name(), 8L << 20);
        BlockTrace.Result traced = t.isolated() ? BlockTrace.start(t.device())
                : new BlockTrace.Result(null, "block tracepoints are used only on the lab's private loop device");
        Map<String, long[]> calls = new LinkedHashMap<>(); // label -> {call start ns, first sector}
        List<NativeFile> keepOpen = new ArrayList<>();
        LabResult r = new LabResult(name(), "When does a write reach the device?",
                List.of("mode", "call (us)", "sectors at return", "reached device after (ms)"));
        Map<String, List<double[]>> timeline = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        // Held open throughout: the last close of a block device flushes and drops its page cache,
        // which would write back the buffered write early and empty the cache before the reads.
        try (Arena arena = Arena.ofConfined(); NativeFile holder = NativeFile.open(t.path(), OpenFlag.RDONLY)) {
            MemorySegment buf = AlignedMemory.allocate(arena, SIZE, 4096);
            buf.fill((byte) 0x42);
            long offset = 0;
            for (Mode m : Mode.values()) {
                ctx.say("sync-modes: " + m.label() + (m == Mode.BUFFERED && !ctx.quick() ? " (waits for writeback, up to 40 s)" : ""));
                EnumSet<OpenFlag> flags = EnumSet.of(OpenFlag.RDWR);
                flags.addAll(m.flags);
                NativeFile f = NativeFile.open(t.path(), flags, NativeFile.DEFAULT_MODE);
                try {
                    long before = written(t);
                    long c0 = System.nanoTime();
                    calls.put(m.label(), new long[] {c0, offset / 512});
                    f.writeFully(buf, offset);
                    if (m.fsync) {
                        f.fsync();
                    }
                    long callNs = System.nanoTime() - c0;
                    long atReturn = written(t) - before;
                    List<double[]> series = new ArrayList<>();
                    long reachedMs = -1;
                    long deadline = c0 + TimeUnit.MILLISECONDS.toNanos(m == Mode.BUFFERED ? waitMs : 1000);
                    while (System.nanoTime() < deadline) {
                        long sectors = written(t) - before;
                        double ms = (System.nanoTime() - c0) / 1e6;
                        series.add(new double[] {ms, sectors});
                        if (sectors >= SIZE / 512) {
                            reachedMs = Math.round(ms);
                            break;
                        }
                        sleep(20);
                    }
                    timeline.put(m.label(), series);
                    r.row(m.label(), callNs / 1e3, atReturn, reachedMs < 0 ? "not within " + (deadline - c0) / 1_000_000 + " ms"
                            : String.valueOf(reachedMs));
                    raw.add(Map.of("mode", m.label(), "call_ns", callNs, "sectors_at_return", atReturn,
                            "reached_ms", reachedMs));
                    if (m == Mode.BUFFERED) {
                        r.finding(reachedMs < 0
                                ? String.format(Locale.ROOT, "The buffered write returned in %.0f us and had not reached"
                                        + " the device %d ms later: it sits in the page cache until writeback (by default"
                                        + " once it is older than vm.dirty_expire_centisecs, here %s, checked every few seconds)%s.",
                                        callNs / 1e3, waitMs, sysctl("vm/dirty_expire_centisecs"),
                                        ctx.quick() ? "; run without --quick to watch it land" : "")
                                : String.format(Locale.ROOT, "The buffered write returned in %.0f us but reached the device"
                                        + " only %d ms later, at writeback.", callNs / 1e3, reachedMs));
                    } else if (m == Mode.O_DIRECT || m == Mode.O_SYNC) {
                        r.finding(String.format(Locale.ROOT, "%s: the device had the data when the call returned"
                                + " (%d sectors, %.0f us).", m.label(), atReturn, callNs / 1e3));
                    }
                } finally {
                    // The buffered writer stays open to the end: closing a block device's writer can
                    // start its writeback, which would hide when writeback would have come.
                    if (m == Mode.BUFFERED) {
                        keepOpen.add(f);
                    } else {
                        f.close();
                    }
                }
                offset += SIZE;
            }
            // Reads: the buffered write's range is in the page cache; O_DIRECT goes to the device anyway.
            long bufferedOffset = (Mode.values().length - 1L) * SIZE;
            try (NativeFile plain = NativeFile.open(t.path(), OpenFlag.RDONLY);
                 NativeFile direct = NativeFile.open(t.path(), OpenFlag.RDONLY, OpenFlag.DIRECT)) {
                long b0 = read(t);
                calls.put("buffered read", new long[] {System.nanoTime(), bufferedOffset / 512});
                plain.readFully(buf, bufferedOffset);
                long plainSectors = read(t) - b0;
                long d0 = read(t);
                calls.put("O_DIRECT read", new long[] {System.nanoTime(), bufferedOffset / 512});
                direct.readFully(buf, bufferedOffset);
                long directSectors = read(t) - d0;
                r.row("buffered read", "", plainSectors + " read", "");
                r.row("O_DIRECT read", "", directSectors + " read", "");
                r.finding(String.format(Locale.ROOT, "Reading the same 128 KiB back: buffered read %d sectors from the"
                        + " device (served from the page cache), O_DIRECT read %d (never served from the cache).",
                        plainSectors, directSectors));
                raw.add(Map.of("buffered_read_sectors", plainSectors, "direct_read_sectors", directSectors));
            }
            traceFindings(r, traced, calls, raw);
        } finally {
            traced.get().ifPresent(BlockTrace::close);
            for (NativeFile f : keepOpen) {
                f.close();
            }
            t.close();
        }
        if (!t.isolated()) {
            r.finding(t.sharedNote());
        }
        r.chart(new LabResult.Chart("timeline", "Sectors written to " + t.device() + " after each write", "ms after the call",
                "sectors written", false, timeline));
        r.raw("device", t.device());
        r.raw("isolated", t.isolated());
        r.raw("events", raw);
        return r;
    }

    /** What the block_rq_issue tracepoint saw for each call: the blktrace view of the experiment. */
    private static void traceFindings(LabResult r, BlockTrace.Result traced, Map<String, long[]> calls,
            List<Map<String, Object>> raw) throws IOException {
        if (traced.get().isEmpty()) {
            r.finding("Block tracepoints not used (" + traced.unavailable() + "): the timing comes from the device"
                    + " counters sampled every 20 ms.");
            return;
        }
        List<BlockTrace.Event> events = traced.get().get().events();
        List<String> parts = new ArrayList<>();
        List<Map.Entry<String, long[]>> list = new ArrayList<>(calls.entrySet());
        for (int ci = 0; ci < list.size(); ci++) {
            Map.Entry<String, long[]> c = list.get(ci);
            boolean isRead = c.getKey().endsWith("read");
            long start = c.getValue()[0];
            long sector = c.getValue()[1];
            // A call's requests come before the next call starts (writeback of the buffered write aside).
            long until = ci + 1 < list.size() && !c.getKey().equals("buffered") ? list.get(ci + 1).getValue()[0]
                    : Long.MAX_VALUE;
            BlockTrace.Event first = null;
            for (BlockTrace.Event e : events) {
                if (e.issue() && e.timeNs() >= start && e.timeNs() < until && (isRead ? e.read() : e.write())
                        && e.overlaps(sector, SIZE / 512)) {
                    first = e;
                    break;
                }
            }
            String what = first == null ? "no request" : String.format(Locale.ROOT, "%s %d+%d at +%.1f ms",
                    first.rwbs(), first.sector(), first.sectors(), (first.timeNs() - start) / 1e6);
            long[] directRead = calls.get("O_DIRECT read");
            if (first != null && c.getKey().equals("buffered") && directRead != null && first.timeNs() >= directRead[0]) {
                what += " (forced out by the O_DIRECT read of the same range: direct I/O first writes back dirty"
                        + " cached pages it overlaps)";
            }
            parts.add(c.getKey() + ": " + what);
            raw.add(Map.of("trace_call", c.getKey(), "first_request", what));
        }
        r.finding("block_rq_issue tracepoint (blktrace's view), first request for each call: " + String.join("; ", parts)
                + ".");
        r.raw("trace_events", events.size());
    }

    private static long written(LabDevice t) {
        return t.sectorsWritten();
    }

    private static long read(LabDevice t) {
        return t.sectorsRead();
    }

    private static String sysctl(String name) {
        try {
            long cs = Long.parseLong(io.rawio.nativeio.Procfs.read(Path.of("/proc/sys", name)));
            return cs % 100 == 0 ? cs / 100 + " s" : cs * 10 + " ms";
        } catch (IOException | NumberFormatException e) {
            return "unknown";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
