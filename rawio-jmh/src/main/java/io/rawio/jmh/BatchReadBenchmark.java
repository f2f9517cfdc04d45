package io.rawio.jmh;

import io.rawio.engine.EngineConfig;
import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngine;
import io.rawio.engine.IoEngines;
import io.rawio.engine.IoFile;
import io.rawio.engine.OpenOptions;
import io.rawio.engine.UringEngine;
import io.rawio.memory.BufferPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A batch of 32 random 4 KiB reads through an engine, the hot path of every caller. With
 * {@code -prof gc}, {@code gc.alloc.rate.norm} is the bytes allocated per read: the target is ~0 for
 * the uring engines in steady state.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -jar rawio-jmh/target/benchmarks.jar BatchReadBenchmark -prof gc
 * </pre>
 * The file is in the page cache (buffered reads) so the numbers measure rawio, not the disk.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BatchReadBenchmark {
    static final int BATCH = 32;
    static final int BLOCK = 4096;
    static final long FILE_SIZE = 64L << 20;

    @Param({"uring", "uring-fixed", "psync"})
    public String engine;

    private Path path;
    private IoEngine io;
    private IoFile file;
    private BufferPool pool;
    private IoBatch batch;
    private long[] offsets;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        path = Files.createTempFile("rawio-jmh", ".dat");
        Files.write(path, new byte[(int) FILE_SIZE]);
        io = IoEngines.create(engine, new EngineConfig(BATCH));
        file = io.open(path, OpenOptions.readOnly());
        pool = BufferPool.create(BLOCK, BATCH, BLOCK);
        if (io instanceof UringEngine u) {
            u.registerBuffers(pool.region());
        }
        batch = new IoBatch(BATCH);
        SplittableRandom r = new SplittableRandom(42);
        offsets = new long[1 << 16];
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = r.nextLong(FILE_SIZE / BLOCK) * BLOCK;
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long batchOf32Reads() {
        batch.clear();
        for (int i = 0; i < BATCH; i++) {
            batch.read(file, offsets[cursor++ & (offsets.length - 1)], pool.buffer(i));
        }
        io.execute(batch);
        return batch.result(BATCH - 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        file.close();
        io.close();
        pool.close();
        Files.deleteIfExists(path);
    }
}
