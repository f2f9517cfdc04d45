package io.rawio.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * getrusage(2): CPU time, page faults, block I/O and context switches of this process or thread.
 *
 * <p>struct rusage (include/uapi/linux/resource.h), 64-bit: ru_utime at 0 and ru_stime at 16 (each a
 * struct timeval of two longs), then 14 longs: maxrss 32, ixrss 40, idrss 48, isrss 56, minflt 64,
 * majflt 72, nswap 80, inblock 88, oublock 96, msgsnd 104, msgrcv 112, nsignals 120, nvcsw 128,
 * nivcsw 136; 144 bytes.
 */
public record ResourceUsage(
        long userNs,
        long systemNs,
        long minorFaults,
        long majorFaults,
        long blockInputs,
        long blockOutputs,
        long voluntaryContextSwitches,
        long involuntaryContextSwitches) {

    static final long SIZE = 144;

    /** getrusage(RUSAGE_SELF). */
    public static ResourceUsage process() {
        return of(LinuxConstants.RUSAGE_SELF);
    }

    /** getrusage(RUSAGE_THREAD): the calling thread only. */
    public static ResourceUsage thread() {
        return of(LinuxConstants.RUSAGE_THREAD);
    }

    private static ResourceUsage of(int who) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(SIZE, 8);
            int r = Libc.getrusage(who, b);
            if (r < 0) {
                // getrusage only fails for a bad 'who' or a bad pointer; both are bugs here.
                throw new IllegalStateException("getrusage failed: " + Errno.name(-r));
            }
            return new ResourceUsage(
                    timeval(b, 0), timeval(b, 16),
                    b.get(JAVA_LONG, 64), b.get(JAVA_LONG, 72),
                    b.get(JAVA_LONG, 88), b.get(JAVA_LONG, 96),
                    b.get(JAVA_LONG, 128), b.get(JAVA_LONG, 136));
        }
    }

    private static long timeval(MemorySegment b, long offset) {
        return b.get(JAVA_LONG, offset) * 1_000_000_000L + b.get(JAVA_LONG, offset + 8) * 1_000L;
    }

    /** This usage minus an earlier one. */
    public ResourceUsage minus(ResourceUsage earlier) {
        return new ResourceUsage(
                userNs - earlier.userNs, systemNs - earlier.systemNs,
                minorFaults - earlier.minorFaults, majorFaults - earlier.majorFaults,
                blockInputs - earlier.blockInputs, blockOutputs - earlier.blockOutputs,
                voluntaryContextSwitches - earlier.voluntaryContextSwitches,
                involuntaryContextSwitches - earlier.involuntaryContextSwitches);
    }

    public long cpuNs() {
        return userNs + systemNs;
    }

    public long contextSwitches() {
        return voluntaryContextSwitches + involuntaryContextSwitches;
    }
}
