package io.rawio.jmh;

import static java.lang.invoke.MethodType.methodType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A hit in the store's DRAM tier ({@code io.rawio.store.ValueCache}): get a 4 KiB value, read one long
 * of it, close the lease; from one thread and from two sharing the cache. With {@code -prof gc},
 * {@code gc.alloc.rate.norm} is the bytes allocated per hit: the target is ~0 (the lease is scalar
 * replaced), and under 1 us per hit.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -jar rawio-jmh/target/benchmarks.jar ValueCacheBenchmark -prof gc
 * </pre>
 * The cache is package-private in {@code io.rawio.store}; the benchmark reaches it through method
 * handles from a private lookup (everything is in the unnamed module), held in static finals so
 * that the JIT inlines them like direct calls.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ValueCacheBenchmark {
    static final int VALUE_BYTES = 4096;
    /** 4 MiB of values, all resident: every get hits. */
    static final int KEYS = 1024;
    static final long CAPACITY_BYTES = 64L << 20;

    private static final MethodHandle NEW;
    private static final MethodHandle GET;
    private static final MethodHandle VALUE;
    private static final MethodHandle RELEASE;
    private static final MethodHandle TOKEN;
    private static final MethodHandle PUT;
    private static final MethodHandle CLOSE;

    static {
        try {
            Class<?> cache = Class.forName("io.rawio.store.ValueCache");
            Class<?> lease = Class.forName("io.rawio.store.ValueCache$Lease");
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(cache, MethodHandles.lookup());
            NEW = l.findConstructor(cache, methodType(void.class, long.class))
                    .asType(methodType(Object.class, long.class));
            GET = l.findVirtual(cache, "get", methodType(lease, byte[].class))
                    .asType(methodType(Object.class, Object.class, byte[].class));
            VALUE = l.findVirtual(lease, "value", methodType(MemorySegment.class))
                    .asType(methodType(MemorySegment.class, Object.class));
            RELEASE = l.findVirtual(lease, "close", methodType(void.class))
                    .asType(methodType(void.class, Object.class));
            TOKEN = l.findVirtual(cache, "readToken", methodType(long.class, byte[].class))
                    .asType(methodType(long.class, Object.class, byte[].class));
            PUT = l.findVirtual(cache, "put", methodType(boolean.class, byte[].class, MemorySegment.class, long.class))
                    .asType(methodType(boolean.class, Object.class, byte[].class, MemorySegment.class, long.class));
            CLOSE = l.findVirtual(cache, "close", methodType(void.class))
                    .asType(methodType(void.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Object cache;
    private byte[][] keys;

    @Setup(Level.Trial)
    public void setUp() throws Throwable {
        cache = (Object) NEW.invokeExact(CAPACITY_BYTES);
        keys = new byte[KEYS][];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(VALUE_BYTES);
            for (int i = 0; i < KEYS; i++) {
                keys[i] = ("key-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                value.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                long token = (long) TOKEN.invokeExact(cache, keys[i]);
                if (!(boolean) PUT.invokeExact(cache, keys[i], value, token)) {
                    throw new IllegalStateException("not admitted: key=" + i);
                }
            }
        }
    }

    /** Each thread walks the keys in its own random order. */
    @State(Scope.Thread)
    public static class Cursor {
        int[] order;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            order = new int[1 << 16];
            SplittableRandom r = new SplittableRandom(Thread.currentThread().threadId());
            for (int i = 0; i < order.length; i++) {
                order[i] = r.nextInt(KEYS);
            }
        }
    }

    @Benchmark
    @Threads(1)
    public long hit(Cursor c) throws Throwable {
        return hitOnce(c);
    }

    @Benchmark
    @Threads(2)
    public long hitTwoThreads(Cursor c) throws Throwable {
        return hitOnce(c);
    }

    private long hitOnce(Cursor c) throws Throwable {
        byte[] key = keys[c.order[c.next++ & (c.order.length - 1)]];
        Object lease = (Object) GET.invokeExact(cache, key);
        try {
            return ((MemorySegment) VALUE.invokeExact(lease)).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        } finally {
            RELEASE.invokeExact(lease);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Throwable {
        CLOSE.invokeExact(cache);
    }
}
