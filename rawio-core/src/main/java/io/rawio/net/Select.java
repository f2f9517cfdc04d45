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
 * select(2) for readability: the descriptors of interest in one fd_set, copied into a second that the
 * kernel rewrites to the ready ones on each wait (select changes the set it is given, so a loop hands it
 * a fresh copy every time). Each wait costs time in the number of descriptors up to the highest one:
 * the kernel walks the bits below {@code nfds}, and the caller walks them again to find the ready ones.
 * Descriptors numbered FD_SETSIZE (1024) or more are refused ({@link FdSetDescriptor#refusal}). Not
 * thread-safe: one per loop thread.
 */
public final class Select implements AutoCloseable {
    private static final MethodHandle SELECT = Libc.errnoCall("select",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    /** struct timeval: tv_sec long, tv_usec long. */
    private static final long TIMEVAL_SIZE = 16;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment interest;
    private final MemorySegment ready;
    private final MemorySegment timeout;
    private int highest = -1;
    private int watched;
    private boolean closed;

    public Select() {
        interest = arena.allocate(FdSetDescriptor.SIZE, 8);
        ready = arena.allocate(FdSetDescriptor.SIZE, 8);
        timeout = arena.allocate(TIMEVAL_SIZE, 8);
    }

    /**
     * select(nfds, readfds, writefds, exceptfds, timeout) as the kernel takes it: the number of ready
     * descriptors (the sets rewritten to them), 0 on timeout, or -errno. NULL for a set or a timeout
     * not given (no timeout: wait until one is ready).
     */
    public static int select(int nfds, MemorySegment readfds, MemorySegment writefds, MemorySegment exceptfds,
            MemorySegment timeval) {
        MemorySegment c = Libc.captureState();
        try {
            int r = (int) SELECT.invokeExact(c, nfds, readfds, writefds, exceptfds, timeval);
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

    /**
     * Watches {@code fd} for reading.
     *
     * @throws IllegalArgumentException for a descriptor numbered FD_SETSIZE or more, with the reason
     */
    public void add(int fd) {
        if (!FdSetDescriptor.isSet(interest, fd)) {
            FdSetDescriptor.set(interest, fd);
            watched++;
            highest = Math.max(highest, fd);
        }
    }

    public void remove(int fd) {
        if (FdSetDescriptor.isSet(interest, fd)) {
            FdSetDescriptor.clear(interest, fd);
            watched--;
            if (fd == highest) {
                highest = -1;
                for (int d = fd - 1; d >= 0; d--) {
                    if (FdSetDescriptor.isSet(interest, d)) {
                        highest = d;
                        break;
                    }
                }
            }
        }
    }

    /**
     * Waits up to {@code timeoutUs} microseconds (-1: until one is ready, 0: not at all) for a watched
     * descriptor to be readable: how many are ({@link #isReady} tells which), 0 on timeout, or -errno
     * (-EINTR).
     */
    public int await(long timeoutUs) {
        MemorySegment.copy(interest, 0, ready, 0, FdSetDescriptor.SIZE);
        MemorySegment tv = MemorySegment.NULL;
        if (timeoutUs >= 0) {
            timeout.set(JAVA_LONG, 0, timeoutUs / 1_000_000);
            timeout.set(JAVA_LONG, 8, timeoutUs % 1_000_000);
            tv = timeout;
        }
        return select(highest + 1, ready, MemorySegment.NULL, MemorySegment.NULL, tv);
    }

    /** Whether {@code fd} was readable at the last wait. */
    public boolean isReady(int fd) {
        return FdSetDescriptor.isSet(ready, fd);
    }

    /** The highest watched descriptor (select's nfds less one), or -1. */
    public int highestFd() {
        return highest;
    }

    /** Descriptors watched. */
    public int watched() {
        return watched;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
