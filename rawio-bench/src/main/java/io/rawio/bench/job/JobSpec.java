package io.rawio.bench.job;

import io.rawio.engine.SyncMode;
import java.nio.file.Path;
import java.util.List;

/**
 * One bench job, with fio's option names. Built by the CLI, checked by {@link JobValidator}, run by
 * {@link io.rawio.bench.run.JobRunner}.
 *
 * @param filename       the file or block device; {@link #DEFAULT_FILE} in the working directory when null
 * @param sizeBytes      the region of the file the job touches
 * @param rw             the access pattern
 * @param rwmixread      percentage of reads in mixed modes
 * @param bs             block size in bytes
 * @param iodepth        operations in flight per job (one batch)
 * @param numjobs        threads, each with its own batch
 * @param engines        engines to run in turn on the same job
 * @param direct         O_DIRECT
 * @param sync           O_SYNC / O_DSYNC on open
 * @param fsyncEvery     fsync after this many writes (0: never)
 * @param fdatasyncEvery fdatasync after this many writes (0: never)
 * @param runtimeNs      how long to run; 0 for until sizeBytes is done
 * @param rampNs         run this long before measuring
 * @param timeBased      keep going over the region until the runtime is up
 * @param rateIops       per-job target IOPS (open loop), 0 for as fast as possible
 * @param keep           keep the scratch file afterwards
 * @param allowDeviceWrite allow a write job on a block device
 * @param iodepthBatchSubmit operations per submission call for asynchronous engines (fio's
 *                       iodepth_batch_submit, default 1); 0 submits a whole batch at once
 */
public record JobSpec(
        Path filename,
        long sizeBytes,
        RwMode rw,
        int rwmixread,
        int bs,
        int iodepth,
        int numjobs,
        List<String> engines,
        boolean direct,
        SyncMode sync,
        int fsyncEvery,
        int fdatasyncEvery,
        long runtimeNs,
        long rampNs,
        boolean timeBased,
        long rateIops,
        boolean keep,
        boolean allowDeviceWrite,
        int iodepthBatchSubmit) {

    public static final String DEFAULT_FILE = "rawio-bench.dat";

    /** The default job: 4 KiB random reads, O_DIRECT, QD32, 10 s per engine, on a 1 GiB scratch file. */
    public static JobSpec defaults() {
        return new JobSpec(null, 1L << 30, RwMode.RANDREAD, 50, 4096, 32, 1,
                List.of("psync", "filechannel", "uring", "uring-fixed"), true, SyncMode.NONE, 0, 0,
                10_000_000_000L, 0, true, 0, false, false, 1);
    }

    public boolean usesScratchFile() {
        return filename == null;
    }

    public Path path() {
        return filename == null ? Path.of(DEFAULT_FILE) : filename;
    }

    /** The same job at another queue depth, thread count and engine list. */
    public JobSpec withDepth(int iodepth, int numjobs, List<String> engines) {
        return new JobSpec(filename, sizeBytes, rw, rwmixread, bs, iodepth, numjobs, engines, direct, sync, fsyncEvery,
                fdatasyncEvery, runtimeNs, rampNs, timeBased, rateIops, keep, allowDeviceWrite, iodepthBatchSubmit);
    }

    /** The same job with O_DIRECT on or off. */
    public JobSpec withDirect(boolean on) {
        return new JobSpec(filename, sizeBytes, rw, rwmixread, bs, iodepth, numjobs, engines, on, sync, fsyncEvery,
                fdatasyncEvery, runtimeNs, rampNs, timeBased, rateIops, keep, allowDeviceWrite, iodepthBatchSubmit);
    }

    /** A one-line description, fio style: "randread bs=4k iodepth=32 numjobs=1 direct=1 size=1g". */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(rw.fioName());
        if (rw.mixed()) {
            sb.append(" rwmixread=").append(rwmixread);
        }
        sb.append(" bs=").append(Units.formatSize(bs)).append(" iodepth=").append(iodepth)
                .append(" numjobs=").append(numjobs).append(" direct=").append(direct ? 1 : 0)
                .append(" size=").append(Units.formatSize(sizeBytes));
        if (sync != SyncMode.NONE) {
            sb.append(" sync=").append(sync.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (fsyncEvery > 0) {
            sb.append(" fsync=").append(fsyncEvery);
        }
        if (fdatasyncEvery > 0) {
            sb.append(" fdatasync=").append(fdatasyncEvery);
        }
        if (runtimeNs > 0) {
            sb.append(" runtime=").append(Units.formatDuration(runtimeNs));
        }
        if (rateIops > 0) {
            sb.append(" rate_iops=").append(rateIops);
        }
        if (iodepthBatchSubmit != 1) {
            sb.append(" iodepth_batch_submit=").append(iodepthBatchSubmit);
        }
        return sb.toString();
    }
}
