package io.rawio.jmh.kv;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.rawio.bench.job.Units;
import io.rawio.bench.metrics.DeviceStats;
import io.rawio.bench.run.PageCache;
import io.rawio.bench.run.Permutation;
import io.rawio.engine.IoEngines;
import io.rawio.nativeio.BlockDevices;
import io.rawio.nativeio.Privileges;
import io.rawio.store.Preallocation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Drives rawio's slot store, RocksDB (BlobDB) and LMDB through the same keys and values, one store after
 * the other in alternating rounds (A B C, A B C, ...), and reports each round and the medians.
 *
 * <p>Per store and round, on a fresh directory:
 * <ol>
 *   <li>put: {@code count} keys in batches of {@code batch} (rawio putMany, a RocksDB WriteBatch, one
 *       LMDB write transaction), then one flush/sync of everything, which counts in the phase;</li>
 *   <li>the store is closed and the page cache dropped (as root), so that no store reads from memory
 *       what it wrote; it is opened again for each later phase;</li>
 *   <li>get: the keys in random order, each once, in batches (rawio getMany, RocksDB multiGet, one LMDB
 *       read transaction); every value is checked against what was put;</li>
 *   <li>latency: single gets of keys spread over the whole key space and not read yet (store reopened,
 *       cache dropped again), then single puts of new keys, one call each.</li>
 * </ol>
 * Only the stores' own calls are timed; making and checking values is not.
 */
@Command(name = "kv-compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Puts and gets the same keys and values through rawio's slot store, RocksDB (BlobDB) "
                + "and LMDB, in alternating rounds, and reports throughput and latency percentiles "
                + "with the medians over the rounds."})
public class KvCompare implements Callable<Integer> {

    static final List<String> SYSTEMS = List.of("rawio", "rocksdb", "lmdb");
    private static final int POOL = 16;
    private static final int KEY_LENGTH = 12;

    @Option(names = "--dir", description = "Directory for the stores' files, on the disk to measure "
            + "(default: ${DEFAULT-VALUE}). Each run uses and then removes a subdirectory.",
            defaultValue = "kv-compare.work")
    Path dir;

    @Option(names = "--systems", split = ",", description = "Stores to run, in this order each round "
            + "(default: ${DEFAULT-VALUE}).", defaultValue = "rawio,rocksdb,lmdb")
    List<String> systems;

    @Option(names = "--count", description = "Keys put per round (default: ${DEFAULT-VALUE}).",
            defaultValue = "4096")
    int count;

    @Option(names = "--value-size", description = "Bytes per value, e.g. 256k (default: ${DEFAULT-VALUE}).",
            defaultValue = "256k")
    String valueSizeText;

    @Option(names = "--batch", description = "Keys per batch call (default: ${DEFAULT-VALUE}).",
            defaultValue = "64")
    int batch;

    @Option(names = "--rounds", description = "Rounds; each runs every store once (default: ${DEFAULT-VALUE}).",
            defaultValue = "3")
    int rounds;

    @Option(names = "--latency-ops", description = "Single gets and single puts timed per round "
            + "(default: ${DEFAULT-VALUE}).", defaultValue = "512")
    int latencyOps;

    @Option(names = "--get-fraction", description = "Fraction of the keys the get phase reads, each once, in "
            + "random order (default: ${DEFAULT-VALUE}: all). Below 1 the reads are scattered, and a store that "
            + "reads ahead (LMDB's mmap read-around) pays for what it does not use.", defaultValue = "1.0")
    double getFraction;

    @Option(names = "--durability", description = "none or durable (default: ${DEFAULT-VALUE}). "
            + "none: rawio durability none, RocksDB without WAL, LMDB MDB_NOSYNC; durable: rawio group "
            + "fdatasync, RocksDB WAL sync=true, LMDB synchronous commits.", defaultValue = "none")
    String durabilityText;

    @Option(names = "--drop-caches", description = "auto, on or off (default: ${DEFAULT-VALUE}): drop the page "
            + "cache before the get phases; auto means when root.", defaultValue = "auto")
    String dropCachesText;

    @Option(names = "--lmdb-no-readahead", description = "Open LMDB with MDB_NORDAHEAD (MADV_RANDOM on its map), "
            + "LMDB's advice for random reads of a database larger than memory.")
    boolean lmdbNoReadahead;

