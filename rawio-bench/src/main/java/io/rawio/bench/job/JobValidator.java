package io.rawio.bench.job;

import io.rawio.engine.IoEngine;
import io.rawio.engine.IoEngines;
import io.rawio.engine.IoFile;
import io.rawio.engine.OpenOptions;
import io.rawio.nativeio.Alignment;
import io.rawio.nativeio.BlockDevices;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.Statx;
import io.rawio.nvme.NvmeDevices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a job before anything is created or written: every mistake is one line naming the value,
 * thrown as {@link BadJobException}.
 */
public final class JobValidator {
    private JobValidator() {
    }

    /** Thrown for a job that must not run; the message is one line for the user. */
    public static final class BadJobException extends IllegalArgumentException {
        public BadJobException(String message) {
            super(message);
        }
    }

    public static void validate(JobSpec job) {
        for (String e : job.engines()) {
            if (IoEngines.kind(e).isEmpty()) {
                throw new BadJobException(IoEngines.unknownEngineMessage(e));
            }
            if (job.direct() && !supportsDirect(e)) {
                throw new BadJobException("engine " + e + " cannot do O_DIRECT: run it with --direct=0");
            }
        }
        if (job.engines().isEmpty()) {
            throw new BadJobException("no engine given: --engine=psync,uring,...");
        }
        if (job.bs() <= 0) {
            throw new BadJobException("bs must be positive: bs=" + job.bs());
        }
        if (job.sizeBytes() <= 0) {
            throw new BadJobException("size must be positive: size=" + job.sizeBytes());
        }
        if (job.sizeBytes() < job.bs()) {
            throw new BadJobException("size is smaller than bs: size=" + Units.formatSize(job.sizeBytes())
                    + ", bs=" + Units.formatSize(job.bs()));
        }
        if (job.iodepth() < 1 || job.iodepth() > 65536) {
            throw new BadJobException("iodepth must be between 1 and 65536: iodepth=" + job.iodepth());
        }
        if (job.numjobs() < 1 || job.numjobs() > 1024) {
            throw new BadJobException("numjobs must be between 1 and 1024: numjobs=" + job.numjobs());
        }
        if (job.rwmixread() < 0 || job.rwmixread() > 100) {
            throw new BadJobException("rwmixread must be between 0 and 100: rwmixread=" + job.rwmixread());
        }
        if (job.runtimeNs() < 0 || job.rampNs() < 0) {
            throw new BadJobException("runtime and ramp_time must not be negative");
        }
        if (job.timeBased() && job.runtimeNs() == 0) {
            throw new BadJobException("time_based needs a runtime: --runtime=10s");
        }
        if (job.iodepthBatchSubmit() < 0 || job.iodepthBatchSubmit() > job.iodepth()) {
            throw new BadJobException("iodepth_batch_submit must be between 0 and iodepth: iodepth_batch_submit="
                    + job.iodepthBatchSubmit() + ", iodepth=" + job.iodepth());
        }
        if (job.rateIops() < 0) {
            throw new BadJobException("rate_iops must not be negative: rate_iops=" + job.rateIops());
        }
        if (job.fsyncEvery() < 0 || job.fdatasyncEvery() < 0) {
            throw new BadJobException("fsync and fdatasync must not be negative");
        }
        checkTarget(job);
    }

    private static boolean supportsDirect(String engine) {
        if (IoEngines.unavailableReason(engine).isPresent()) {
            return true; // the runner falls back and says so
        }
        try (io.rawio.engine.IoEngine probe = IoEngines.create(engine)) {
            return probe.supportsDirect();
        }
    }

