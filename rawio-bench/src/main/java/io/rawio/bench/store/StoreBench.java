package io.rawio.bench.store;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rawio.bench.job.Units;
import io.rawio.bench.metrics.LatencyStats;
import io.rawio.bench.report.FioJson;
import io.rawio.bench.run.Permutation;
import io.rawio.store.GetResult;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * putMany/getMany throughput and per-key latency of a slot store: the measurement behind
 * {@code rawio store bench}. Keys are {@code bench-0000000000} upwards; every value is the same
 * {@link Spec#valueBytes} of seeded random bytes. Only the store's calls are timed: key and value
 * lists are built before the clock starts. A key's latency is the time of the call that carried it.
 */
public final class StoreBench {
    /** Seeds: the value's bytes, the read order, the put/get choice of a mixed run. */
    private static final long VALUE_SEED = 1;
    private static final long ORDER_SEED = 11;
    private static final long MIX_SEED = 7;

    /** What each call does. */
    public enum Op {
        /** Puts every key (no fill first). */
        PUT,
        /** Fills the store, then gets every key. */
        GET,
        /** Fills the store, then each call is a put or a get, evenly at random. */
        MIXED;

        /** The name as the command line spells it: put, get, mixed. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How a get hands over its value. */
    public enum Read {
        /** {@code getMany}: each value copied into a new byte array. */
        COPY,
        /** {@code getManyLeases}: each value a lease on the buffer its read landed in, closed at once. */
        LEASE;

        /** The name as the command line spells it: copy, lease. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The order of the keys in a get or mixed run; a put run writes them in order. */
    public enum Order {
        /** A fixed shuffle: written in order, the keys sit in consecutive slots, so reads scatter as fio's randread. */
        RANDOM,
        /** The order they were written: slots are read in device order. */
        SEQUENTIAL
    }

    /**
     * One run: {@code count} keys of {@code valueBytes}, {@code batch} the store's batch size (and the
     * fill's chunk), {@code perCall} keys per putMany/getMany call (0: {@code batch}; more than
     * {@code batch} lets the store keep a batch in flight across the call).
     */
    public record Spec(Op op, long valueBytes, int count, int batch, int perCall, Order order, Read read,
            int warmupPasses) {
        /** A run whose gets copy each value onto the heap ({@link Read#COPY}), with no warm-up. */
        public Spec(Op op, long valueBytes, int count, int batch, int perCall, Order order) {
            this(op, valueBytes, count, batch, perCall, order, Read.COPY, 0);
        }

        /** A run with no warm-up. */
        public Spec(Op op, long valueBytes, int count, int batch, int perCall, Order order, Read read) {
            this(op, valueBytes, count, batch, perCall, order, read, 0);
        }

        public Spec {
            if (read == null) {
                throw new IllegalArgumentException("read is required");
            }
            if (warmupPasses < 0 || (warmupPasses > 0 && op != Op.GET)) {
                throw new IllegalArgumentException("warm-up passes are for gets only, and not negative: op=" + op
                        + ", warmupPasses=" + warmupPasses);
            }
            if (op == null || order == null) {
                throw new IllegalArgumentException("op and order are required");
            }
            if (valueBytes < 0 || count < 1 || perCall < 0 || batch < 1 || batch > StoreOptions.MAX_BATCH) {
                throw new IllegalArgumentException("bad store bench: valueBytes=" + valueBytes + ", count=" + count
                        + ", batch=" + batch + " (1.." + StoreOptions.MAX_BATCH + "), perCall=" + perCall);
            }
        }

        /** Keys per putMany/getMany call. */
        public int keysPerCall() {
            return perCall > 0 ? perCall : batch;
        }
    }

    /**
     * What a run measured: {@code ops} keys and {@code bytes} of values in {@code elapsedNs}, each key's
     * latency (its call's), and the store's device bytes written per byte stored.
     */
    public record Result(Spec spec, StoreOptions.Durability durability, long ops, long bytes, long elapsedNs,
            LatencyStats latency, double writeAmplification, long cacheHits, long cacheMisses) {
        public double opsPerSec() {
            return ops / (elapsedNs / 1e9);
        }

        public double bytesPerSec() {
            return bytes / (elapsedNs / 1e9);
        }

        /** The JSON {@code rawio store bench --output-format=json} prints. */
        public ObjectNode toJson() {
            ObjectNode root = FioJson.MAPPER.createObjectNode();
            root.put("op", spec.op().label());
            root.put("value_size", spec.valueBytes());
            root.put("count", ops);
            root.put("batch", spec.batch());
            root.put("read", spec.read().label());
            root.put("warmup_passes", spec.warmupPasses());
            root.put("durability", durabilityLabel());
            root.put("ops_per_sec", opsPerSec());
            root.put("bw_bytes", bytesPerSec());
            root.put("lat_p50_ns", latency.percentile(50));
            root.put("lat_p99_ns", latency.percentile(99));
            root.put("lat_p99_9_ns", latency.percentile(99.9));
            root.put("lat_max_ns", latency.max());
            root.put("write_amplification", writeAmplification);
            root.put("cache_hits", cacheHits);
            root.put("cache_misses", cacheMisses);
            return root;
        }

        /** The three lines {@code rawio store bench} prints. */
        public void print(PrintWriter out) {
            out.printf(Locale.ROOT, "%s %d x %s, batch %d, durability %s: %.0f ops/s, %.1f MiB/s%n", spec.op().label(),
                    ops, Units.formatSize(spec.valueBytes()), spec.batch(), durabilityLabel(), opsPerSec(),
                    bytesPerSec() / 1048576.0);
            out.printf(Locale.ROOT, "latency per key (its call): p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us%n",
                    latency.percentile(50) / 1e3, latency.percentile(99) / 1e3, latency.percentile(99.9) / 1e3,
                    latency.max() / 1e3);
            out.printf(Locale.ROOT, "device bytes written per byte stored: %.2f%n", writeAmplification);
            if (cacheHits + cacheMisses > 0) {
                out.printf(Locale.ROOT, "DRAM tier: %d hits, %d misses (%.1f%% of gets of present keys)%n", cacheHits,
                        cacheMisses, 100.0 * cacheHits / (cacheHits + cacheMisses));
            }
        }

        private String durabilityLabel() {
            return durability.name().toLowerCase(Locale.ROOT);
        }
    }

    private StoreBench() {
    }

    /**
     * Opens the store at {@code path} with {@code options} (its batch size set to the spec's) and runs
     * the spec. Throws IllegalArgumentException when a value does not fit a slot, and IOException when
     * a put fails or a key is missing during a get (the store is too small for the count).
     */
    public static Result run(Path path, StoreOptions options, Spec spec) throws IOException {
        try (SlotStore s = SlotStore.open(path, options.withBatchSize(spec.batch()))) {
            return run(s, options.durability(), spec);
        }
    }

    private static Result run(SlotStore s, StoreOptions.Durability durability, Spec spec) throws IOException {
        long max = s.maxValueLength(key(0).length);
        if (spec.valueBytes() > max) {
            throw new IllegalArgumentException("value larger than a slot holds: value=" + spec.valueBytes()
                    + ", max=" + max);
        }
        int count = spec.count();
        int batch = spec.batch();
        int call = spec.keysPerCall();
        byte[] value = new byte[(int) spec.valueBytes()];
        new SplittableRandom(VALUE_SEED).nextBytes(value);
        MemorySegment v = MemorySegment.ofArray(value);
        if (spec.op() != Op.PUT && !holdsKeys(s, count, spec.valueBytes())) {
            // Only when the store does not hold them yet (a put run with the same count and value size
            // before): a get run right after gigabytes of writes would measure the device still
            // flushing them.
            for (int from = 0; from < count; from += batch) {
                s.putMany(keys(Permutation.identity(count), from, Math.min(count, from + batch)),
                        values(v, Math.min(batch, count - from)));
            }
        }
        SplittableRandom mix = new SplittableRandom(MIX_SEED);
        int[] perm = spec.order() == Order.RANDOM && spec.op() != Op.PUT ? Permutation.of(count, ORDER_SEED)
                : Permutation.identity(count);
        List<List<byte[]>> callKeys = new ArrayList<>();
        for (int from = 0; from < count; from += call) {
            callKeys.add(keys(perm, from, Math.min(count, from + call)));
        }
        List<MemorySegment> callValues = values(v, Math.min(call, count));
        // Untimed passes over the same keys first: the JIT compiles the read path, as it has in a
        // process that has served gets for a while (fio, native, needs none).
        for (int pass = 0; pass < spec.warmupPasses(); pass++) {
            for (List<byte[]> keys : callKeys) {
                getAll(s, keys, spec.read());
            }
        }
        LatencyStats lat = new LatencyStats();
        long ops = 0;
        long bytes = 0;
        long start = System.nanoTime();
        for (int from = 0, c = 0; from < count; from += call, c++) {
            int to = Math.min(count, from + call);
            List<byte[]> keys = callKeys.get(c);
            boolean put = spec.op() == Op.PUT || (spec.op() == Op.MIXED && mix.nextBoolean());
            long t0 = System.nanoTime();
            if (put) {
                for (SlotStore.Result res : s.putMany(keys, callValues.subList(0, to - from))) {
                    if (!res.ok()) {
                        throw new IOException(res.error());
                    }
                }
            } else {
                getAll(s, keys, spec.read());
            }
            long t = System.nanoTime() - t0;
            for (int i = from; i < to; i++) {
                lat.record(t);
            }
            ops += to - from;
            bytes += (to - from) * spec.valueBytes();
        }
        long elapsed = System.nanoTime() - start;
        var st = s.stats();
        return new Result(spec, durability, ops, bytes, elapsed, lat, st.writeAmplification(), st.cacheHits(),
                st.cacheMisses());
    }

    /** Gets every key of one call, as {@code read} says; a key missing fails the run. */
    private static void getAll(SlotStore s, List<byte[]> keys, Read read) throws IOException {
        boolean missing = false;
        if (read == Read.LEASE) {
            for (io.rawio.store.LeaseResult res : s.getManyLeases(keys)) {
                if (res.lease() == null) {
                    missing = true;
                } else {
                    res.lease().close();
                }
            }
        } else {
            for (GetResult res : s.getMany(keys)) {
                missing |= !res.found();
            }
        }
        if (missing) {
            throw new IOException("key missing during get bench: the store is too small for --count");
        }
    }

    /**
     * Whether the store already holds the run's keys with values of {@code valueBytes}: as many keys,
     * and the first, the middle and the last of them with that length.
     */
    private static boolean holdsKeys(SlotStore s, int count, long valueBytes) throws IOException {
        if (s.keyCount() < count) {
            return false;
        }
        for (int i : new int[] {0, count / 2, count - 1}) {
            byte[] v = s.get(key(i));
            if (v == null || v.length != valueBytes) {
                return false;
            }
        }
        return true;
    }

    /** The keys numbered {@code order[from]} to {@code order[to - 1]}. */
    private static List<byte[]> keys(int[] order, int from, int to) {
        List<byte[]> k = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            k.add(key(order[i]));
        }
        return k;
    }

    static byte[] key(int i) {
        // "bench-%010d", without a Formatter per key (it was a tenth of a put run's CPU).
        byte[] k = {'b', 'e', 'n', 'c', 'h', '-', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'};
        for (int at = k.length - 1, v = i; v > 0; at--, v /= 10) {
            k[at] = (byte) ('0' + v % 10);
        }
        return k;
    }

    private static List<MemorySegment> values(MemorySegment v, int n) {
        List<MemorySegment> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(v);
        }
        return l;
    }
}
