package io.rawio.nativeio;

/**
 * errno numbers and their names. x86-64 and aarch64 share include/uapi/asm-generic/errno-base.h and
 * errno.h, so one table serves both.
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int ESPIPE = 29;
    public static final int EROFS = 30;
    public static final int EPIPE = 32;
    public static final int EADDRINUSE = 98;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    /** No buffer space: a provided-buffer group ran out (io_uring), or the socket's own. */
    public static final int ENOBUFS = 105;
    public static final int ENOTCONN = 107;
    public static final int ENOSYS = 38;
    public static final int EOPNOTSUPP = 95;
    public static final int ETIME = 62;
    public static final int EOVERFLOW = 75;
    public static final int ETIMEDOUT = 110;
    public static final int ECANCELED = 125;
    public static final int EALREADY = 114;
    public static final int EINPROGRESS = 115;

    private static final String[] NAMES = new String[134];

    static {
        String[] table = {
            "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
            "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV",
            "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC",
            "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK",
            "ENOSYS", "ENOTEMPTY", "ELOOP"
        };
        for (int i = 0; i < table.length; i++) {
            NAMES[i + 1] = table[i];
        }
        NAMES[61] = "ENODATA";
        NAMES[62] = "ETIME";
        NAMES[75] = "EOVERFLOW";
        NAMES[77] = "EBADFD";
        NAMES[95] = "EOPNOTSUPP";
        NAMES[98] = "EADDRINUSE";
        NAMES[103] = "ECONNABORTED";
        NAMES[104] = "ECONNRESET";
        NAMES[105] = "ENOBUFS";
        NAMES[107] = "ENOTCONN";
        NAMES[110] = "ETIMEDOUT";
        NAMES[111] = "ECONNREFUSED";
        NAMES[114] = "EALREADY";
        NAMES[115] = "EINPROGRESS";
        NAMES[122] = "EDQUOT";
        NAMES[125] = "ECANCELED";
    }

    private Errno() {
    }

    /** The symbolic name of an errno value ({@code EINVAL}), or {@code errno=N} when unknown. */
    public static String name(int errno) {
        int e = Math.abs(errno);
        if (e < NAMES.length && NAMES[e] != null) {
            return NAMES[e];
        }
        return "errno=" + e;
    }

    /** The C library's description of an errno value ("Invalid argument"). */
    public static String describe(int errno) {
        return Libc.strerror(Math.abs(errno));
    }
}
