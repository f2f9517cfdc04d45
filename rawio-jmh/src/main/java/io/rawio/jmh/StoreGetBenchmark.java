package io.rawio.jmh;

import io.rawio.store.FormatProgress;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import io.rawio.store.ValueLease;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Gets through the store: a 4 KiB value that the DRAM tier holds, by zero-copy lease, into the caller's
 * memory ({@code get(key, into)}) and by copy onto the heap; and
 * a 1 MiB value read from the device (no tier), by zero-copy lease and by copy. With {@code -prof gc},
 * {@code gc.alloc.rate.norm} is the heap bytes allocated per get.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -jar rawio-jmh/target/benchmarks.jar StoreGetBenchmark -prof gc
 * </pre>
 * The store lives in a temporary file in the working directory (O_DIRECT needs a real file system).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class StoreGetBenchmark {
    @Param({"psync"})
    String engine;

    Path dir;
    SlotStore cached;
    SlotStore device;
    final byte[] small = "hot-4k".getBytes();
    final byte[] large = "cold-1m".getBytes();

    @Setup
    public void setup() throws IOException {
        dir = Files.createTempDirectory(Path.of("."), "rawio-jmh-store");
        StoreOptions o = StoreOptions.defaults().withEngine(engine);
        Path a = dir.resolve("cached.store");
        SlotStore.format(a, 64L << 20, SlotClasses.of(List.of(8192L)), false, o, Preallocation.FALLOCATE,
                FormatProgress.NONE);
        cached = SlotStore.open(a, o.withCache(16L << 20));
        cached.put(small, new byte[4096]);
        cached.get(small); // into the tier
        Path b = dir.resolve("device.store");
        SlotStore.format(b, 64L << 20, SlotClasses.of(List.of((1L << 20) + 8192)), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        device = SlotStore.open(b, o);
        device.put(large, new byte[1 << 20]);
    }

    @TearDown
    public void tearDown() throws IOException {
        cached.close();
        device.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @Benchmark
    public long hit4kLease() throws IOException {
        try (ValueLease l = cached.getLease(small)) {
            return l.value().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        }
    }

    @Benchmark
    public int hit4kCopy() throws IOException {
        return cached.get(small).length;
    }

    final java.lang.foreign.MemorySegment into = java.lang.foreign.Arena.ofAuto().allocate(8192);

    @Benchmark
    public long hit4kInto() throws IOException {
        return cached.get(small, into);
    }

    @Benchmark
    public long device1mLease() throws IOException {
        try (ValueLease l = device.getLease(large)) {
            return l.value().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        }
    }

    @Benchmark
    public int device1mCopy() throws IOException {
        return device.get(large).length;
    }
}
