package io.rawio.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * A file descriptor opened with open(2), and the calls rawio makes on it, each failure reported as a
 * {@link NativeIoException} that names the path, fd, offset and length.
 *
 * <p>{@link #close()} is idempotent; any call after it throws {@link IllegalStateException}, so a
 * closed descriptor number that the kernel has since reused is never touched. Closing while another
 * thread is still doing I/O on the file is the caller's error.
 */
public final class NativeFile implements AutoCloseable {
    /** Default mode of created files: rw-r--r--. */
    public static final int DEFAULT_MODE = 0644;

    private final Path path;
    private final Set<OpenFlag> flags;
    private final int fd;
    private volatile boolean closed;
    private volatile Alignment alignment;

    private NativeFile(Path path, Set<OpenFlag> flags, int fd) {
        this.path = path;
        this.flags = Collections.unmodifiableSet(flags);
        this.fd = fd;
    }

    /** Opens {@code path} with the given flags; files are created with mode 0644. */
    public static NativeFile open(Path path, OpenFlag... flags) throws NativeIoException {
        EnumSet<OpenFlag> set = EnumSet.noneOf(OpenFlag.class);
        Collections.addAll(set, flags);
        return open(path, set, DEFAULT_MODE);
    }

    public static NativeFile open(Path path, Set<OpenFlag> flags, int mode) throws NativeIoException {
        EnumSet<OpenFlag> set = flags.isEmpty() ? EnumSet.noneOf(OpenFlag.class) : EnumSet.copyOf(flags);
        set.add(OpenFlag.CLOEXEC);
        try (Arena arena = Arena.ofConfined()) {
            int r = Libc.open(arena.allocateFrom(path.toString()), OpenFlag.bits(set), mode);
            if (r < 0) {
                throw new NativeIoException("open", -r, path.toString(), -1, NativeIoException.UNKNOWN,
                        NativeIoException.UNKNOWN, openHint(-r, set));
            }
            return new NativeFile(path, set, r);
        }
    }

    private static String openHint(int errno, Set<OpenFlag> flags) {
        if (errno == Errno.EINVAL && flags.contains(OpenFlag.DIRECT)) {
            return "this filesystem does not support O_DIRECT (tmpfs and some overlay filesystems do not)";
        }
        if (errno == Errno.EEXIST && flags.contains(OpenFlag.EXCL)) {
            return "the file exists and O_EXCL was given";
        }
        if (errno == Errno.EBUSY && flags.contains(OpenFlag.EXCL)) {
            return "the block device is mounted or opened exclusively by another process";
        }
        if (errno == Errno.EACCES || errno == Errno.EPERM) {
            return "check the file's permissions";
        }
        return null;
    }

    /** The descriptor. */
    public int fd() {
        if (closed) {
            throw new IllegalStateException("file is closed: path=" + path);
        }
        return fd;
    }

    public Path path() {
        return path;
    }

    public Set<OpenFlag> flags() {
        return flags;
    }

    public boolean isDirect() {
        return flags.contains(OpenFlag.DIRECT);
    }

    public boolean isClosed() {
        return closed;
    }

    public Statx statx() throws NativeIoException {
        return Statx.of(fd(), path.toString());
    }

    /** The file's size, or for a block device its capacity (BLKGETSIZE64). */
    public long size() throws NativeIoException {
        Statx st = statx();
        return st.isBlockDevice() ? BlockDevices.sizeBytes(this) : st.size();
    }

    /**
     * The alignment this file needs for direct I/O: from statx DIOALIGN where the kernel reports it,
     * else the logical block size of a block device, else {@link LinuxConstants#DEFAULT_ALIGNMENT}.
     */
    public Alignment alignment() throws NativeIoException {
        Alignment a = alignment;
        if (a == null) {
            a = Alignment.of(this);
            alignment = a;
        }
        return a;
    }

    private NativeIoException failure(String op, long r, long offset, long length) {
        return new NativeIoException(op, (int) -r, path.toString(), fd, offset, length, null);
    }

    /** Reads until {@code buf} is full or end of file; returns the bytes read. */
    public long readFully(MemorySegment buf, long offset) throws NativeIoException {
        long r = transferFully(false, fd(), buf, offset, null);
        if (r < 0) {
            throw failure("pread", r, offset, buf.byteSize());
        }
        return r;
    }

    /** Writes all of {@code buf} at {@code offset}. */
    public void writeFully(MemorySegment buf, long offset) throws NativeIoException {
        long r = transferFully(true, fd(), buf, offset, null);
        if (r < 0) {
            throw failure("pwrite", r, offset, buf.byteSize());
        }
    }

    /**
     * pread until {@code buf} is full or end of file, or pwrite until all of it is written, retrying
     * EINTR: the bytes transferred, or -errno (-EIO for a write that makes no progress). Counts its
     * calls in {@code syscalls} when that is not null.
     */
    public static long transferFully(boolean write, int fd, MemorySegment buf, long offset, LongAdder syscalls) {
        long size = buf.byteSize();
        long done = 0;
        while (done < size) {
            MemorySegment rest = done == 0 ? buf : buf.asSlice(done);
            long r = write ? Libc.pwrite(fd, rest, size - done, offset + done)
                    : Libc.pread(fd, rest, size - done, offset + done);
            if (syscalls != null) {
                syscalls.increment();
            }
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r < 0) {
                return r;
            }
            if (r == 0) {
                if (write) {
                    return -Errno.EIO;
                }
                break;
            }
            done += r;
        }
        return done;
    }

    public void fsync() throws NativeIoException {
        int r = Libc.fsync(fd());
        if (r < 0) {
            throw failure("fsync", r, NativeIoException.UNKNOWN, NativeIoException.UNKNOWN);
        }
    }

    public void fdatasync() throws NativeIoException {
        int r = Libc.fdatasync(fd());
        if (r < 0) {
            throw failure("fdatasync", r, NativeIoException.UNKNOWN, NativeIoException.UNKNOWN);
        }
    }

    /** sync_file_range(2) with {@code SYNC_FILE_RANGE_*} flags. */
    public void syncFileRange(long offset, long length, int flags) throws NativeIoException {
        int r = Libc.syncFileRange(fd(), offset, length, flags);
        if (r < 0) {
            throw failure("sync_file_range", r, offset, length);
        }
    }

    /** fallocate(2) with mode 0: allocates blocks and extends the file. */
    public void allocate(long offset, long length) throws NativeIoException {
        fallocate(0, offset, length);
    }

    /** Deallocates a range, keeping the file size (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE). */
    public void punchHole(long offset, long length) throws NativeIoException {
        fallocate(LinuxConstants.FALLOC_FL_PUNCH_HOLE | LinuxConstants.FALLOC_FL_KEEP_SIZE, offset, length);
    }

    public void fallocate(int mode, long offset, long length) throws NativeIoException {
        int r = Libc.fallocate(fd(), mode, offset, length);
        if (r < 0) {
            String hint = -r == Errno.EOPNOTSUPP ? "this filesystem does not support this fallocate mode" : null;
            throw new NativeIoException("fallocate", -r, path.toString(), fd, offset, length, hint);
        }
    }

    public void truncate(long length) throws NativeIoException {
        int r = Libc.ftruncate(fd(), length);
        if (r < 0) {
            throw failure("ftruncate", r, NativeIoException.UNKNOWN, length);
        }
    }

    /** posix_fadvise(2) with a {@code POSIX_FADV_*} advice; length 0 means to the end of the file. */
    public void fadvise(long offset, long length, int advice) throws NativeIoException {
        int r = Libc.posixFadvise(fd(), offset, length, advice);
        if (r < 0) {
            throw failure("posix_fadvise", r, offset, length);
        }
    }

    /**
     * flock(2): {@code LOCK_SH} or {@code LOCK_EX}, with {@code LOCK_NB} to not wait. Returns false
     * when LOCK_NB was given and another holder has the lock.
     */
    public boolean flock(int operation) throws NativeIoException {
        int r;
        do {
            r = Libc.flock(fd(), operation);
        } while (r == -Errno.EINTR);
        if (r == -Errno.EAGAIN && (operation & LinuxConstants.LOCK_NB) != 0) {
            return false;
        }
        if (r < 0) {
            throw failure("flock", r, NativeIoException.UNKNOWN, NativeIoException.UNKNOWN);
        }
        return true;
    }

    /** Closes the descriptor; later calls do nothing. */
    @Override
    public void close() throws NativeIoException {
        if (closed) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // close(2): the descriptor is released even when close reports an error; never retry.
        int r = Libc.close(fd);
        if (r < 0 && r != -Errno.EINTR) {
            throw failure("close", r, NativeIoException.UNKNOWN, NativeIoException.UNKNOWN);
        }
    }

    @Override
    public String toString() {
        return "NativeFile[path=" + path + ", fd=" + fd + (closed ? ", closed" : "") + "]";
    }

    /** An int[2] pipe: {@code [readFd, writeFd]}. */
    public static int[] pipe() throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r = Libc.pipe2(fds, LinuxConstants.O_CLOEXEC);
            if (r < 0) {
                throw new NativeIoException("pipe2", -r, null);
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /** Reads a long from a one-long segment; used by the copy calls below. */
    private static long off(MemorySegment s) {
        return s.get(JAVA_LONG, 0);
    }

    /** copy_file_range(2) from this file to {@code out}; returns bytes copied (0 at end of file). */
    public long copyFileRange(long inOffset, NativeFile out, long outOffset, long length) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment offIn = arena.allocateFrom(JAVA_LONG, inOffset);
            MemorySegment offOut = arena.allocateFrom(JAVA_LONG, outOffset);
            long r = Libc.copyFileRange(fd(), offIn, out.fd(), offOut, length, 0);
            if (r < 0) {
                throw failure("copy_file_range", r, off(offIn), length);
            }
            return r;
        }
    }

    /** sendfile(2) from this file at {@code offset} to a descriptor (a socket or, since 2.6.33, a file). */
    public long sendfile(int outFd, long offset, long count) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment off = arena.allocateFrom(JAVA_LONG, offset);
            long r = Libc.sendfile(outFd, fd(), off, count);
            if (r < 0) {
                throw failure("sendfile", r, offset, count);
            }
            return r;
        }
    }
}
