package io.rawio.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.rawio.nativeio.Libc;
import io.rawio.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * One epoll instance (man 7 epoll) and its event array: add, modify and remove descriptors, each with
 * a 64-bit token; wait for ready ones. Not thread-safe: one per event-loop thread. The interest mask is
 * the caller's choice; a loop that reads until EAGAIN can use edge-triggered (EPOLLET) and then gets
 * one wake-up per arrival instead of one per wait while data stays unread.
 */
public final class Epoll implements AutoCloseable {
    private static final MethodHandle CREATE1 = Libc.errnoCall("epoll_create1", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle CTL = Libc.errnoCall("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle WAIT = Libc.errnoCall("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    private final Arena arena = Arena.ofShared();
    private final int epfd;
    private final MemorySegment events;
    private final MemorySegment one;
    private final int capacity;
    private boolean closed;

    /** An epoll instance that returns up to {@code capacity} ready descriptors per wait. */
    public Epoll(int capacity) throws NativeIoException {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        MemorySegment c = Libc.captureState();
        int fd;
        try {
            fd = (int) CREATE1.invokeExact(c, NetConstants.EPOLL_CLOEXEC);
        } catch (Throwable t) {
            arena.close();
            throw new IllegalStateException(t);
        }
        if (fd < 0) {
            int errno = Libc.errno(c);
            arena.close();
            throw new NativeIoException("epoll_create1", errno, "epoll");
        }
        this.epfd = fd;
        this.capacity = capacity;
        this.events = arena.allocate((long) capacity * EpollEventDescriptor.SIZE, 8);
        this.one = arena.allocate(EpollEventDescriptor.SIZE, 8);
    }

    private int ctl(int op, int fd, int mask, long token) {
        EpollEventDescriptor.set(one, 0, mask, token);
        MemorySegment c = Libc.captureState();
        try {
            int r = (int) CTL.invokeExact(c, epfd, op, fd, one);
            return r < 0 ? -Libc.errno(c) : r;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Watches {@code fd} for {@code mask} (EPOLLIN, EPOLLOUT, EPOLLET, ...); 0 or -errno. */
    public int add(int fd, int mask, long token) {
        return ctl(NetConstants.EPOLL_CTL_ADD, fd, mask, token);
    }

    public int modify(int fd, int mask, long token) {
        return ctl(NetConstants.EPOLL_CTL_MOD, fd, mask, token);
    }

    public int remove(int fd) {
        return ctl(NetConstants.EPOLL_CTL_DEL, fd, 0, 0);
    }

    /**
     * Waits up to {@code timeoutMs} (-1: forever, 0: not at all) for ready descriptors; returns how
     * many ({@link #events(int)} and {@link #token(int)} read them), 0 on timeout, or -errno (-EINTR).
     */
    public int await(int timeoutMs) {
        MemorySegment c = Libc.captureState();
        try {
            int r = (int) WAIT.invokeExact(c, epfd, events, capacity, timeoutMs);
            return r < 0 ? -Libc.errno(c) : r;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The ready mask of the {@code i}-th descriptor of the last wait. */
    public int events(int i) {
        return EpollEventDescriptor.events(events, i);
    }

    /** The token the {@code i}-th ready descriptor was added with. */
    public long token(int i) {
        return EpollEventDescriptor.data(events, i);
    }

    public int fd() {
        return epfd;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.close(epfd);
            arena.close();
        }
    }
}
