package io.rawio.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.rawio.nativeio.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * poll(2) over an array of struct pollfd ({@link PollfdDescriptor}) kept between waits: unlike select,
 * any descriptor number, and the kernel writes only revents, so the array is not rebuilt. Each wait still
 * costs time in the number of entries: the kernel polls every one, and the caller walks revents to find
 * the ready ones. Not thread-safe: one per loop thread.
 */
public final class Poll implements AutoCloseable {
    private static final MethodHandle POLL = Libc.errnoCall("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    private final Arena arena = Arena.ofShared();
    private final MemorySegment fds;
    private final int capacity;
    private int count;
    private boolean closed;

    /** Room for {@code capacity} descriptors. */
    public Poll(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        this.fds = arena.allocate((long) capacity * PollfdDescriptor.SIZE, 8);
    }

    /** poll(fds, nfds, timeoutMs) as the kernel takes it: entries with revents set, 0 on timeout, or -errno. */
    public static int poll(MemorySegment fds, long nfds, int timeoutMs) {
        MemorySegment c = Libc.captureState();
        try {
            int r = (int) POLL.invokeExact(c, fds, nfds, timeoutMs);
            return r < 0 ? -Libc.errno(c) : r;
        } catch (Throwable t) {
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }

    /** Watches {@code fd} for {@code events} (POLLIN, POLLOUT, ...); returns its entry's index. */
    public int add(int fd, short events) {
        if (count == capacity) {
            throw new IllegalStateException("poll set full: capacity=" + capacity);
        }
        PollfdDescriptor.set(fds, count, fd, events);
        return count++;
    }

    /** Forgets every descriptor. */
    public void clear() {
        count = 0;
    }

    /** Entries watched: poll's nfds. */
    public int count() {
        return count;
    }

    /**
     * Waits up to {@code timeoutMs} (-1: until one is ready, 0: not at all): how many entries have
     * revents set ({@link #revents} tells which), 0 on timeout, or -errno (-EINTR).
     */
    public int await(int timeoutMs) {
        return poll(fds, count, timeoutMs);
    }

    /** What the last wait found for entry {@code i}. */
    public short revents(int i) {
        return PollfdDescriptor.revents(fds, i);
    }

    public int fd(int i) {
        return PollfdDescriptor.fd(fds, i);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
