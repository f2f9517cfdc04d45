package io.rawio.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * getrlimit(2) and setrlimit(2): a resource's soft limit (what the kernel enforces) and hard limit
 * (the most an unprivileged process may raise its soft limit to; raising the hard limit needs
 * CAP_SYS_RESOURCE, and for RLIMIT_NOFILE it cannot pass fs.nr_open). struct rlimit is two unsigned
 * longs, rlim_cur then rlim_max; RLIM_INFINITY is all ones.
 *
 * @param soft rlim_cur
 * @param hard rlim_max
 */
public record ResourceLimit(long soft, long hard) {
    private static final MethodHandle GETRLIMIT = Libc.errnoCall("getrlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SETRLIMIT = Libc.errnoCall("setrlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final long RLIMIT_SIZE = 16;
    /** The kernel's ceiling for RLIMIT_NOFILE when /proc/sys/fs/nr_open cannot be read (its default). */
    static final long NR_OPEN_DEFAULT = 1 << 20;

    /**
     * What {@link #raiseOpenFiles()} did.
     *
     * @param before the limit it found
     * @param after  the limit now
     * @param nrOpen fs.nr_open, the most the hard limit can be
     * @param note   why the hard limit stayed where it was, or null
     */
    public record Raised(ResourceLimit before, ResourceLimit after, long nrOpen, String note) {
        /** One line: before -> after, and why not further. */
        public String describe() {
            String s = "RLIMIT_NOFILE soft " + before.soft() + ", hard " + before.hard() + " -> soft " + after.soft()
                    + ", hard " + after.hard() + " (fs.nr_open " + nrOpen + ")";
            return note == null ? s : s + "; " + note;
        }
    }

    /** getrlimit(resource). */
    public static ResourceLimit get(int resource) throws NativeIoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(RLIMIT_SIZE, 8);
            MemorySegment c = Libc.captureState();
            int rc = (int) GETRLIMIT.invokeExact(c, resource, r);
            if (rc < 0) {
                throw new NativeIoException("getrlimit", Libc.errno(c), "resource " + resource);
            }
            return new ResourceLimit(r.get(JAVA_LONG, 0), r.get(JAVA_LONG, 8));
        } catch (NativeIoException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** setrlimit(resource, {soft, hard}): 0 or -errno (-EPERM: raising the hard limit without CAP_SYS_RESOURCE). */
    public static int set(int resource, long soft, long hard) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(RLIMIT_SIZE, 8);
            r.set(JAVA_LONG, 0, soft);
            r.set(JAVA_LONG, 8, hard);
            MemorySegment c = Libc.captureState();
            int rc = (int) SETRLIMIT.invokeExact(c, resource, r);
            return rc < 0 ? -Libc.errno(c) : 0;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** fs.nr_open: the most RLIMIT_NOFILE's hard limit can be. */
    public static long nrOpen() {
        try {
            return Long.parseLong(Procfs.read(Path.of("/proc/sys/fs/nr_open")));
        } catch (IOException | NumberFormatException e) {
            return NR_OPEN_DEFAULT;
        }
    }

    /**
     * Raises RLIMIT_NOFILE as far as this process is allowed: both limits to fs.nr_open where the hard
     * limit may be raised (CAP_SYS_RESOURCE, as root), else the soft limit to the hard one. Never lowers
     * either. Child processes started afterwards inherit the result.
     */
    public static Raised raiseOpenFiles() throws NativeIoException {
        ResourceLimit before = get(LinuxConstants.RLIMIT_NOFILE);
        long nrOpen = nrOpen();
        String note = null;
        if (Long.compareUnsigned(before.hard(), nrOpen) < 0) {
            int r = set(LinuxConstants.RLIMIT_NOFILE, nrOpen, nrOpen);
            if (r < 0) {
                note = "the hard limit stays (" + Errno.name(-r) + ": raising it needs CAP_SYS_RESOURCE, which this"
                        + " process does not have)";
            }
        }
        ResourceLimit now = get(LinuxConstants.RLIMIT_NOFILE);
        if (Long.compareUnsigned(now.soft(), now.hard()) < 0) {
            int r = set(LinuxConstants.RLIMIT_NOFILE, now.hard(), now.hard());
            if (r < 0) {
                throw new NativeIoException("setrlimit", -r, "RLIMIT_NOFILE soft " + now.soft() + " -> " + now.hard());
            }
            now = get(LinuxConstants.RLIMIT_NOFILE);
        }
        return new Raised(before, now, nrOpen, note);
    }
}