    private static void checkTarget(JobSpec job) {
        Path path = job.path();
        boolean writes = job.rw().writes() || job.usesScratchFile() || !Files.exists(path);
        if (Files.isDirectory(path)) {
            throw new BadJobException("is a directory: " + path + " (give a file or a block device)");
        }
        Statx st = null;
        if (Files.exists(path)) {
            try {
                st = Statx.of(path);
            } catch (NativeIoException e) {
                throw new BadJobException(e.getMessage());
            }
        }
        boolean device = st != null && st.isDevice();
        if (device && job.rw().writes() && !job.allowDeviceWrite()) {
            throw new BadJobException("refusing to write to " + (st.isBlockDevice() ? "block" : "character")
                    + " device " + path
                    + ": it destroys the data on it; pass --allow-device-write to do it anyway");
        }
        if (st != null && !st.isRegularFile() && !device) {
            throw new BadJobException("not a regular file or device: " + path);
        }
        boolean generic = device && !st.isBlockDevice() && NvmeDevices.whyNotGeneric(path).isEmpty();
        checkEnginesFor(job, path, st, generic);
        if (st != null) {
            if (writes && !Files.isWritable(path)) {
                throw new BadJobException("not writable: " + path);
            }
            if (!Files.isReadable(path)) {
                throw new BadJobException("not readable: " + path);
            }
        } else {
            Path parent = path.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw new BadJobException("no such directory: " + parent);
            }
            if (!Files.isWritable(parent)) {
                throw new BadJobException("cannot create " + path + ": directory not writable: " + parent);
            }
        }
        if (generic) {
            checkNamespace(job, path);
            return;
        }
        if (device && st != null) {
            try (NativeFile f = NativeFile.open(path, OpenFlag.RDONLY)) {
                long cap = f.size();
                if (job.sizeBytes() > cap) {
                    throw new BadJobException("size is larger than the device: size=" + job.sizeBytes()
                            + ", device=" + cap);
                }
            } catch (NativeIoException e) {
                throw new BadJobException(e.getMessage());
            }
        }
        if (job.direct()) {
            Alignment a = alignmentOf(path, st != null);
            if (job.bs() % a.offset() != 0) {
                throw new BadJobException("bs=" + job.bs() + " is not a multiple of the direct-I/O alignment "
                        + a.offset() + " of " + path + " (from " + a.source() + "); use a multiple or --direct=0");
            }
        }
    }

    /**
     * An NVMe generic device ({@code /dev/ngXnY}) takes passthrough commands only, and the uring-cmd
     * engine takes nothing else: refuses any other pairing with what to run instead.
     */
    private static void checkEnginesFor(JobSpec job, Path path, Statx st, boolean generic) {
        for (String e : job.engines()) {
            if (generic && !e.equals("uring-cmd")) {
                String block = NvmeDevices.blockNameOf(path.getFileName().toString()).map(b -> "/dev/" + b)
                        .orElse("/dev/nvmeXnY");
                throw new BadJobException("engine " + e + " cannot do I/O on the NVMe generic device " + path
                        + ": only --engine=uring-cmd can (the other engines run on the namespace's block device "
                        + block + ")");
            }
            if (!generic && e.equals("uring-cmd")) {
                throw new BadJobException(st == null || job.usesScratchFile()
                        ? "engine uring-cmd needs --filename=/dev/ngXnY, an NVMe namespace's generic character device"
                        : "engine uring-cmd: " + NvmeDevices.whyNotGeneric(path).orElse(path
                                + " is not an NVMe generic character device (/dev/ngXnY)"));
            }
        }
    }

    /**
     * The size and block size of the namespace behind a generic device, from Identify Namespace (statx
     * gives a character device neither): opened read-only with the uring-cmd engine, as the job will.
     */
    private static void checkNamespace(JobSpec job, Path path) {
        IoEngines.unavailableReason("uring-cmd").ifPresent(why -> {
            throw new BadJobException("engine uring-cmd unavailable: " + why);
        });
        long cap;
        Alignment a;
        try (IoEngine e = IoEngines.create("uring-cmd"); IoFile f = e.open(path, OpenOptions.readOnly())) {
            cap = f.size();
            a = f.alignment();
        } catch (IOException | IllegalArgumentException e) {
            throw new BadJobException(e.getMessage());
        }
        if (job.sizeBytes() > cap) {
            throw new BadJobException("size is larger than the namespace: size=" + job.sizeBytes()
                    + ", namespace=" + cap + " (" + path + "; give --size=" + Units.formatSize(cap) + " or less)");
        }
        if (job.bs() % a.offset() != 0) {
            throw new BadJobException("bs=" + job.bs() + " is not a multiple of the block size " + a.offset()
                    + " of " + path + " (from " + a.source() + ")");
        }
    }

    /** The direct-I/O alignment of an existing file, or of the disk a new file would be created on. */
    static Alignment alignmentOf(Path path, boolean exists) {
        if (exists) {
            try (NativeFile f = NativeFile.open(path, OpenFlag.RDONLY)) {
                return f.alignment();
            } catch (NativeIoException e) {
                throw new BadJobException(e.getMessage());
            }
        }
        Path parent = path.toAbsolutePath().getParent();
        return BlockDevices.diskOf(parent).map(disk -> {
            try {
                int lbs = Integer.parseInt(Files.readString(
                        Path.of("/sys/block", disk, "queue", "logical_block_size")).trim());
                return new Alignment(lbs, lbs, "/sys/block/" + disk + "/queue/logical_block_size");
            } catch (IOException | RuntimeException e) {
                return Alignment.DEFAULT;
            }
        }).orElse(Alignment.DEFAULT);
    }
}