    @Option(names = "--rocksdb-wal", description = "With --durability none, keep RocksDB's WAL, written without "
            + "sync (RocksDB's default): its puts then survive a crash of the process, as rawio's and LMDB's do.")
    boolean rocksdbWal;

    @Option(names = "--rawio-prealloc", description = "How rawio's store file is preallocated: zeros (written "
            + "once at format, the default of `rawio store format`) or fallocate (unwritten extents, converted by "
            + "each block's first write). Creating the store is timed apart, as \"create s\" "
            + "(default: ${DEFAULT-VALUE}).", defaultValue = "zeros")
    String rawioPrealloc;

    @Option(names = "--rawio-engine", description = "rawio's I/O engine (default: ${DEFAULT-VALUE}).",
            defaultValue = "uring")
    String rawioEngine;

    @Option(names = "--rawio-buffered", description = "Open rawio's store without O_DIRECT: its reads and writes go "
            + "through the page cache, and with --durability none a put is acknowledged once it is in memory, as "
            + "RocksDB's and LMDB's are.")
    boolean rawioBuffered;

    @Option(names = "--json", description = "Also write every round and the medians to this JSON file.")
    Path json;

    @Option(names = "--keep", description = "Keep each store's directory after its run.")
    boolean keep;

    private final PrintStream out;
    private final PrintStream err;
    /** The results of the last call, for tests. */
    Report report;

    KvCompare(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        return run(new KvCompare(out, err), args, out, err);
    }

