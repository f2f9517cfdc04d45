package io.rawio.bench.run;

import io.rawio.bench.job.JobSpec;
import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngine;
import io.rawio.engine.IoFile;
import io.rawio.engine.OpenOptions;
import io.rawio.engine.PvsyncEngine;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.BlockDevices;
import io.rawio.nativeio.Statx;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The file or device a job runs on: laid out before the first engine runs, so reads hit written
 * blocks (a preallocated but never written extent reads as zeros without touching the device), and
 * removed afterwards when it is the scratch file and {@code --keep} was not given.
 */
public final class Target implements AutoCloseable {
    private final JobSpec job;
    private final Path path;
    private final boolean created;

    private Target(JobSpec job, Path path, boolean created) {
        this.job = job;
        this.path = path;
        this.created = created;
    }

    /** Creates and lays out the file when needed. */
    public static Target prepare(JobSpec job, ProgressListener progress) throws IOException {
        Path path = job.path();
        boolean exists = Files.exists(path);
        boolean device = exists && Statx.of(path).isDevice();
        Target t = new Target(job, path, !exists);
        if (!device) {
            long size = exists ? Files.size(path) : 0;
            if (size < job.sizeBytes()) {
                try {
                    layout(path, size, job.sizeBytes(), progress);
                } catch (IOException | RuntimeException e) {
                    t.close();
                    throw e;
                }
            }
        }
        return t;
    }

    /** Writes pseudo-random data from {@code from} to {@code to}, 1 MiB at a time, then fdatasync. */
    private static void layout(Path path, long from, long to, ProgressListener progress) throws IOException {
        int chunk = 1 << 20;
        int perBatch = 8;
        try (Arena arena = Arena.ofConfined();
             IoEngine engine = new PvsyncEngine();
             IoFile file = engine.open(path, OpenOptions.readWrite().withCreate(true).withSize(to))) {
            MemorySegment buf = AlignedMemory.allocate(arena, (long) chunk * perBatch, 4096);
            SplittableRandom random = new SplittableRandom(0x5eed);
            for (long i = 0; i < buf.byteSize(); i += 8) {
                buf.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
            }
            IoBatch batch = new IoBatch(perBatch + 1);
            long off = from - from % chunk;
            while (off < to) {
                batch.clear();
                for (int k = 0; k < perBatch && off < to; k++) {
                    long n = Math.min(chunk, to - off);
                    batch.write(file, off, buf.asSlice((long) k * chunk, n));
                    off += n;
                }
                engine.execute(batch);
                batch.throwIfFailed();
                progress.layout(off, to);
            }
            batch.clear();
            batch.fdatasync(file);
            engine.execute(batch);
            batch.throwIfFailed();
        }
    }

    public Path path() {
        return path;
    }

    /** The /sys/block name of the disk under the target, when there is one. */
    public Optional<String> disk() {
        return BlockDevices.diskOf(path);
    }

    /** Removes the scratch file unless asked to keep it. */
    @Override
    public void close() throws IOException {
        if (created && job.usesScratchFile() && !job.keep()) {
            Files.deleteIfExists(path);
        }
    }
}
