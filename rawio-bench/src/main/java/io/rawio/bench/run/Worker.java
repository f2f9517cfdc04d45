package io.rawio.bench.run;

import io.rawio.bench.job.JobSpec;
import io.rawio.bench.metrics.DirectionStats;
import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngine;
import io.rawio.engine.IoFile;
import io.rawio.engine.IoOp;
import io.rawio.nativeio.ResourceUsage;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * One job thread: fills a batch of {@code iodepth} operations, hands it to the engine, records each
 * operation's latencies, and starts over. Nothing on this loop allocates in steady state except what
 * an engine itself allocates.
 */
final class Worker implements Runnable {
    private final JobSpec job;
    private final IoEngine engine;
    private final IoFile file;
    private final MemorySegment[] buffers;
    private final IoBatch batch;
    private final SplittableRandom random;
    private final RunClock clock;
    private final LongAdder liveIos;
    private final long regionStart;
    private final long blocks;
    private final long[] intendedNs;
    private final int pipeline;

    final DirectionStats read = new DirectionStats();
    final DirectionStats write = new DirectionStats();
    long syncs;
    ResourceUsage usage;
    volatile String error;

    private long nextSeqOffset;
    private long writesSinceFsync;
    private long writesSinceFdatasync;
    private long bytesIssued;

    /** The run's shared timing and stop flag. */
    static final class RunClock {
        final long startNs;
        final long rampEndNs;
        final long endNs;
        volatile boolean stop;

        RunClock(long startNs, long rampNs, long runtimeNs) {
            this.startNs = startNs;
            this.rampEndNs = startNs + rampNs;
            this.endNs = runtimeNs > 0 ? rampEndNs + runtimeNs : Long.MAX_VALUE;
        }
    }

    Worker(int id, JobSpec job, IoEngine engine, IoFile file, MemorySegment[] buffers, RunClock clock,
            LongAdder liveIos) {
        this.job = job;
        this.engine = engine;
        this.file = file;
        this.buffers = buffers;
        this.clock = clock;
        this.liveIos = liveIos;
        // Open loop (rate_iops) issues one iodepth at a time at its intended times; otherwise a batch
        // holds several iodepths, and the engine keeps iodepth operations in flight across it.
        this.pipeline = pipeline(job);
        this.batch = new IoBatch(job.iodepth() * pipeline + 2);
        this.random = new SplittableRandom(0x9e3779b97f4a7c15L * (id + 1));
        this.blocks = job.sizeBytes() / job.bs();
        this.regionStart = (blocks / job.numjobs()) * id * job.bs();
        this.nextSeqOffset = regionStart;
        this.intendedNs = new long[job.iodepth() * pipeline + 2];
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (RuntimeException e) {
            error = String.valueOf(e.getMessage());
            clock.stop = true;
        }
    }

    private void loop() {
        boolean measuring = false;
        ResourceUsage start = null;
        long intervalNs = job.rateIops() > 0 ? 1_000_000_000L / job.rateIops() : 0;
        long rateStart = 0;
        long rateIndex = 0;
        while (!clock.stop) {
            long now = System.nanoTime();
            if (now >= clock.endNs) {
                break;
            }
            if (!measuring && now >= clock.rampEndNs) {
                measuring = true;
                start = ResourceUsage.thread();
                rateStart = now;
                rateIndex = 0;
            }
            if (!job.timeBased() && bytesIssued >= job.sizeBytes()) {
                break;
            }
            int n = fill();
            if (intervalNs > 0) {
                long base = measuring ? rateStart : clock.startNs;
                for (int i = 0; i < n; i++) {
                    intendedNs[i] = base + (rateIndex + i) * intervalNs;
                }
                rateIndex += n;
                long wait = intendedNs[0] - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            long t0 = System.nanoTime();
            engine.execute(batch);
            for (int i = 0; i < batch.size(); i++) {
                long r = batch.result(i);
                if (r < 0) {
                    error = batch.failure(i).getMessage();
                    clock.stop = true;
                    return;
                }
                IoOp op = batch.op(i);
                if (op.isSync()) {
                    syncs++;
                    continue;
                }
                if (!measuring) {
                    continue;
                }
                DirectionStats d = op.isRead() ? read : write;
                d.totalIos++;
                d.ioBytes += r;
                if (r < batch.length(i)) {
                    d.shortIos++;
                }
                long issued = batch.issuedNs(i);
                long completed = batch.completedNs(i);
                d.clat.record(completed - issued);
                boolean firstWave = i < job.iodepth();
                if (firstWave) {
                    // Issued at the start of the batch: the time to issue is submission latency.
                    d.slat.record(issued - t0);
                }
                if (intervalNs > 0) {
                    // Latency from when the operation should have started: a stall delays every
                    // operation behind it, and those delays count (coordinated omission).
                    d.lat.recordCorrected(completed - intendedNs[i], intervalNs);
                } else {
                    // Later operations waited in the batch for a free slot, not for submission: their
                    // latency starts when they were issued.
                    d.lat.record(firstWave ? completed - t0 : completed - issued);
                }
            }
            liveIos.add(n);
        }
        if (measuring) {
            usage = ResourceUsage.thread().minus(start);
        }
    }

    /** Fills the batch with the next {@code iodepth} operations; returns how many are data operations. */
    private int fill() {
        batch.clear();
        int depth = job.iodepth() * pipeline;
        if (!job.timeBased()) {
            long left = (job.sizeBytes() - bytesIssued + job.bs() - 1) / job.bs();
            depth = (int) Math.min(depth, left);
        }
        for (int k = 0; k < depth; k++) {
            boolean isRead = switch (job.rw()) {
                case READ, RANDREAD -> true;
                case WRITE, RANDWRITE -> false;
                case RANDRW, RW -> random.nextInt(100) < job.rwmixread();
            };
            long offset;
            if (job.rw().random()) {
                offset = random.nextLong(blocks) * job.bs();
            } else {
                offset = nextSeqOffset;
                nextSeqOffset += job.bs();
                if (nextSeqOffset + job.bs() > blocks * job.bs()) {
                    nextSeqOffset = 0;
                }
            }
            MemorySegment buf = buffers[k % buffers.length];
            if (isRead) {
                batch.read(file, offset, buf);
            } else {
                batch.write(file, offset, buf);
                // fio's fsync=N: a sync after every N writes. In a batch it runs after the writes
                // before it have completed (IoBatch's barrier rule).
                if (job.fsyncEvery() > 0 && ++writesSinceFsync >= job.fsyncEvery()) {
                    batch.fsync(file);
                    writesSinceFsync = 0;
                }
                if (job.fdatasyncEvery() > 0 && ++writesSinceFdatasync >= job.fdatasyncEvery()) {
                    batch.fdatasync(file);
                    writesSinceFdatasync = 0;
                }
            }
            bytesIssued += job.bs();
        }
        return depth;
    }

    /** How many iodepths one batch holds. */
    static int pipeline(JobSpec job) {
        return job.rateIops() > 0 ? 1 : Math.max(1, Math.min(64, 256 / job.iodepth()));
    }

    /**
     * Buffers per job: one per operation of a batch, so no two operations in flight share memory,
     * up to 64 MiB; beyond that operations share buffers round robin.
     */
    static int buffersFor(JobSpec job) {
        long all = (long) job.iodepth() * pipeline(job);
        long cap = Math.max(job.iodepth(), (64L << 20) / job.bs());
        return (int) Math.min(all, cap);
    }
}