    static int run(KvCompare cmd, String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("kv-compare: " + ex.getMessage() + " (see --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, p) -> {
            err.println("kv-compare: " + (ex instanceof IllegalArgumentException ? "" : ex.getClass().getSimpleName()
                    + ": ") + ex.getMessage());
            return ex instanceof IllegalArgumentException ? 2 : 1;
        });
        return cl.execute(args);
    }

    /** One store's figures for one round. */
    public record RoundResult(String system, int round, String detail, double createSeconds,
            double putMiBps, double putBatchP50Us, double putBatchP99Us,
            double getMiBps, double getBatchP50Us, double getBatchP99Us,
            double getP50Us, double getP99Us, double putP50Us, double putP99Us,
            double deviceWritePerByte, long bytesOnDisk, long valuesChecked) {
    }

    /** Everything a run measured. */
    public record Report(Map<String, Object> setup, List<RoundResult> rounds,
            Map<String, Map<String, Double>> medians, Map<String, Map<String, Double>> rawioRatios) {
    }

    @Override
    public Integer call() throws Exception {
        int valueSize = (int) Math.min(Integer.MAX_VALUE, Units.parseSize(valueSizeText));
        Durability durability = switch (durabilityText.toLowerCase(Locale.ROOT)) {
            case "none" -> Durability.NONE;
            case "durable" -> Durability.DURABLE;
            default -> throw new IllegalArgumentException("--durability must be none or durable: " + durabilityText);
        };
        for (String s : systems) {
            if (!SYSTEMS.contains(s)) {
                throw new IllegalArgumentException("unknown system " + s + " (one of " + SYSTEMS + ")");
            }
        }
        if (count < 2 || batch < 1 || rounds < 1 || latencyOps < 0 || valueSize < 1) {
            throw new IllegalArgumentException("need --count >= 2, --batch >= 1, --rounds >= 1, --latency-ops >= 0, "
                    + "--value-size >= 1");
        }
        if (!(getFraction > 0 && getFraction <= 1)) {
            throw new IllegalArgumentException("--get-fraction must be in (0, 1]: " + getFraction);
        }
        if (!rawioPrealloc.equals("zeros") && !rawioPrealloc.equals("fallocate")) {
            throw new IllegalArgumentException("--rawio-prealloc must be zeros or fallocate: " + rawioPrealloc);
        }
        if (IoEngines.kind(rawioEngine).isEmpty()) {
            throw new IllegalArgumentException("--rawio-engine: " + IoEngines.unknownEngineMessage(rawioEngine));
        }
        if (batch > 4096) {
            throw new IllegalArgumentException("--batch must be at most 4096");
        }
        boolean drop = switch (dropCachesText.toLowerCase(Locale.ROOT)) {
            case "auto" -> Privileges.isRoot();
            case "on" -> {
                if (!Privileges.isRoot()) {
                    throw new IllegalArgumentException("--drop-caches=on needs root");
                }
                yield true;
            }
            case "off" -> false;
            default -> throw new IllegalArgumentException("--drop-caches must be auto, on or off: " + dropCachesText);
        };
        Files.createDirectories(dir);
        Optional<String> disk = BlockDevices.diskOf(dir);
        if (!drop) {
            err.println("note: the page cache is not dropped before reads (not root, or --drop-caches=off): "
                    + "LMDB and RocksDB may read from memory what they wrote");
        }
        int latGets = Math.min(latencyOps, count / 2);
        Workload w = new Workload(count, valueSize, latGets, latencyOps);

        Map<String, Object> setup = new LinkedHashMap<>();
        setup.put("count", count);
        setup.put("valueSize", valueSize);
        setup.put("batch", batch);
        setup.put("rounds", rounds);
        setup.put("latencyOps", latencyOps);
        setup.put("getFraction", getFraction);
        setup.put("durability", durability.name().toLowerCase(Locale.ROOT));
        setup.put("dropCaches", drop);
        setup.put("lmdbNoReadahead", lmdbNoReadahead);
        setup.put("rocksdbWal", rocksdbWal || durability == Durability.DURABLE);
        setup.put("rawioPrealloc", rawioPrealloc);
        setup.put("rawioDirect", !rawioBuffered);
        setup.put("rawioEngine", rawioEngine);
        setup.put("disk", disk.orElse("?"));
        setup.put("readAheadKb", disk.flatMap(DeviceStats::readAheadKb).orElse("?"));
        setup.put("dataBytesPerRound", (long) count * valueSize);

        out.printf(Locale.ROOT, "kv-compare: %d keys x %s values, batch %d, gets of %.0f%% of the keys, "
                + "durability %s, %d rounds, page cache %s, disk %s (read_ahead_kb %s)%n", count,
                Units.formatSize(valueSize), batch, getFraction * 100, setup.get("durability"), rounds,
                drop ? "dropped before reads" : "NOT dropped", disk.orElse("?"), setup.get("readAheadKb"));
        List<RoundResult> results = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            for (String s : systems) {
                err.printf(Locale.ROOT, "round %d/%d: %s ...%n", r, rounds, s);
                RoundResult rr = runOne(s, r, w, durability, drop, disk);
                results.add(rr);
                printRow(rr);
            }
        }
        Map<String, Map<String, Double>> medians = new LinkedHashMap<>();
        for (String s : systems) {
            medians.put(s, medianOf(results.stream().filter(x -> x.system().equals(s)).toList()));
        }
        Map<String, Map<String, Double>> ratios = new LinkedHashMap<>();
        if (systems.contains("rawio")) {
            for (String s : systems) {
                if (!s.equals("rawio")) {
                    ratios.put(s, ratiosOf(results, s));
                }
            }
        }
        printSummary(medians, ratios);
        report = new Report(setup, results, medians, ratios);
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
            out.println("wrote " + json);
        }
        return 0;
    }

    /**
     * Opens a store of one kind: a new one in an empty directory when {@code create}, else the one there.
     * Package-private so that tests can wrap it.
     */
    KvStore open(String system, Path d, Workload w, Durability durability, boolean create) throws IOException {
        return switch (system) {
            case "rawio" -> new RawioKv(d, w.count + w.latencyPuts, KEY_LENGTH, w.valueSize, batch, durability,
                    create, rawioPrealloc.equals("zeros") ? Preallocation.WRITE_ZEROS
                            : Preallocation.FALLOCATE, !rawioBuffered, rawioEngine);
            case "rocksdb" -> new RocksKv(d, durability, rocksdbWal);
            case "lmdb" -> new LmdbKv(d, w.count + w.latencyPuts, w.valueSize, durability, lmdbNoReadahead);
            default -> throw new IllegalArgumentException(system);
        };
    }

    private RoundResult runOne(String system, int round, Workload w, Durability durability, boolean drop,
            Optional<String> disk) throws IOException {
        Path d = dir.resolve("round" + round + "-" + system);
        deleteTree(d);
        Files.createDirectories(d);
        Histogram putBatch = histogram();
        Histogram getBatch = histogram();
        Histogram getOne = histogram();
        Histogram putOne = histogram();
        long checked = 0;
        String detail;
        double devicePerByte;
        long putNs = 0;
        long getNs = 0;
        int getKeys = Math.max(1, (int) Math.round((w.count - w.latencyGets) * getFraction));
        long onDisk;
        double createSeconds;
        try {
            // put phase, ended by a flush/sync; the store is then closed so that nothing it holds in
            // memory (memtable, block cache, mapped pages) serves the reads
            long c0 = System.nanoTime();
            try (KvStore kv = open(system, d, w, durability, true)) {
                createSeconds = (System.nanoTime() - c0) / 1e9;
                Optional<DeviceStats> before = disk.flatMap(DeviceStats::sample);
                detail = kv instanceof RawioKv rk ? "engine " + rk.engine() + (rawioBuffered ? ", buffered" : "") : "";
                for (int from = 0; from < w.count; from += batch) {
                    int to = Math.min(w.count, from + batch);
                    List<byte[]> keys = new ArrayList<>(to - from);
                    List<byte[]> values = new ArrayList<>(to - from);
                    for (int i = from; i < to; i++) {
                        keys.add(w.key(i));
                        values.add(w.value(i));
                    }
                    long t0 = System.nanoTime();
                    kv.putBatch(keys, values);
                    long dt = System.nanoTime() - t0;
                    putNs += dt;
                    putBatch.recordValue(Math.max(1, dt / 1000));
                }
                long t0 = System.nanoTime();
                kv.finishWrites();
                putNs += System.nanoTime() - t0;
                Optional<DeviceStats> after = disk.flatMap(DeviceStats::sample);
                devicePerByte = before.isPresent() && after.isPresent()
                        ? after.get().minus(before.get()).writeBytes() / ((double) w.count * w.valueSize) : Double.NaN;
            }

            // One shuffle of the keys per round: its first latencyGets keys are read one at a time in the
            // latency phase, the rest (the get fraction of them) in batches in the get phase.
            int[] shuffled = Permutation.of(w.count, round);
            // get phase: each key once, in random order, from the device
            if (drop) {
                PageCache.dropAll();
            }
            try (KvStore kv = open(system, d, w, durability, false)) {
                int[] order = Arrays.copyOfRange(shuffled, w.latencyGets, w.latencyGets + getKeys);
                for (int from = 0; from < order.length; from += batch) {
                    int to = Math.min(order.length, from + batch);
                    List<byte[]> keys = new ArrayList<>(to - from);
                    for (int i = from; i < to; i++) {
                        keys.add(w.key(order[i]));
                    }
                    long g0 = System.nanoTime();
                    List<byte[]> values = kv.getBatch(keys);
                    long dt = System.nanoTime() - g0;
                    getNs += dt;
                    getBatch.recordValue(Math.max(1, dt / 1000));
                    for (int i = from; i < to; i++) {
                        w.check(system, order[i], values.get(i - from));
                        checked++;
                    }
                }
            }

            // latency: single gets of random keys not read in the get phase, then single puts of new keys
            if (drop) {
                PageCache.dropAll();
            }
            try (KvStore kv = open(system, d, w, durability, false)) {
                for (int k : Arrays.copyOf(shuffled, w.latencyGets)) {
                    byte[] key = w.key(k);
                    long g0 = System.nanoTime();
                    byte[] v = kv.get(key);
                    getOne.recordValue(Math.max(1, (System.nanoTime() - g0) / 1000));
                    w.check(system, k, v);
                    checked++;
                }
                for (int i = 0; i < w.latencyPuts; i++) {
                    byte[] key = w.key(w.count + i);
                    byte[] value = w.value(w.count + i);
                    long p0 = System.nanoTime();
                    kv.put(key, value);
                    putOne.recordValue(Math.max(1, (System.nanoTime() - p0) / 1000));
                }
                onDisk = kv.bytesOnDisk();
            }
        } finally {
            if (!keep) {
                deleteTree(d);
            }
        }
        double mib = 1024.0 * 1024.0;
        return new RoundResult(system, round, detail, createSeconds,
                (double) w.count * w.valueSize / mib / (putNs / 1e9), putBatch.getValueAtPercentile(50),
                putBatch.getValueAtPercentile(99),
                (double) getKeys * w.valueSize / mib / (getNs / 1e9), getBatch.getValueAtPercentile(50),
                getBatch.getValueAtPercentile(99),
                getOne.getTotalCount() == 0 ? Double.NaN : getOne.getValueAtPercentile(50),
                getOne.getTotalCount() == 0 ? Double.NaN : getOne.getValueAtPercentile(99),
                putOne.getTotalCount() == 0 ? Double.NaN : putOne.getValueAtPercentile(50),
                putOne.getTotalCount() == 0 ? Double.NaN : putOne.getValueAtPercentile(99),
                devicePerByte, onDisk, checked);
    }

    private static Histogram histogram() {
        return new Histogram(3_600_000_000L, 3);
    }

    private static void deleteTree(Path d) throws IOException {
        if (!Files.exists(d)) {
            return;
        }
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    // ------------------------------------------------------------------ report

    private static final String ROW = "%-8s %5s %8s %10s %10s %10s %10s %10s %10s %9s %9s %9s %9s %8s%n";

    private boolean headerPrinted;

    private void printRow(RoundResult r) {
        if (!headerPrinted) {
            out.printf(Locale.ROOT, ROW, "store", "round", "create s", "put MiB/s", "putB p50", "putB p99", "get MiB/s",
                    "getB p50", "getB p99", "get1 p50", "get1 p99", "put1 p50", "put1 p99", "dev W/B");
            headerPrinted = true;
        }
        out.printf(Locale.ROOT, ROW, r.system(), r.round(), f2(r.createSeconds()), f1(r.putMiBps()), ms(r.putBatchP50Us()),
                ms(r.putBatchP99Us()), f1(r.getMiBps()), ms(r.getBatchP50Us()), ms(r.getBatchP99Us()),
                ms(r.getP50Us()), ms(r.getP99Us()), ms(r.putP50Us()), ms(r.putP99Us()),
                Double.isNaN(r.deviceWritePerByte()) ? "-" : String.format(Locale.ROOT, "%.2f", r.deviceWritePerByte()));
    }

    private void printSummary(Map<String, Map<String, Double>> medians, Map<String, Map<String, Double>> ratios) {
        out.println();
        out.println("medians over the rounds (create s: creating the empty store, not in any phase; latencies in ms; putB/getB: one batch call, put1/get1: one "
                + "single call; dev W/B: bytes the disk wrote per byte put, whole disk):");
        headerPrinted = true;
        for (Map.Entry<String, Map<String, Double>> e : medians.entrySet()) {
            Map<String, Double> m = e.getValue();
            out.printf(Locale.ROOT, ROW, e.getKey(), "med", f2(m.get("createSeconds")), f1(m.get("putMiBps")), ms(m.get("putBatchP50Us")),
                    ms(m.get("putBatchP99Us")), f1(m.get("getMiBps")), ms(m.get("getBatchP50Us")),
                    ms(m.get("getBatchP99Us")), ms(m.get("getP50Us")), ms(m.get("getP99Us")), ms(m.get("putP50Us")),
                    ms(m.get("putP99Us")), Double.isNaN(m.get("deviceWritePerByte")) ? "-"
                            : String.format(Locale.ROOT, "%.2f", m.get("deviceWritePerByte")));
        }
        if (!ratios.isEmpty()) {
            out.println();
            out.println("rawio / other, median of the per-round ratios (throughput: higher is better for rawio; "
                    + "p99: lower is better for rawio):");
            for (Map.Entry<String, Map<String, Double>> e : ratios.entrySet()) {
                Map<String, Double> m = e.getValue();
                out.printf(Locale.ROOT, "  vs %-8s put %7s  get %7s  put-batch p99 %6s  get-batch p99 %6s"
                        + "  get p99 %6s  put p99 %6s%n", e.getKey(), x(m.get("putMiBps")), x(m.get("getMiBps")),
                        x(m.get("putBatchP99Us")), x(m.get("getBatchP99Us")), x(m.get("getP99Us")), x(m.get("putP99Us")));
            }
        }
    }

    /** A ratio, or "-" when there was nothing to compare (no single gets or puts timed). */
    private static String x(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2fx", v);
    }

    private static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String ms(double us) {
        return Double.isNaN(us) ? "-" : String.format(Locale.ROOT, "%.2f", us / 1000.0);
    }

    private static final Map<String, ToDoubleFunction<RoundResult>> METRICS = metrics();

    private static Map<String, ToDoubleFunction<RoundResult>> metrics() {
        Map<String, ToDoubleFunction<RoundResult>> m = new LinkedHashMap<>();
        m.put("createSeconds", RoundResult::createSeconds);
        m.put("putMiBps", RoundResult::putMiBps);
        m.put("putBatchP50Us", RoundResult::putBatchP50Us);
        m.put("putBatchP99Us", RoundResult::putBatchP99Us);
        m.put("getMiBps", RoundResult::getMiBps);
        m.put("getBatchP50Us", RoundResult::getBatchP50Us);
        m.put("getBatchP99Us", RoundResult::getBatchP99Us);
        m.put("getP50Us", RoundResult::getP50Us);
        m.put("getP99Us", RoundResult::getP99Us);
        m.put("putP50Us", RoundResult::putP50Us);
        m.put("putP99Us", RoundResult::putP99Us);
        m.put("deviceWritePerByte", RoundResult::deviceWritePerByte);
        return m;
    }

    static Map<String, Double> medianOf(List<RoundResult> rs) {
        Map<String, Double> m = new LinkedHashMap<>();
        METRICS.forEach((name, f) -> m.put(name, median(rs.stream().mapToDouble(f).toArray())));
        return m;
    }

    /** Per metric, the median over the rounds of rawio's value divided by the other store's in that round. */
    static Map<String, Double> ratiosOf(List<RoundResult> rs, String other) {
        Map<String, Double> m = new LinkedHashMap<>();
        METRICS.forEach((name, f) -> {
            List<Double> per = new ArrayList<>();
            for (RoundResult a : rs) {
                if (!a.system().equals("rawio")) {
                    continue;
                }
                for (RoundResult b : rs) {
                    if (b.system().equals(other) && b.round() == a.round()) {
                        per.add(f.applyAsDouble(a) / f.applyAsDouble(b));
                    }
                }
            }
            m.put(name, median(per.stream().mapToDouble(Double::doubleValue).toArray()));
        });
        return m;
    }

    static double median(double[] v) {
        double[] s = Arrays.stream(v).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (s.length == 0) {
            return Double.NaN;
        }
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    // ------------------------------------------------------------------ workload

    /** The keys and values: key i is "k" and i in 11 digits; value i is a random pool value stamped with i. */
    static final class Workload {
        final int count;
        final int valueSize;
        final int latencyGets;
        final int latencyPuts;
        private final byte[][] pool = new byte[POOL][];

        Workload(int count, int valueSize, int latencyGets, int latencyPuts) {
            this.count = count;
            this.valueSize = valueSize;
            this.latencyGets = latencyGets;
            this.latencyPuts = latencyPuts;
            SplittableRandom rnd = new SplittableRandom(42);
            for (int i = 0; i < POOL; i++) {
                pool[i] = new byte[valueSize];
                for (int j = 0; j < valueSize; j++) {
                    pool[i][j] = (byte) rnd.nextInt();
                }
            }
        }

        byte[] key(int i) {
            return String.format(Locale.ROOT, "k%011d", i).getBytes(StandardCharsets.US_ASCII);
        }

        byte[] value(int i) {
            byte[] v = pool[i % POOL].clone();
            for (int b = 0; b < Math.min(8, v.length); b++) {
                v[b] = (byte) (i >>> (8 * b));
            }
            return v;
        }

        /** Whether {@code got} is value i, compared in place (no copy between the timed calls). */
        boolean isValue(int i, byte[] got) {
            if (got.length != valueSize) {
                return false;
            }
            int stamp = Math.min(8, valueSize);
            for (int b = 0; b < stamp; b++) {
                if (got[b] != (byte) (i >>> (8 * b))) {
                    return false;
                }
            }
            return Arrays.equals(got, stamp, valueSize, pool[i % POOL], stamp, valueSize);
        }

        void check(String system, int i, byte[] got) throws IOException {
            if (got == null) {
                throw new IOException(system + ": key " + new String(key(i), StandardCharsets.US_ASCII) + " not found");
            }
            if (!isValue(i, got)) {
                throw new IOException(system + ": key " + new String(key(i), StandardCharsets.US_ASCII)
                        + " read back a different value (" + got.length + " bytes)");
            }
        }
    }
}
