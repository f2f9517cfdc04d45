package io.rawio.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * fd_set, what select(2) reads and rewrites: FD_SETSIZE (1024) bits, one per descriptor number, in an
 * array of longs (glibc sys/select.h: __FD_ELT(d) = d / 64, __FD_MASK(d) = 1UL &lt;&lt; (d % 64); the
 * kernel's __kernel_fd_set in include/uapi/linux/posix_types.h is the same 128 bytes). Native byte order.
 *
 * <pre>
 *   0        8        16                                  120      128
 *   +--------+--------+----- ... ------------------------+--------+
 *   | fds    | fds    |                                  | fds    |
 *   | 0..63  | 64..127|                                  |960..1023
 *   +--------+--------+----- ... ------------------------+--------+
 * </pre>
 *
 * <p>A descriptor numbered FD_SETSIZE or more has no bit: glibc's FD_SET would write past the set
 * (with _FORTIFY_SOURCE it aborts the process instead), so {@link #set} refuses it with the reason.
 */
public final class FdSetDescriptor {
    private FdSetDescriptor() {
    }

    /** Descriptors an fd_set can name: 0 to FD_SETSIZE - 1. */
    public static final int FD_SETSIZE = 1024;
    /** Bytes of one fd_set. */
    public static final int SIZE = FD_SETSIZE / 8;
    private static final int NFDBITS = 64;

    /** Why select(2) cannot watch {@code fd}, or null when it can. */
    public static String refusal(int fd) {
        if (fd < 0) {
            return "fd=" + fd + ": not a descriptor";
        }
        if (fd >= FD_SETSIZE) {
            return "fd=" + fd + " >= FD_SETSIZE=" + FD_SETSIZE + ": an fd_set has one bit for each of descriptors 0.."
                    + (FD_SETSIZE - 1) + ", so select(2) cannot watch it (FD_SET would write past the set); "
                    + "poll(2) and epoll have no such limit";
        }
        return null;
    }

    /** FD_ZERO. */
    public static void zero(MemorySegment set) {
        set.asSlice(0, SIZE).fill((byte) 0);
    }

    /** FD_SET; refuses a descriptor the set has no bit for. */
    public static void set(MemorySegment set, int fd) {
        check(fd);
        long at = (long) (fd / NFDBITS) * 8;
        set.set(ValueLayout.JAVA_LONG, at, set.get(ValueLayout.JAVA_LONG, at) | 1L << (fd % NFDBITS));
    }

    /** FD_CLR. */
    public static void clear(MemorySegment set, int fd) {
        check(fd);
        long at = (long) (fd / NFDBITS) * 8;
        set.set(ValueLayout.JAVA_LONG, at, set.get(ValueLayout.JAVA_LONG, at) & ~(1L << (fd % NFDBITS)));
    }

    /** FD_ISSET (false for a descriptor the set has no bit for). */
    public static boolean isSet(MemorySegment set, int fd) {
        if (fd < 0 || fd >= FD_SETSIZE) {
            return false;
        }
        return (set.get(ValueLayout.JAVA_LONG, (long) (fd / NFDBITS) * 8) & 1L << (fd % NFDBITS)) != 0;
    }

    private static void check(int fd) {
        String why = refusal(fd);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
    }
}
