package io.rawio.cli.store;

import io.rawio.bench.job.Units;
import io.rawio.bench.metrics.LatencyStats;
import io.rawio.bench.report.FioJson;
import io.rawio.bench.run.Permutation;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import io.rawio.store.StoreStats;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rawio store bench}: put/get throughput and latency of a store. */
@Command(name = "bench", description = "Measure putMany/getMany throughput and per-key latency on a store.")
final class StoreBenchCommand extends StoreCommand.Sub {
    @Option(names = "--op", paramLabel = "OP", defaultValue = "put", description = "put, get or mixed (default: ${DEFAULT-VALUE})")
    String op;

    @Option(names = "--value-size", paramLabel = "SIZE", defaultValue = "4k", description = "Value size (default: ${DEFAULT-VALUE})")
    String valueSize;

    @Option(names = "--count", paramLabel = "N", defaultValue = "10000", description = "Keys (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64", description = "Keys per batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--per-call", paramLabel = "N", defaultValue = "0",
            description = "Keys per putMany/getMany call (default: --batch); more than --batch lets the store keep"
                    + " --batch operations in flight across the call. Latency is per call.")
    int perCall;

    @Option(names = "--order", paramLabel = "ORDER", defaultValue = "random",
            description = "Order of the keys read: random (a fixed shuffle; the slots read are scattered over the"
                    + " device, as fio's randread) or sequential (the order they were written, so slots are read"
                    + " in device order) (default: ${DEFAULT-VALUE})")
    String order;

    @Option(names = "--durability", paramLabel = "MODE", defaultValue = "none", description = "none or durable (default: ${DEFAULT-VALUE})")
    String durability;

    @Option(names = "--output-format", paramLabel = "FMT", defaultValue = "text", description = "text or json")
    String outputFormat;

    @Override
    int run(PrintWriter out) throws IOException {
        long vs = StoreCommand.parseSize("--value-size", valueSize);
        if (!List.of("put", "get", "mixed").contains(op)) {
            throw new StoreCommand.BadArgument("unknown --op: " + op + " (put, get, mixed)");
        }
        if (count < 1 || batch < 1 || batch > StoreOptions.MAX_BATCH || perCall < 0) {
            throw new StoreCommand.BadArgument("--count must be positive and --batch between 1 and " + StoreOptions.MAX_BATCH);
        }
        if (!List.of("random", "sequential").contains(order)) {
            throw new StoreCommand.BadArgument("unknown --order: " + order + " (random, sequential)");
        }
        if (!List.of("text", "json").contains(outputFormat)) {
            throw new StoreCommand.BadArgument("unknown --output-format: " + outputFormat + " (text, json)");
        }
        int call = perCall > 0 ? perCall : batch;
        StoreOptions o = common.options().withDurability(StoreCommand.durability(durability)).withBatchSize(batch);
        byte[] value = new byte[(int) vs];
        new SplittableRandom(1).nextBytes(value);
        MemorySegment v = MemorySegment.ofArray(value);
        LatencyStats lat = new LatencyStats();
        long bytes = 0;
        long ops = 0;
        long elapsed;
        StoreStats stats;
        try (SlotStore s = SlotStore.open(path, o)) {
            if (vs > s.maxValueLength(16)) {
                throw new StoreCommand.BadArgument("value larger than a slot holds: value=" + vs + ", max="
                        + s.maxValueLength(16));
            }
            if (!op.equals("put")) {
                for (int from = 0; from < count; from += batch) {
                    s.putMany(keys(Permutation.identity(count), from, Math.min(count, from + batch)), values(v, Math.min(batch, count - from)));
                }
            }
            SplittableRandom r = new SplittableRandom(7);
            // Keys and value lists are made before the clock starts: only the store's calls are timed.
            // Reads go in a shuffled order by default: written in order, the keys sit in consecutive slots.
            int[] perm = order.equals("random") && !op.equals("put") ? Permutation.of(count, 11)
                    : Permutation.identity(count);
            List<List<byte[]>> callKeys = new ArrayList<>();
            for (int from = 0; from < count; from += call) {
                callKeys.add(keys(perm, from, Math.min(count, from + call)));
            }
            List<MemorySegment> callValues = values(v, Math.min(call, count));
            long start = System.nanoTime();
            for (int from = 0, c = 0; from < count; from += call, c++) {
                int to = Math.min(count, from + call);
                List<byte[]> keys = callKeys.get(c);
                boolean put = op.equals("put") || (op.equals("mixed") && r.nextBoolean());
                long t0 = System.nanoTime();
                if (put) {
                    for (SlotStore.Result res : s.putMany(keys, callValues.subList(0, to - from))) {
                        if (!res.ok()) {
                            throw new IOException(res.error());
                        }
                    }
                } else {
                    for (SlotStore.GetResult res : s.getMany(keys)) {
                        if (!res.found()) {
                            throw new IOException("key missing during get bench: the store is too small for --count");
                        }
                    }
                }
                long t = System.nanoTime() - t0;
                for (int i = from; i < to; i++) {
                    lat.record(t);
                }
                ops += to - from;
                bytes += (to - from) * vs;
            }
            elapsed = System.nanoTime() - start;
            stats = s.stats();
        }
        double secs = elapsed / 1e9;
        if (outputFormat.equals("json")) {
            var root = FioJson.MAPPER.createObjectNode();
            root.put("op", op);
            root.put("value_size", vs);
            root.put("count", ops);
            root.put("batch", batch);
            root.put("durability", durability);
            root.put("ops_per_sec", ops / secs);
            root.put("bw_bytes", bytes / secs);
            root.put("lat_p50_ns", lat.percentile(50));
            root.put("lat_p99_ns", lat.percentile(99));
            root.put("lat_p99_9_ns", lat.percentile(99.9));
            root.put("lat_max_ns", lat.max());
            root.put("write_amplification", stats.writeAmplification());
            out.println(root.toPrettyString());
        } else {
            out.printf(Locale.ROOT, "%s %d x %s, batch %d, durability %s: %.0f ops/s, %.1f MiB/s%n", op, ops,
                    Units.formatSize(vs), batch, durability, ops / secs, bytes / secs / 1048576.0);
            out.printf(Locale.ROOT, "latency per key (its call): p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us%n",
                    lat.percentile(50) / 1e3, lat.percentile(99) / 1e3, lat.percentile(99.9) / 1e3, lat.max() / 1e3);
            out.printf(Locale.ROOT, "device bytes written per byte stored: %.2f%n", stats.writeAmplification());
        }
        return 0;
    }

    /** The keys numbered {@code order[from]} to {@code order[to - 1]}. */
    private static List<byte[]> keys(int[] order, int from, int to) {
        List<byte[]> k = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            k.add(key(order[i]));
        }
        return k;
    }

    private static byte[] key(int i) {
        return String.format("bench-%010d", i).getBytes();
    }

    private static List<MemorySegment> values(MemorySegment v, int n) {
        List<MemorySegment> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(v);
        }
        return l;
    }
}
