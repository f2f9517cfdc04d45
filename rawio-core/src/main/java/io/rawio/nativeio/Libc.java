package io.rawio.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The C library calls rawio makes, as FFM downcalls with errno captured
 * ({@link Linker.Option#captureCallState}).
 *
 * <p>Every method here is a thin, allocation-free wrapper that returns the call's result when it
 * succeeded and {@code -errno} when it failed, the convention of the kernel and of io_uring CQEs,
 * so hot paths branch on a sign instead of catching exceptions. The throwing, user-facing forms
 * live in {@link NativeFile}, {@link Mman} and friends.
 *
 * <p>errno is captured into a per-thread segment that is read right after the call on the same
 * thread, so concurrent callers never see each other's errno.
 */
public final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    /** mmap's error return, {@code (void *) -1}. */
    public static final long MAP_FAILED = -1L;
    /** {@code AT_FDCWD} from include/uapi/linux/fcntl.h. */
    public static final int AT_FDCWD = -100;

    private static final MethodHandle OPEN = errnoCall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle OPENAT = errnoCall("openat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(3));
    private static final MethodHandle CLOSE = errnoCall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle PREAD = errnoCall("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = errnoCall("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle READ = errnoCall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = errnoCall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle READV = errnoCall("readv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle WRITEV = errnoCall("writev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle PREADV = errnoCall("preadv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle PWRITEV = errnoCall("pwritev",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle PREADV2 = errnoCall("preadv2",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle PWRITEV2 = errnoCall("pwritev2",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FSYNC = errnoCall("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FDATASYNC = errnoCall("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SYNC_FILE_RANGE = errnoCall("sync_file_range",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FALLOCATE = errnoCall("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FTRUNCATE = errnoCall("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    // posix_fadvise returns the error number instead of setting errno (man 2 posix_fadvise).
    private static final MethodHandle POSIX_FADVISE = plainCall("posix_fadvise",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MMAP = errnoCall("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = errnoCall("munmap",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MADVISE = errnoCall("madvise",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MINCORE = errnoCall("mincore",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS));
    private static final MethodHandle MSYNC = errnoCall("msync",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle STATX = errnoCall("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle IOCTL = errnoCall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FCNTL = errnoCall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SENDFILE = errnoCall("sendfile",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle SPLICE = errnoCall("splice",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle COPY_FILE_RANGE = errnoCall("copy_file_range",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FLOCK = errnoCall("flock", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle PIPE2 = errnoCall("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETRUSAGE = errnoCall("getrusage",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle UNAME = errnoCall("uname", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle STRERROR = plainCall("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle POSIX_MEMALIGN = plainCall("posix_memalign",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = plainCall("free", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle GETPID = plainCall("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETTID = plainCall("gettid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SYSCALL6 = errnoCall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    private Libc() {
    }

    /** A downcall whose C function sets errno on failure. */
    public static MethodHandle errnoCall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE_ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(symbol(name), descriptor, all);
    }

    /** A downcall that does not report through errno. */
    public static MethodHandle plainCall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(symbol(name), descriptor, options);
    }

    private static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    /** This thread's errno capture segment, for handles made by {@link #errnoCall}. */
    public static MemorySegment captureState() {
        return CAPTURE.get();
    }

    /** The errno captured in a capture segment. */
    public static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static long negErrno(MemorySegment capture) {
        return -errno(capture);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    public static int open(MemorySegment path, int flags, int mode) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) OPEN.invokeExact(c, path, flags, mode);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** openat(2): {@code path} relative to the directory {@code dirfd} (or {@link #AT_FDCWD}). */
    public static int openat(int dirfd, MemorySegment path, int flags, int mode) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) OPENAT.invokeExact(c, dirfd, path, flags, mode);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(int fd) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) CLOSE.invokeExact(c, fd);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pread(2) into native memory: bytes read (0 at end of file) or -errno. */
    public static long pread(int fd, MemorySegment buf, long count, long offset) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) PREAD.invokeExact(c, fd, buf, count, offset);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pwrite(2) from native memory: bytes written or -errno. */
    public static long pwrite(int fd, MemorySegment buf, long count, long offset) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) PWRITE.invokeExact(c, fd, buf, count, offset);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2) at the file offset, which it advances: bytes read (0 at end of file) or -errno. */
    public static long read(int fd, MemorySegment buf, long count) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) READ.invokeExact(c, fd, buf, count);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** write(2) at the file offset, which it advances: bytes written or -errno. */
    public static long write(int fd, MemorySegment buf, long count) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) WRITE.invokeExact(c, fd, buf, count);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** readv(2) at the file offset, which it advances; {@code iov} is an array of {@link Iovec} entries. */
    public static long readv(int fd, MemorySegment iov, int iovcnt) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) READV.invokeExact(c, fd, iov, iovcnt);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** writev(2) at the file offset, which it advances: the pieces land in order as one contiguous range. */
    public static long writev(int fd, MemorySegment iov, int iovcnt) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) WRITEV.invokeExact(c, fd, iov, iovcnt);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** preadv(2); {@code iov} is an array of {@link Iovec} entries. */
    public static long preadv(int fd, MemorySegment iov, int iovcnt, long offset) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) PREADV.invokeExact(c, fd, iov, iovcnt, offset);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long pwritev(int fd, MemorySegment iov, int iovcnt, long offset) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) PWRITEV.invokeExact(c, fd, iov, iovcnt, offset);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** preadv2(2) with RWF_* flags ({@link LinuxConstants#RWF_HIPRI}, {@link LinuxConstants#RWF_NOWAIT}). */
    public static long preadv2(int fd, MemorySegment iov, int iovcnt, long offset, int rwFlags) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) PREADV2.invokeExact(c, fd, iov, iovcnt, offset, rwFlags);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pwritev2(2) with RWF_* flags ({@link LinuxConstants#RWF_DSYNC} for a durable write). */
    public static long pwritev2(int fd, MemorySegment iov, int iovcnt, long offset, int rwFlags) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) PWRITEV2.invokeExact(c, fd, iov, iovcnt, offset, rwFlags);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int fsync(int fd) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) FSYNC.invokeExact(c, fd);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int fdatasync(int fd) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) FDATASYNC.invokeExact(c, fd);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int syncFileRange(int fd, long offset, long nbytes, int flags) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) SYNC_FILE_RANGE.invokeExact(c, fd, offset, nbytes, flags);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int fallocate(int fd, int mode, long offset, long len) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) FALLOCATE.invokeExact(c, fd, mode, offset, len);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int ftruncate(int fd, long length) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) FTRUNCATE.invokeExact(c, fd, length);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int posixFadvise(int fd, long offset, long len, int advice) {
        try {
            int r = (int) POSIX_FADVISE.invokeExact(fd, offset, len, advice);
            return -r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** mmap(2): the mapping's address, or -errno (never MAP_FAILED). */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) MMAP.invokeExact(c, addr, length, prot, flags, fd, offset);
            return r == MAP_FAILED ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int munmap(long addr, long length) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) MUNMAP.invokeExact(c, addr, length);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int madvise(long addr, long length, int advice) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) MADVISE.invokeExact(c, addr, length, advice);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int mincore(long addr, long length, MemorySegment vec) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) MINCORE.invokeExact(c, addr, length, vec);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int msync(long addr, long length, int flags) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) MSYNC.invokeExact(c, addr, length, flags);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int statx(int dirfd, MemorySegment path, int flags, int mask, MemorySegment statxBuf) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) STATX.invokeExact(c, dirfd, path, flags, mask, statxBuf);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(2) with a pointer argument. */
    public static int ioctl(int fd, long request, MemorySegment arg) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) IOCTL.invokeExact(c, fd, request, arg);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** fcntl(2) with a pointer argument (struct flock for the lock commands). */
    public static int fcntl(int fd, int cmd, MemorySegment arg) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) FCNTL.invokeExact(c, fd, cmd, arg);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendfile(2); {@code offset} points to an off_t, or is NULL to use in_fd's file offset. */
    public static long sendfile(int outFd, int inFd, MemorySegment offset, long count) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) SENDFILE.invokeExact(c, outFd, inFd, offset, count);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long splice(int fdIn, MemorySegment offIn, int fdOut, MemorySegment offOut, long len, int flags) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) SPLICE.invokeExact(c, fdIn, offIn, fdOut, offOut, len, flags);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long copyFileRange(int fdIn, MemorySegment offIn, int fdOut, MemorySegment offOut, long len, int flags) {
        MemorySegment c = CAPTURE.get();
        try {
            long r = (long) COPY_FILE_RANGE.invokeExact(c, fdIn, offIn, fdOut, offOut, len, flags);
            return r < 0 ? negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int flock(int fd, int operation) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) FLOCK.invokeExact(c, fd, operation);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pipe2(2) into an int[2] segment. */
    public static int pipe2(MemorySegment fds, int flags) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) PIPE2.invokeExact(c, fds, flags);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getrusage(int who, MemorySegment rusage) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) GETRUSAGE.invokeExact(c, who, rusage);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int uname(MemorySegment utsname) {
        MemorySegment c = CAPTURE.get();
        try {
            int r = (int) UNAME.invokeExact(c, utsname);
            return r < 0 ? (int) negErrno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** strerror(3): the C library's text for an errno value. */
    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** posix_memalign(3): stores the address into {@code memptr}; returns 0 or -errno. */
    public static int posixMemalign(MemorySegment memptr, long alignment, long size) {
        try {
            return -(int) POSIX_MEMALIGN.invokeExact(memptr, alignment, size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void free(long address) {
        try {
            FREE.invokeExact(address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * syscall(2) with six arguments (unused ones passed as 0): the result or -errno. Used for the
     * calls glibc has no wrapper for, such as io_uring_setup/enter/register.
     */
    public static long syscall(long number, long a, long b, long c, long d, long e, long f) {
        MemorySegment cap = CAPTURE.get();
        try {
            long r = (long) SYSCALL6.invokeExact(cap, number, a, b, c, d, e, f);
            return r < 0 ? negErrno(cap) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
