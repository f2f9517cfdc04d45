package io.rawio.bench.lab;

import io.rawio.nativeio.Privileges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The block layer's tracepoints (block_rq_issue, block_rq_complete) for one device, as blktrace shows
 * them, read from a private tracefs instance with the CLOCK_MONOTONIC trace clock so event times
 * compare with {@link System#nanoTime()}. Root only; {@link #start} says why when it cannot.
 */
final class BlockTrace implements AutoCloseable {
    static final Path TRACEFS = Path.of("/sys/kernel/tracing");
    private static final Pattern LINE = Pattern.compile(
            "\\s(\\d+\\.\\d+): (block_rq_issue|block_rq_complete): (\\d+),(\\d+) (\\S+) .*?(\\d+) \\+ (\\d+)");

    /** One request event. */
    record Event(long timeNs, boolean issue, String rwbs, long sector, int sectors) {
        boolean write() {
            return rwbs.contains("W");
        }

        boolean read() {
            return rwbs.contains("R");
        }

        boolean overlaps(long from, long count) {
            return sector < from + count && from < sector + sectors;
        }
    }

    private final Path instance;

    private BlockTrace(Path instance) {
        this.instance = instance;
    }

    /** Starts tracing {@code device} (a /sys/block name), or says why it cannot. */
    static Result start(String device) {
        if (!Privileges.isRoot()) {
            return new Result(null, "block tracepoints need root");
        }
        try {
            if (!Files.isDirectory(TRACEFS.resolve("events/block"))) {
                Process p = new ProcessBuilder("mount", "-t", "tracefs", "nodev", TRACEFS.toString())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                p.waitFor();
            }
            if (!Files.isDirectory(TRACEFS.resolve("events/block"))) {
                return new Result(null, "no block tracepoints under " + TRACEFS + " (tracefs not mountable here)");
            }
            String[] mm = io.rawio.nativeio.Procfs.read(Path.of("/sys/block", device, "dev")).split(":");
            long dev = (Long.parseLong(mm[0]) << 20) | Long.parseLong(mm[1]);
            Path inst = TRACEFS.resolve("instances").resolve("rawio-" + ProcessHandle.current().pid());
            Files.createDirectories(inst);
            BlockTrace t = new BlockTrace(inst);
            Files.writeString(inst.resolve("trace_clock"), "mono");
            for (String ev : List.of("block_rq_issue", "block_rq_complete")) {
                Path e = inst.resolve("events/block").resolve(ev);
                Files.writeString(e.resolve("filter"), "dev == " + dev);
                Files.writeString(e.resolve("enable"), "1");
            }
            Files.writeString(inst.resolve("tracing_on"), "1");
            return new Result(t, null);
        } catch (IOException | RuntimeException e) {
            return new Result(null, "could not enable block tracepoints: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(null, "interrupted");
        }
    }

    /** A trace, or the reason there is none. */
    record Result(BlockTrace trace, String unavailable) {
        Optional<BlockTrace> get() {
            return Optional.ofNullable(trace);
        }
    }

    /** Every event recorded so far. */
    List<Event> events() throws IOException {
        List<Event> out = new ArrayList<>();
        for (String line : Files.readAllLines(instance.resolve("trace"))) {
            Matcher m = LINE.matcher(line);
            if (m.find()) {
                long ns = Math.round(Double.parseDouble(m.group(1)) * 1e9);
                out.add(new Event(ns, m.group(2).equals("block_rq_issue"), m.group(5), Long.parseUnsignedLong(m.group(6)),
                        Integer.parseInt(m.group(7))));
            }
        }
        return out;
    }

    @Override
    public void close() {
        try {
            Files.writeString(instance.resolve("tracing_on"), "0");
            for (String ev : List.of("block_rq_issue", "block_rq_complete")) {
                Files.writeString(instance.resolve("events/block").resolve(ev).resolve("enable"), "0");
            }
            Files.delete(instance);
        } catch (IOException e) {
            // A leftover instance directory is harmless; the events are off.
        }
    }
}
