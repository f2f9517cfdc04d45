package io.rawio.bench.run;

import io.rawio.bench.job.JobSpec;
import io.rawio.bench.metrics.DeviceStats;
import io.rawio.bench.metrics.DirectionStats;
import io.rawio.bench.metrics.JobResult;
import io.rawio.engine.EngineConfig;
import io.rawio.engine.IoEngine;
import io.rawio.engine.IoEngines;
import io.rawio.engine.IoFile;
import io.rawio.engine.OpenOptions;
import io.rawio.memory.BufferPool;
import io.rawio.nativeio.ResourceUsage;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/** Runs a job on each of its engines in turn, on the same prepared target. */
public final class JobRunner {
    private JobRunner() {
    }

    /** Prepares the target, runs every engine of the job, and cleans up. */
    public static List<JobResult> runAll(JobSpec job, ProgressListener progress) {
        try (Target target = Target.prepare(job, progress)) {
            List<JobResult> results = new ArrayList<>();
            for (String engine : job.engines()) {
                results.add(run(job, engine, target, progress));
            }
            return results;
        } catch (IOException e) {
            throw new BenchException(e.getMessage(), e);
        }
    }

    /** Runs one engine on a prepared target. */
    public static JobResult run(JobSpec job, String engineName, Target target, ProgressListener progress) {
        StringBuilder notice = new StringBuilder();
        Consumer<String> noticeSink = s -> notice.append(notice.isEmpty() ? "" : "; ").append(s);
        EngineConfig config = new EngineConfig(Math.max(job.iodepth(), 1), job.iodepthBatchSubmit());
        try (IoEngine engine = IoEngines.createWithFallback(engineName, config, noticeSink)) {
            OpenOptions options = (job.rw().writes() ? OpenOptions.readWrite() : OpenOptions.readOnly())
                    .withDirect(job.direct()).withSync(job.sync());
            try (IoFile file = engine.open(target.path(), options)) {
                return measure(job, engine, file, target, progress, notice.isEmpty() ? null : notice.toString());
            }
        } catch (IOException e) {
            throw new BenchException(e.getMessage(), e);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            throw new BenchException(e.getMessage(), e);
        }
    }

    private static JobResult measure(JobSpec job, IoEngine engine, IoFile file, Target target,
            ProgressListener progress, String notice) {
        int alignment = Math.max(4096, file.alignment().max());
        List<BufferPool> pools = new ArrayList<>();
        List<Worker> workers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        LongAdder liveIos = new LongAdder();
        Optional<String> disk = target.disk();
        try {
            for (int i = 0; i < job.numjobs(); i++) {
                int bufSize = ((job.bs() + alignment - 1) / alignment) * alignment;
                BufferPool pool = BufferPool.create(bufSize, Worker.buffersFor(job), alignment);
                pools.add(pool);
                fillRandom(pool.region(), i);
                EngineHooks.prepare(engine, pool);
            }
            Worker.RunClock clock = new Worker.RunClock(System.nanoTime(), job.rampNs(), job.runtimeNs());
            for (int i = 0; i < job.numjobs(); i++) {
                // A pool's buffers are sized up to the alignment; the job uses the first bs bytes of each.
                BufferPool pool = pools.get(i);
                MemorySegment[] buffers = new MemorySegment[Worker.buffersFor(job)];
                for (int k = 0; k < buffers.length; k++) {
                    buffers[k] = pool.buffer(k).asSlice(0, job.bs());
                }
                Worker w = new Worker(i, job, engine, file, buffers, clock, liveIos);
                workers.add(w);
                Thread t = Thread.ofPlatform().name("rawio-" + engine.name() + "-" + i).unstarted(w);
                threads.add(t);
            }
            threads.forEach(Thread::start);

            waitUntil(clock.rampEndNs, clock);
            long windowStart = System.nanoTime();
            ResourceUsage processStart = ResourceUsage.process();
            long syscallsStart = engine.syscalls();
            Optional<DeviceStats> devStart = disk.flatMap(DeviceStats::sample);

            long lastIos = liveIos.sum();
            long lastNs = System.nanoTime();
            for (Thread t : threads) {
                while (t.isAlive()) {
                    try {
                        t.join(1000);
                    } catch (InterruptedException e) {
                        clock.stop = true;
                        Thread.currentThread().interrupt();
                    }
                    long now = System.nanoTime();
                    long ios = liveIos.sum();
                    double iops = (ios - lastIos) * 1e9 / Math.max(1, now - lastNs);
                    lastIos = ios;
                    lastNs = now;
                    progress.progress(engine.name(), now - clock.startNs,
                            job.runtimeNs() > 0 ? job.rampNs() + job.runtimeNs() : 0, iops);
                }
            }
            long windowEnd = System.nanoTime();
            ResourceUsage process = ResourceUsage.process().minus(processStart);
            long syscalls = engine.syscalls() - syscallsStart;
            Optional<DeviceStats> devEnd = disk.flatMap(DeviceStats::sample);
            progress.done();

            for (Worker w : workers) {
                if (w.error != null) {
                    throw new BenchException("engine " + engine.name() + ": " + w.error);
                }
            }
            DirectionStats read = new DirectionStats();
            DirectionStats write = new DirectionStats();
            long usr = 0;
            long sys = 0;
            long ctx = 0;
            long minf = 0;
            long majf = 0;
            long syncs = 0;
            for (Worker w : workers) {
                read.add(w.read);
                write.add(w.write);
                syncs += w.syncs;
                if (w.usage != null) {
                    usr += w.usage.userNs();
                    sys += w.usage.systemNs();
                    ctx += w.usage.contextSwitches();
                    minf += w.usage.minorFaults();
                    majf += w.usage.majorFaults();
                }
            }
            Optional<DeviceStats> device = devStart.isPresent() && devEnd.isPresent()
                    ? Optional.of(devEnd.get().minus(devStart.get())) : Optional.empty();
            String engineNotice = EngineHooks.notices(engine);
            String allNotices = notice == null ? engineNotice
                    : engineNotice == null ? notice : notice + "; " + engineNotice;
            return new JobResult(engine.name(), job, read, write, windowEnd - windowStart, usr, sys,
                    process.userNs(), process.systemNs(), ctx, minf, majf, syscalls, syncs, device, allNotices,
                    !engine.worksOnCallerThreads());
        } finally {
            for (BufferPool p : pools) {
                p.close();
            }
        }
    }

    private static void waitUntil(long deadlineNs, Worker.RunClock clock) {
        long wait;
        while (!clock.stop && (wait = deadlineNs - System.nanoTime()) > 0) {
            try {
                Thread.sleep(Math.min(wait / 1_000_000 + 1, 100));
            } catch (InterruptedException e) {
                clock.stop = true;
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void fillRandom(MemorySegment region, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i + 8 <= region.byteSize(); i += 8) {
            region.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
    }
}
