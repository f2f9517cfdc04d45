package io.rawio.posixaio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.rawio.nativeio.ArchConstants;
import io.rawio.nativeio.Libc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * glibc's POSIX AIO (aio(7)) through FFM: aio_read, aio_write, aio_fsync, aio_suspend, aio_error,
 * aio_return. Since glibc 2.34 they live in libc.so.6 (before, in librt).
 *
 * <p>glibc implements them in user space: a pool of helper threads runs pread/pwrite/fsync, and the
 * requests of one file descriptor run one after another (sysdeps/pthread/aio_misc.c), so on one file
 * this is queue depth 1 plus a thread hand-off, the limit fio's posixaio engine has too.
 *
 * <p>Each wrapper returns what the call returned, or -errno when it returned -1 (the submit calls and
 * aio_suspend); aio_error returns the request's error number (0, EINPROGRESS, or the failure) itself.
 */
public final class PosixAio {
    private static final Optional<String> UNAVAILABLE;
    private static final MethodHandle AIO_READ;
    private static final MethodHandle AIO_WRITE;
    private static final MethodHandle AIO_FSYNC;
    private static final MethodHandle AIO_SUSPEND;
    private static final MethodHandle AIO_ERROR;
    private static final MethodHandle AIO_RETURN;

    static {
        MethodHandle read = null;
        MethodHandle write = null;
        MethodHandle fsync = null;
        MethodHandle suspend = null;
        MethodHandle error = null;
        MethodHandle ret = null;
        Optional<String> why = Optional.empty();
        if (!ArchConstants.supported()) {
            why = Optional.of("unsupported architecture: " + System.getProperty("os.arch")
                    + " (struct aiocb's layout is known for x86-64 and aarch64)");
        } else {
            try {
                read = Libc.errnoCall("aio_read", FunctionDescriptor.of(JAVA_INT, ADDRESS));
                write = Libc.errnoCall("aio_write", FunctionDescriptor.of(JAVA_INT, ADDRESS));
                fsync = Libc.errnoCall("aio_fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
                suspend = Libc.errnoCall("aio_suspend", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
                error = Libc.plainCall("aio_error", FunctionDescriptor.of(JAVA_INT, ADDRESS));
                ret = Libc.plainCall("aio_return", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
                why = Optional.of("the C library has no POSIX AIO (" + e.getMessage()
                        + "): glibc before 2.34 keeps it in librt");
            }
        }
        UNAVAILABLE = why;
        AIO_READ = read;
        AIO_WRITE = write;
        AIO_FSYNC = fsync;
        AIO_SUSPEND = suspend;
        AIO_ERROR = error;
        AIO_RETURN = ret;
    }

    private PosixAio() {
    }

    /** Why POSIX AIO cannot be used here, or empty. */
    public static Optional<String> unavailableReason() {
        return UNAVAILABLE;
    }

    /** aio_read(3): 0 when queued, or -errno (EAGAIN: out of resources). */
    public static int read(MemorySegment aiocb) {
        MemorySegment cap = Libc.captureState();
        try {
            int r = (int) AIO_READ.invokeExact(cap, aiocb);
            return r < 0 ? -Libc.errno(cap) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** aio_write(3): 0 when queued, or -errno. */
    public static int write(MemorySegment aiocb) {
        MemorySegment cap = Libc.captureState();
        try {
            int r = (int) AIO_WRITE.invokeExact(cap, aiocb);
            return r < 0 ? -Libc.errno(cap) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** aio_fsync(3) with {@code op} O_SYNC or O_DSYNC: 0 when queued, or -errno. */
    public static int fsync(int op, MemorySegment aiocb) {
        MemorySegment cap = Libc.captureState();
        try {
            int r = (int) AIO_FSYNC.invokeExact(cap, op, aiocb);
            return r < 0 ? -Libc.errno(cap) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * aio_suspend(3) with no timeout: waits until one of the {@code nent} requests whose addresses are
     * in {@code list} (null entries are skipped) is done. 0, or -errno (EINTR).
     */
    public static int suspend(MemorySegment list, int nent) {
        MemorySegment cap = Libc.captureState();
        try {
            int r = (int) AIO_SUSPEND.invokeExact(cap, list, nent, MemorySegment.NULL);
            return r < 0 ? -Libc.errno(cap) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** aio_error(3): 0 when the request succeeded, EINPROGRESS while it runs, else its error number. */
    public static int error(MemorySegment aiocb) {
        try {
            return (int) AIO_ERROR.invokeExact(aiocb);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** aio_return(3): the request's result; once per finished request, after which the aiocb is free. */
    public static long result(MemorySegment aiocb) {
        try {
            return (long) AIO_RETURN.invokeExact(aiocb);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
