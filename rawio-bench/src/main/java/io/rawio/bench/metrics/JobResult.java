package io.rawio.bench.metrics;

import io.rawio.bench.job.JobSpec;
import java.util.Optional;

/**
 * What one engine did on one job, over the measured window (after ramp time).
 *
 * @param engine        the engine's name
 * @param spec          the job
 * @param read          the read side
 * @param write         the write side
 * @param elapsedNs     the measured window
 * @param workerUsrNs   user CPU of the worker threads (getrusage RUSAGE_THREAD, summed)
 * @param workerSysNs   system CPU of the worker threads
 * @param processUsrNs  user CPU of the whole process over the window (JIT and GC included)
 * @param processSysNs  system CPU of the whole process over the window
 * @param contextSwitches voluntary + involuntary context switches of the worker threads
 * @param minorFaults   minor page faults of the worker threads
 * @param majorFaults   major page faults of the worker threads
 * @param syscalls      system calls the engine made in the window
 * @param syncs         fsync/fdatasync operations completed
 * @param device        the /sys/block counters' delta over the window, when the device is known
 * @param notice        what the runner changed and why (an engine fallback), or null
 * @param cpuFromProcess the engine works on threads of its own (asyncchannel): CPU per I/O is the process's
 */
public record JobResult(
        String engine,
        JobSpec spec,
        DirectionStats read,
        DirectionStats write,
        long elapsedNs,
        long workerUsrNs,
        long workerSysNs,
        long processUsrNs,
        long processSysNs,
        long contextSwitches,
        long minorFaults,
        long majorFaults,
        long syscalls,
        long syncs,
        Optional<DeviceStats> device,
        String notice,
        boolean cpuFromProcess) {

    public long totalIos() {
        return read.totalIos + write.totalIos;
    }

    public long totalBytes() {
        return read.ioBytes + write.ioBytes;
    }

    public double iops() {
        return elapsedNs == 0 ? 0 : totalIos() * 1e9 / elapsedNs;
    }

    public double iops(DirectionStats d) {
        return elapsedNs == 0 ? 0 : d.totalIos * 1e9 / elapsedNs;
    }

    /** Bytes per second. */
    public double bandwidth() {
        return elapsedNs == 0 ? 0 : totalBytes() * 1e9 / elapsedNs;
    }

    public double bandwidth(DirectionStats d) {
        return elapsedNs == 0 ? 0 : d.ioBytes * 1e9 / elapsedNs;
    }

    /**
     * CPU microseconds per I/O: of the job's worker threads, or of the whole process for an engine
     * that works on threads of its own.
     */
    public double cpuUsPerIo() {
        long ns = cpuFromProcess ? processUsrNs + processSysNs : workerUsrNs + workerSysNs;
        return totalIos() == 0 ? 0 : ns / 1e3 / totalIos();
    }

    public double syscallsPerIo() {
        return totalIos() == 0 ? 0 : (double) syscalls / totalIos();
    }

    /** usr CPU as a percentage of the window, fio's usr_cpu (per worker thread sum). */
    public double usrCpuPercent() {
        return elapsedNs == 0 ? 0 : 100.0 * workerUsrNs / elapsedNs;
    }

    public double sysCpuPercent() {
        return elapsedNs == 0 ? 0 : 100.0 * workerSysNs / elapsedNs;
    }

    /** Completion latency of all operations, reads and writes together. */
    public LatencyStats clatAll() {
        LatencyStats all = new LatencyStats();
        all.add(read.clat);
        all.add(write.clat);
        return all;
    }
}
