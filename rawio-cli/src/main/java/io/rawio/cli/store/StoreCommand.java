package io.rawio.cli.store;

import io.rawio.bench.job.Units;
import io.rawio.store.CheckReport;
import io.rawio.store.ClassStats;
import io.rawio.store.GetResult;
import io.rawio.store.KeyInfo;
import io.rawio.store.Preallocation;
import io.rawio.store.ScanPage;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreException;
import io.rawio.store.StoreOptions;
import io.rawio.store.StoreStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rawio store}: a slot store on a file or a block device. */
@Command(name = "store", description = "A crash-safe, checksummed key-value slot store on a file or block device.",
        subcommands = {
            StoreCommand.Format.class, StoreCommand.Put.class, StoreCommand.Get.class, StoreCommand.Del.class,
            StoreCommand.Ttl.class, StoreCommand.Persist.class, StoreCommand.Ls.class, StoreCommand.Stat.class, StoreCommand.Import.class, StoreCommand.Export.class,
            StoreCommand.Check.class, StoreBenchCommand.class},
        footer = {"", "Exit status: 0 done, 1 not found or a store error, 2 bad arguments.",
            "See docs/FORMAT.md for the on-disk format."})
public final class StoreCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help")
    boolean help;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("rawio store: a subcommand is required: format, put, get, del, ttl,"
                + " persist, ls, stat, import, export, check, bench (see 'rawio store --help')");
        return 2;
    }

    /** Options every store subcommand takes. */
    public static final class Common {
        @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "uring",
                description = "I/O engine (default: ${DEFAULT-VALUE}, psync where io_uring is unavailable)")
        String engine;

        @Option(names = "--direct", paramLabel = "0|1", defaultValue = "1", arity = "0..1", fallbackValue = "1",
                description = "O_DIRECT (default: ${DEFAULT-VALUE})")
        String direct;

        @Option(names = "--cache", paramLabel = "SIZE", defaultValue = "0",
                description = "DRAM tier: keep up to SIZE of values read in memory, e.g. 256m (default: none)")
        String cache;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help")
        boolean help;

        public StoreOptions options() {
            boolean d;
            try {
                d = Units.parseFlag(direct);
            } catch (IllegalArgumentException e) {
                throw new BadArgument("invalid --direct: " + e.getMessage());
            }
            if (io.rawio.engine.IoEngines.kind(engine).isEmpty()) {
                throw new BadArgument(io.rawio.engine.IoEngines.unknownEngineMessage(engine));
            }
            return StoreOptions.defaults().withEngine(engine).withDirect(d).withCache(parseSize("--cache", cache));
        }
    }

    /** A user mistake: one line, exit 2. */
    public static final class BadArgument extends RuntimeException {
        public BadArgument(String m) {
            super(m);
        }
    }

    /** Runs a subcommand body, turning failures into one line and an exit status. */
    abstract static class Sub implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        /** The store: every subcommand's first parameter. */
        @Parameters(index = "0", paramLabel = "PATH")
        Path path;

        @Mixin
        Common common;

        abstract int run(PrintWriter out) throws IOException;

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        String name() {
            return "rawio store " + spec.name();
        }

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try {
                return run(out);
            } catch (BadArgument | IllegalArgumentException e) {
                err().println(name() + ": " + e.getMessage());
                return 2;
            } catch (NoSuchFileException e) {
                err().println(name() + ": no such file: " + e.getFile());
                return 2;
            } catch (StoreException.NotAStore | StoreException.Invalid e) {
                err().println(name() + ": " + e.getMessage());
                return 2;
            } catch (IOException e) {
                err().println(name() + ": " + e.getMessage());
                return 1;
            } finally {
                out.flush();
            }
        }

        SlotStore open(Path path) throws IOException {
            return SlotStore.open(path, common.options());
        }
    }

    static byte[] keyBytes(String key) {
        if (key.isEmpty()) {
            throw new BadArgument("empty key");
        }
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        if (k.length > SlotStore.MAX_KEY_LENGTH) {
            throw new BadArgument("key too long: length=" + k.length + ", max=" + SlotStore.MAX_KEY_LENGTH);
        }
        return k;
    }

    @Command(name = "format", description = {"Create a store: a new file of --size, or a whole block device.",
        "Slots come in classes, each a ring of one slot size with its share of the space; a value goes to the"
                + " smallest class whose slot holds it (64 bytes of header, the key, the value), and the last class"
                + " takes every value up to its slot size. Give one of --slot, --classes and --max-value; with"
                + " none, --max-value=" + StoreArgs.DEFAULT_MAX_VALUE + "."})
    static final class Format extends Sub {
        @Option(names = "--size", paramLabel = "SIZE", description = "File size, e.g. 1g (not for a block device)")
        String size;

        @Option(names = "--slot", paramLabel = "SIZE",
                description = "One class of this slot size, a multiple of 4k, e.g. 256k: the largest key + value + 64 bytes")
        String slot;

        @Option(names = "--classes", paramLabel = "SIZE,...",
                description = "Slot sizes of up to 16 classes, ascending, multiples of 4k, e.g. 4k,64k,1m,4m"
                        + " (4m+ on the last reads the same: it takes every value up to its slot size); a size of"
                        + " whole 512-byte sectors, e.g. 4608, is a sector class (needs 512-byte direct I/O)")
        String classes;

        @Option(names = "--max-value", paramLabel = "SIZE",
                description = "Classes for values up to SIZE: slots of 4k, 4608 (a 4 KiB value and its header"
                        + " in 4.5 KiB, where the target takes 512-byte direct I/O), then 8k, 20k, 68k, 260k ..."
                        + " (4^n KiB and a block for header and key) below it, then one for SIZE with a key of up"
                        + " to 256 bytes (default when no class option: "
                        + StoreArgs.DEFAULT_MAX_VALUE + ")")
        String maxValue;

        @Option(names = "--class-share", paramLabel = "W,...",
                description = "Share of the space per class, one weight each, e.g. 1,1,2,4 (default: in proportion to the slot sizes, so every class has as many slots)")
        String classShare;

        @Option(names = "--force", description = "Overwrite an existing file, or a device that holds data")
        boolean force;

        @Option(names = "--prealloc", paramLabel = "zeros|fallocate", defaultValue = "zeros",
                description = "How a file's blocks are reserved: zeros (fallocate, then write zeros once, so no "
                        + "later write converts an unwritten extent) or fallocate (instant). Default: ${DEFAULT-VALUE}")
        String prealloc;

        @Override
        int run(PrintWriter out) throws IOException {
            SlotClasses slotClasses = StoreArgs.slotClasses(slot, classes, maxValue, classShare);
            boolean device = Files.exists(path) && io.rawio.nativeio.Statx.of(path).isDevice();
            long sizeBytes = 0;
            if (!device) {
                if (size == null) {
                    throw new BadArgument("--size is required for a file store");
                }
                sizeBytes = parseSize("--size", size);
            }
            Preallocation how = switch (prealloc) {
                case "zeros" -> Preallocation.WRITE_ZEROS;
                case "fallocate" -> Preallocation.FALLOCATE;
                default -> throw new BadArgument("invalid --prealloc: " + prealloc + " (zeros or fallocate)");
            };
            try {
                SlotStore.format(path, sizeBytes, slotClasses, force, common.options(), how, new ZeroProgress(err()));
            } catch (IllegalArgumentException e) {
                boolean defaulted = slot == null && classes == null && maxValue == null;
                if (defaulted && e.getMessage().startsWith("size too small")) {
                    throw new BadArgument(e.getMessage() + " (the default is --max-value="
                            + StoreArgs.DEFAULT_MAX_VALUE + "; give --slot, --classes or a smaller --max-value)");
                }
                throw e;
            }
            try (SlotStore s = open(path)) {
                var sb = s.superblock();
                out.printf(Locale.ROOT, "formatted %s: %,d slots in %d %s, uuid %s%n", path, sb.slotCount(),
                        sb.classes().size(), sb.classes().size() == 1 ? "class" : "classes", sb.uuid());
                for (var c : sb.classes()) {
                    out.printf(Locale.ROOT, "  class %d: %,d slots of %s%n", c.id(), c.slotCount(),
                            Units.formatSize(c.slotSize()));
                }
                if (sb.classes().size() < slotClasses.slotSizes().size()) {
                    out.printf(Locale.ROOT, "  (classes of 512-byte sectors left out: %s takes direct I/O only in"
                            + " 4 KiB units)%n", path);
                }
            }
            return 0;
        }
    }

    public static long parseSize(String option, String text) {
        try {
            return Units.parseSize(text);
        } catch (IllegalArgumentException e) {
            throw new BadArgument("invalid " + option + ": " + e.getMessage());
        }
    }

    @Command(name = "put", description = {"Store a value: the contents of FILE, or standard input for '-' or no FILE.",
        "A put without --expire-in or --expire-at stores a key that does not expire."})
    static final class Put extends Sub {
        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Parameters(index = "2", paramLabel = "FILE", arity = "0..1", defaultValue = "-")
        String file;

        @Option(names = "--durability", paramLabel = "MODE", defaultValue = "durable",
                description = "none or durable (default: ${DEFAULT-VALUE})")
        String durability;

        @Option(names = "--expire-in", paramLabel = "DURATION",
                description = "The key expires after DURATION: 30s, 5m, 2h, 1d, or a number of ms")
        String expireIn;

        @Option(names = "--expire-at", paramLabel = "EPOCH_MS",
                description = "The key expires at this time, in ms since the epoch")
        String expireAt;

        @Override
        int run(PrintWriter out) throws IOException {
            byte[] k = keyBytes(key);
            long expiresAtMs = StoreArgs.expiresAtMs(expireIn, expireAt, System.currentTimeMillis());
            byte[] value;
            if (file.equals("-")) {
                value = rawIn.readAllBytes();
            } else {
                Path f = Path.of(file);
                if (!Files.isRegularFile(f)) {
                    throw new BadArgument("no such file: " + file);
                }
                value = Files.readAllBytes(f);
            }
            StoreOptions o = common.options().withDurability(durability(durability));
            try (SlotStore s = SlotStore.open(path, o)) {
                // a value larger than the largest slot: StoreException.Invalid, exit 2, nothing written
                s.put(k, MemorySegment.ofArray(value), expiresAtMs);
            }
            return 0;
        }
    }

    public static StoreOptions.Durability durability(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "none" -> StoreOptions.Durability.NONE;
            case "durable" -> StoreOptions.Durability.DURABLE;
            default -> throw new BadArgument("unknown --durability: " + s + " (none, durable)");
        };
    }

    @Command(name = "get", description = "Write a key's value to standard output.")
    static final class Get extends Sub {
        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Override
        int run(PrintWriter out) throws IOException {
            byte[] k = keyBytes(key);
            try (SlotStore s = open(path)) {
                byte[] v = s.get(k);
                if (v == null) {
                    err().println(name() + ": no such key: " + key);
                    return 1;
                }
                out.flush();
                rawOut.write(v);
                rawOut.flush();
            }
            return 0;
        }
    }

    @Command(name = "del", description = "Delete a key.")
    static final class Del extends Sub {
        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Override
        int run(PrintWriter out) throws IOException {
            byte[] k = keyBytes(key);
            try (SlotStore s = open(path)) {
                if (!s.delete(k)) {
                    err().println(name() + ": no such key: " + key);
                    return 1;
                }
            }
            return 0;
        }
    }

    @Command(name = "ttl", description = {"Print the milliseconds until a key expires, 'none', or 'absent'.",
        "Exit status 0 for a key, 1 for 'absent'."})
    static final class Ttl extends Sub {
        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Override
        int run(PrintWriter out) throws IOException {
            byte[] k = keyBytes(key);
            try (SlotStore s = open(path)) {
                long ttl = s.ttlMillis(k);
                out.println(ttl == -2 ? "absent" : ttl == -1 ? "none" : Long.toString(ttl));
                return ttl == -2 ? 1 : 0;
            }
        }
    }

    @Command(name = "persist", description = {"Remove a key's expiry, so it stays until deleted or evicted.",
        "The value is written again without the expiry, as a put would write it."})
    static final class Persist extends Sub {
        @Parameters(index = "1", paramLabel = "KEY")
        String key;

        @Override
        int run(PrintWriter out) throws IOException {
            byte[] k = keyBytes(key);
            StoreOptions o = common.options().withDurability(StoreOptions.Durability.DURABLE);
            try (SlotStore s = SlotStore.open(path, o)) {
                long ttl = s.ttlMillis(k);
                if (ttl >= 0 && s.persist(k)) {
                    return 0;
                }
                if (ttl == -1) {
                    return 0; // no expiry: nothing to remove
                }
                err().println(name() + ": no such key: " + key);
                return 1;
            }
        }
    }

    @Command(name = "ls", description = {"List the keys with their value sizes, in index order.",
        "Pages through the index COUNT entries at a time; the sizes come from the index (nothing is read)."})
    static final class Ls extends Sub {
        @Option(names = "--prefix", paramLabel = "P", description = "Only keys that start with P")
        String prefix;

        @Option(names = "--count", paramLabel = "N", defaultValue = "1000",
                description = "Index entries one page covers; every key is listed whatever N (default: ${DEFAULT-VALUE})")
        int count;

        @Override
        int run(PrintWriter out) throws IOException {
            if (count < 1) {
                throw new BadArgument("--count must be at least 1");
            }
            byte[] p = prefix == null || prefix.isEmpty() ? null : prefix.getBytes(StandardCharsets.UTF_8);
            try (SlotStore s = open(path)) {
                long cursor = 0;
                do {
                    ScanPage page = s.scan(cursor, count, p);
                    for (KeyInfo k : page.entries()) {
                        out.printf(Locale.ROOT, "%10d  %s%n", k.valueLength(), new String(k.key(), StandardCharsets.UTF_8));
                    }
                    cursor = page.cursor();
                } while (cursor != 0);
            }
            return 0;
        }
    }

    @Command(name = "stat", description = {"Show the store's geometry and counters, and a table of its slot classes.",
        "Fill is a class's live keys per slot; evictions count live keys its ring overwrote since open."})
    static final class Stat extends Sub {
        @Override
        int run(PrintWriter out) throws IOException {
            try (SlotStore s = open(path)) {
                var sb = s.superblock();
                StoreStats st = s.stats();
                out.printf(Locale.ROOT, "path         %s%n", path);
                out.printf(Locale.ROOT, "uuid         %s%n", sb.uuid());
                out.printf(Locale.ROOT, "format       version %d (docs/FORMAT.md)%n",
                        sb.formatVersion());
                out.printf(Locale.ROOT, "engine       %s%n", s.engineName());
                if (sb.classes().size() == 1) {
                    out.printf(Locale.ROOT, "slots        %d x %s%n", sb.slotCount(), Units.formatSize(sb.slotSize()));
                } else {
                    out.printf(Locale.ROOT, "slots        %d in %d classes%n", sb.slotCount(), sb.classes().size());
                }
                out.printf(Locale.ROOT, "keys         %d%n", st.keys());
                out.printf(Locale.ROOT, "value bytes  %d%n", st.valueBytes());
                out.printf(Locale.ROOT, "used         %.1f%%%n", 100.0 * st.keys() / sb.slotCount());
                out.printf(Locale.ROOT, "index        %d bytes (%s)%n", st.indexBytes(), st.keys() == 0 ? "no keys"
                        : String.format(Locale.ROOT, "%.1f per key", st.indexBytesPerKey()));
                out.printf(Locale.ROOT, "expired      %d (found expired since open)%n", st.expired());
                out.printf(Locale.ROOT, "open         %d ms (%d slots read after the checkpoint, %d keys recovered)%n",
                        st.openMillis(), st.recoveryScanned(), st.recoveredKeys());
                if (s.engineNotice() != null) {
                    out.println("note         " + s.engineNotice());
                }
                out.println();
                out.printf(Locale.ROOT, "%5s  %9s  %10s  %10s  %14s  %6s  %9s%n", "class", "slot size", "slots", "keys",
                        "value bytes", "fill", "evictions");
                for (ClassStats c : s.classStats()) {
                    out.printf(Locale.ROOT, "%5d  %9s  %10d  %10d  %14d  %5.1f%%  %9d%n", c.id(),
                            Units.formatSize(c.slotSize()), c.slots(), c.keys(), c.valueBytes(), 100 * c.fill(),
                            c.evictions());
                }
            }
            return 0;
        }
    }

    @Command(name = "import", description = "Store files under their file names, in putMany batches; prints"
            + " 'stored KEY' once each key's batch is acknowledged.")
    static final class Import extends Sub {
        @Parameters(index = "1..*", paramLabel = "FILE", arity = "1..*")
        List<Path> files;

        @Option(names = "--batch", paramLabel = "N", defaultValue = "64", description = "Keys per batch (default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--durability", paramLabel = "MODE", defaultValue = "none",
                description = "none or durable (default: ${DEFAULT-VALUE})")
        String durability;

        @Override
        int run(PrintWriter out) throws IOException {
            if (batch < 1 || batch > StoreOptions.MAX_BATCH) {
                throw new BadArgument("--batch must be between 1 and " + StoreOptions.MAX_BATCH);
            }
            for (Path f : files) {
                if (!Files.isRegularFile(f)) {
                    throw new BadArgument("no such file: " + f);
                }
            }
            StoreOptions o = common.options().withDurability(durability(durability)).withBatchSize(batch);
            int failed = 0;
            try (SlotStore s = SlotStore.open(path, o)) {
                for (int from = 0; from < files.size(); from += batch) {
                    List<Path> chunk = files.subList(from, Math.min(files.size(), from + batch));
                    List<byte[]> keys = new ArrayList<>();
                    List<MemorySegment> values = new ArrayList<>();
                    for (Path f : chunk) {
                        keys.add(keyBytes(f.getFileName().toString()));
                        values.add(MemorySegment.ofArray(Files.readAllBytes(f)));
                    }
                    List<SlotStore.Result> r = s.putMany(keys, values);
                    for (int i = 0; i < chunk.size(); i++) {
                        String k = chunk.get(i).getFileName().toString();
                        if (r.get(i).ok()) {
                            out.println("stored " + k);
                        } else {
                            failed++;
                            err().println(name() + ": " + k + ": " + r.get(i).error());
                        }
                    }
                    out.flush();
                }
            }
            return failed == 0 ? 0 : 1;
        }
    }

    // picocli formats descriptions with String.format: a literal '%' is written "%%".
    @Command(name = "export", description = "Write every key's value to DIR/KEY (unsafe names %%XX-encoded).")
    static final class Export extends Sub {
        @Parameters(index = "1", paramLabel = "DIR")
        Path dir;

        @Override
        int run(PrintWriter out) throws IOException {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new BadArgument("not a directory: " + dir);
            }
            Files.createDirectories(dir);
            int corrupt = 0;
            try (SlotStore s = open(path)) {
                List<byte[]> keys = s.keys().stream().map(KeyInfo::key).toList();
                // getMany keeps the store's batch of reads in flight; a chunk bounds the values held
                int chunk = 64;
                for (int from = 0; from < keys.size(); from += chunk) {
                    List<byte[]> part = keys.subList(from, Math.min(keys.size(), from + chunk));
                    List<GetResult> got = s.getMany(part);
                    for (int i = 0; i < part.size(); i++) {
                        GetResult r = got.get(i);
                        if (r.corrupt() != null) {
                            corrupt++;
                            err().println(name() + ": " + r.corrupt());
                        } else if (r.found()) {
                            Files.write(dir.resolve(KeyNames.encode(part.get(i))), r.value());
                        }
                    }
                }
            }
            return corrupt == 0 ? 0 : 1;
        }
    }

    @Command(name = "check", description = "Verify every key's slot, every slot header, the superblocks and the"
            + " checkpoints; exit 1 when anything is corrupt.")
    static final class Check extends Sub {
        @Override
        int run(PrintWriter out) throws IOException {
            SlotStore s = open(path);
            CheckReport r;
            try {
                r = s.check();
            } finally {
                s.closeWithoutCheckpoint();
            }
            out.printf(Locale.ROOT, "superblocks valid   %d of 2%n", r.superblocksValid());
            out.printf(Locale.ROOT, "checkpoints valid   %d of 2%n", r.checkpointsValid());
            out.printf(Locale.ROOT, "keys                %d%n", r.keys());
            out.printf(Locale.ROOT, "keys verified       %d%n", r.keysVerified());
            out.printf(Locale.ROOT, "keys corrupt        %d%n", r.keysCorrupt());
            out.printf(Locale.ROOT, "slots read          %d%n", r.slotsRead());
            out.printf(Locale.ROOT, "slots damaged       %d%n", r.slotsDamaged());
            out.println(r.healthy() ? "ok" : "CORRUPT");
            return r.healthy() ? 0 : 1;
        }
    }

    /** Where get writes value bytes and put reads them; tests replace them. */
    static OutputStream rawOut = System.out;
    static InputStream rawIn = System.in;
}
