package io.rawio.jmh;

import static java.lang.invoke.MethodType.methodType;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a checkpoint's snapshot spends under the ring state's lock on the keys that carry an expiry:
 * the copy of the store's expiry table ({@code io.rawio.store.Expiries#copy}, two array clones), against
 * the copy of a {@code HashMap<ByteBuffer, Long>} of the same entries, which is what the table was
 * before. With {@code -prof gc}, the bytes allocated per copy.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -jar rawio-jmh/target/benchmarks.jar ExpiriesCopyBenchmark -prof gc
 * </pre>
 * The table is package-private in {@code io.rawio.store}; the benchmark reaches it through method
 * handles from a private lookup, as {@link ValueCacheBenchmark} does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms4g", "-Xmx4g"})
public class ExpiriesCopyBenchmark {
    private static final MethodHandle NEW;
    private static final MethodHandle COPY;

    static {
        try {
            Class<?> expiries = Class.forName("io.rawio.store.Expiries");
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(expiries, MethodHandles.lookup());
            NEW = l.findConstructor(expiries, methodType(void.class, Map.class, InstantSource.class))
                    .asType(methodType(Object.class, Map.class, InstantSource.class));
            COPY = l.findVirtual(expiries, "copy", methodType(expiries))
                    .asType(methodType(Object.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Keys with an expiry. */
    @Param({"100000", "1000000"})
    public int keys;

    private HashMap<ByteBuffer, Long> map;
    private Object table;

    @Setup(Level.Trial)
    public void setUp() throws Throwable {
        map = new HashMap<>();
        for (int i = 0; i < keys; i++) {
            map.put(ByteBuffer.wrap(("session:" + i).getBytes(StandardCharsets.UTF_8)), 1_900_000_000_000L + i);
        }
        table = (Object) NEW.invokeExact((Map) map, InstantSource.system());
    }

    @Benchmark
    public Object table() throws Throwable {
        return (Object) COPY.invokeExact(table);
    }

    @Benchmark
    public Object hashMapBefore() {
        return new HashMap<>(map);
    }
}
