package io.rawio.engine;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * An engine that wraps another and injects the failures storage code must survive, deterministically
 * from a seed:
 * <ul>
 *   <li>a write fails with EIO, or ENOSPC (the device or filesystem said no; nothing was written);</li>
 *   <li>a torn write: only a prefix of the operation's blocks lands (possibly none) and the write
 *       reports EIO, as when power fails in the middle of a multi-block write;</li>
 *   <li>a flush (FSYNC/FDATASYNC) fails with EIO: the data may or may not be durable;</li>
 *   <li>lost unflushed writes: {@link #simulateCrash()} puts back what every write since the file's
 *       last successful flush overwrote, as a power loss that empties the volatile caches does.</li>
 * </ul>
 * Faults are decided per operation with probability 1/N ({@code oneIn = N}; 0 disables a fault).
 * Thread-safe: batches are executed one at a time.
 */
public final class FaultInjectingEngine extends AbstractIoEngine {
    /**
     * Which faults, how often.
     *
     * @param seed             the random source's seed: the same seed gives the same faults
     * @param writeErrorOneIn  EIO on a write, 1 in N
     * @param enospcOneIn      ENOSPC on a write, 1 in N
     * @param tornWriteOneIn   a torn write, 1 in N
     * @param flushErrorOneIn  EIO on FSYNC/FDATASYNC, 1 in N
     * @param blockSize        the unit a torn write keeps a prefix of
     * @param trackUnflushed   remember overwritten bytes so {@link #simulateCrash()} can restore them
     */
    public record FaultConfig(long seed, int writeErrorOneIn, int enospcOneIn, int tornWriteOneIn,
            int flushErrorOneIn, int blockSize, boolean trackUnflushed) {
        public static FaultConfig none(long seed) {
            return new FaultConfig(seed, 0, 0, 0, 0, 4096, false);
        }

        public FaultConfig withWriteErrors(int oneIn) {
            return new FaultConfig(seed, oneIn, enospcOneIn, tornWriteOneIn, flushErrorOneIn, blockSize, trackUnflushed);
        }

        public FaultConfig withEnospc(int oneIn) {
            return new FaultConfig(seed, writeErrorOneIn, oneIn, tornWriteOneIn, flushErrorOneIn, blockSize, trackUnflushed);
        }

        public FaultConfig withTornWrites(int oneIn) {
            return new FaultConfig(seed, writeErrorOneIn, enospcOneIn, oneIn, flushErrorOneIn, blockSize, trackUnflushed);
        }

        public FaultConfig withFlushErrors(int oneIn) {
            return new FaultConfig(seed, writeErrorOneIn, enospcOneIn, tornWriteOneIn, oneIn, blockSize, trackUnflushed);
        }

        public FaultConfig withUnflushedTracking(boolean on) {
            return new FaultConfig(seed, writeErrorOneIn, enospcOneIn, tornWriteOneIn, flushErrorOneIn, blockSize, on);
        }
    }

    /** Counters of what was injected. */
    public record Injected(long writeErrors, long enospc, long tornWrites, long flushErrors, long restoredWrites) {
    }

    private final IoEngine inner;
    private final FaultConfig config;
    private final SplittableRandom random;
    private final Map<IoFile, Deque<Overwrite>> unflushed = new IdentityHashMap<>();
    private final Arena arena = Arena.ofShared();
    private int failAllErrno;
    private long writeErrors;
    private long enospc;
    private long tornWrites;
    private long flushErrors;
    private long restored;

    private record Overwrite(long offset, byte[] before) {
    }

    public FaultInjectingEngine(IoEngine inner, FaultConfig config) {
        super("faulty(" + inner.name() + ")");
        this.inner = inner;
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    /** A file of the wrapper, backed by a file of the wrapped engine. */
    static final class FaultyFile extends IoFile {
        final IoFile inner;

        FaultyFile(IoEngine engine, IoFile inner) {
            super(engine, inner.nativeFile(), inner.options(), inner.alignment());
            this.inner = inner;
        }

        @Override
        public void close() throws NativeIoException {
            inner.close();
        }
    }

    @Override
    public boolean supportsDirect() {
        return inner.supportsDirect();
    }

    @Override
    public IoFile open(Path path, OpenOptions options) throws IOException {
        checkOpen();
        return new FaultyFile(this, inner.open(path, options));
    }

    /** From now on every write fails with {@code errno} (0 turns it off). */
    public synchronized void failAllWrites(int errno) {
        this.failAllErrno = Math.abs(errno);
    }

    public synchronized Injected injected() {
        return new Injected(writeErrors, enospc, tornWrites, flushErrors, restored);
    }

    private boolean roll(int oneIn) {
        return oneIn > 0 && random.nextInt(oneIn) == 0;
    }

    @Override
    protected synchronized void run(IoBatch batch) {
        int n = batch.size();
        IoBatch out = new IoBatch(n);
        int[] map = new int[n];
        long[] preset = new long[n];
        java.util.Arrays.fill(map, -1);
        for (int i = 0; i < n; i++) {
            FaultyFile f = (FaultyFile) batch.file(i);
            IoOp op = batch.op(i);
            if (op.isWrite()) {
                if (failAllErrno != 0) {
                    preset[i] = -failAllErrno;
                    continue;
                }
                if (roll(config.writeErrorOneIn())) {
                    writeErrors++;
                    preset[i] = -Errno.EIO;
                    continue;
                }
                if (roll(config.enospcOneIn())) {
                    enospc++;
                    preset[i] = -Errno.ENOSPC;
                    continue;
                }
                if (op == IoOp.WRITE && roll(config.tornWriteOneIn())) {
                    tornWrites++;
                    long blocks = Math.max(1, batch.length(i) / config.blockSize());
                    long keep = random.nextLong(blocks) * config.blockSize();
                    if (keep > 0) {
                        remember(f, batch.offset(i), keep);
                        map[i] = out.write(f.inner, batch.offset(i), batch.buffer(i).asSlice(0, keep));
                    }
                    preset[i] = -Errno.EIO;
                    continue;
                }
                remember(f, batch.offset(i), batch.length(i));
            } else if (op.isSync()) {
                if (roll(config.flushErrorOneIn())) {
                    flushErrors++;
                    preset[i] = -Errno.EIO;
                    continue;
                }
            }
            map[i] = switch (op) {
                case READ -> out.read(f.inner, batch.offset(i), batch.buffer(i));
                case WRITE -> out.write(f.inner, batch.offset(i), batch.buffer(i), batch.rwFlags(i));
                case READV -> out.readv(f.inner, batch.offset(i), batch.vector(i));
                case WRITEV -> out.writev(f.inner, batch.offset(i), batch.vector(i));
                case FSYNC -> out.fsync(f.inner);
                case FDATASYNC -> out.fdatasync(f.inner);
            };
        }
        if (!out.isEmpty()) {
            inner.execute(out);
        }
        for (int i = 0; i < n; i++) {
            long r = preset[i] != 0 ? preset[i] : map[i] >= 0 ? out.result(map[i]) : 0;
            if (preset[i] != 0 && batch.op(i) == IoOp.WRITE && map[i] >= 0) {
                r = preset[i]; // torn: the prefix landed, the write still failed
            }
            batch.complete(i, r, System.nanoTime());
            if (r >= 0 && batch.op(i).isSync()) {
                unflushed.remove(batch.file(i));
            }
        }
    }

    /** Saves what a write is about to overwrite, so a crash can put it back. */
    private void remember(FaultyFile f, long offset, long length) {
        if (!config.trackUnflushed()) {
            return;
        }
        byte[] before = new byte[(int) length];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tmp = io.rawio.memory.AlignedMemory.allocate(a, Math.max(length, 1), Math.max(4096, f.alignment().max()));
            IoBatch b = new IoBatch(1);
            b.read(f.inner, offset, tmp.asSlice(0, length));
            inner.execute(b);
            long got = Math.max(0, b.result(0));
            MemorySegment.copy(tmp, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, before, 0, (int) got);
        }
        unflushed.computeIfAbsent(f, k -> new ArrayDeque<>()).push(new Overwrite(offset, before));
    }

    /**
     * Power loss: every write not followed by a successful flush of its file is undone (newest first),
     * through the wrapped engine. Returns how many writes were undone.
     */
    public synchronized int simulateCrash() {
        int undone = 0;
        for (Map.Entry<IoFile, Deque<Overwrite>> e : unflushed.entrySet()) {
            FaultyFile f = (FaultyFile) e.getKey();
            if (f.isClosed()) {
                continue;
            }
            for (Overwrite o : e.getValue()) {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment buf = io.rawio.memory.AlignedMemory.allocate(a, Math.max(1, o.before().length),
                            Math.max(4096, f.alignment().max()));
                    MemorySegment.copy(o.before(), 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, o.before().length);
                    IoBatch b = new IoBatch(1);
                    b.write(f.inner, o.offset(), buf.asSlice(0, o.before().length));
                    inner.execute(b);
                    undone++;
                }
            }
        }
        unflushed.clear();
        restored += undone;
        return undone;
    }

    @Override
    public long syscalls() {
        return inner.syscalls();
    }

    @Override
    public void close() {
        if (!isClosed()) {
            super.close();
            inner.close();
            arena.close();
        }
    }

    /** Files with writes not yet flushed (for tests). */
    public synchronized List<Path> unflushedFiles() {
        List<Path> out = new ArrayList<>();
        for (IoFile f : unflushed.keySet()) {
            out.add(f.path());
        }
        return out;
    }
}
