package io.rawio.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * struct pollfd (include/uapi/asm-generic/poll.h), 8 bytes, an array of which poll(2) reads and whose
 * revents it writes; the same on x86-64 and aarch64. A negative fd is skipped (its revents set to 0).
 *
 * <pre>
 *   0              4          6          8
 *   +--------------+----------+----------+
 *   | fd (s32)     | events   | revents  |
 *   +--------------+----------+----------+
 * </pre>
 */
public final class PollfdDescriptor {
    private PollfdDescriptor() {
    }

    public static final int SIZE = 8;
    public static final long FD_OFFSET = 0;
    public static final long EVENTS_OFFSET = 4;
    public static final long REVENTS_OFFSET = 6;

    /** Fills entry {@code i} of an array: watch {@code fd} for {@code events}, revents cleared. */
    public static void set(MemorySegment fds, int i, int fd, short events) {
        long at = (long) i * SIZE;
        fds.set(ValueLayout.JAVA_INT, at + FD_OFFSET, fd);
        fds.set(ValueLayout.JAVA_SHORT, at + EVENTS_OFFSET, events);
        fds.set(ValueLayout.JAVA_SHORT, at + REVENTS_OFFSET, (short) 0);
    }

    public static int fd(MemorySegment fds, int i) {
        return fds.get(ValueLayout.JAVA_INT, (long) i * SIZE + FD_OFFSET);
    }

    public static short events(MemorySegment fds, int i) {
        return fds.get(ValueLayout.JAVA_SHORT, (long) i * SIZE + EVENTS_OFFSET);
    }

    /** What poll(2) found for entry {@code i}: POLLIN, POLLERR, POLLHUP, POLLNVAL ... */
    public static short revents(MemorySegment fds, int i) {
        return fds.get(ValueLayout.JAVA_SHORT, (long) i * SIZE + REVENTS_OFFSET);
    }
}
