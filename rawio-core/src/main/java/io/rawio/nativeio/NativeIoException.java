package io.rawio.nativeio;

import java.io.IOException;

/**
 * A failed system call: the operation, the errno (number and name), and whatever locates the
 * failure (path or fd, offset, length), plus an optional hint for the user.
 *
 * <p>The message is a single line of {@code name=value} pairs, for example:
 * {@code pread failed: EINVAL (Invalid argument) path=/data/f fd=7 offset=4097 length=4096
 * hint=O_DIRECT needs offset, length and buffer address aligned to 512 bytes}.
 */
public final class NativeIoException extends IOException {
    public static final long UNKNOWN = -1;

    private final String op;
    private final int errno;
    private final String path;
    private final int fd;
    private final long offset;
    private final long length;
    private final String hint;

    public NativeIoException(String op, int errno, String path, int fd, long offset, long length, String hint) {
        super(format(op, errno, path, fd, offset, length, hint));
        this.op = op;
        this.errno = Math.abs(errno);
        this.path = path;
        this.fd = fd;
        this.offset = offset;
        this.length = length;
        this.hint = hint;
    }

    public NativeIoException(String op, int errno, String path) {
        this(op, errno, path, -1, UNKNOWN, UNKNOWN, null);
    }

    private static String format(String op, int errno, String path, int fd, long offset, long length, String hint) {
        StringBuilder sb = new StringBuilder(128);
        int e = Math.abs(errno);
        sb.append(op).append(" failed: ").append(Errno.name(e));
        String description = Errno.describe(e);
        if (description != null && !description.isEmpty()) {
            sb.append(" (").append(description).append(')');
        }
        if (path != null) {
            sb.append(" path=").append(path);
        }
        if (fd >= 0) {
            sb.append(" fd=").append(fd);
        }
        if (offset != UNKNOWN) {
            sb.append(" offset=").append(offset);
        }
        if (length != UNKNOWN) {
            sb.append(" length=").append(length);
        }
        if (hint != null) {
            sb.append(" hint=").append(hint);
        }
        return sb.toString();
    }

    public String op() {
        return op;
    }

    /** The positive errno value. */
    public int errno() {
        return errno;
    }

    public String errnoName() {
        return Errno.name(errno);
    }

    /** The path, or null when the call was on an fd alone. */
    public String path() {
        return path;
    }

    /** The file descriptor, or -1. */
    public int fd() {
        return fd;
    }

    /** The file offset, or {@link #UNKNOWN}. */
    public long offset() {
        return offset;
    }

    /** The length in bytes, or {@link #UNKNOWN}. */
    public long length() {
        return length;
    }

    /** A hint for the user, or null. */
    public String hint() {
        return hint;
    }
}
