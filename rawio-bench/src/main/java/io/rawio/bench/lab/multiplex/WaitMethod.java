package io.rawio.bench.lab.multiplex;

import io.rawio.nativeio.Errno;
import io.rawio.net.Sockets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One way for a single server thread to wait on many sockets and answer the one that is ready: it
 * watches K idle connections and one active one, and echoes each request ({@link Echo#REQUEST_BYTES})
 * back until the request that starts with {@link Echo#QUIT}. Counts what it costs: system calls it made,
 * reads that found nothing (EAGAIN), requests answered. Used by one thread: {@link #open}, the waits and
 * {@link #serve} run on the server thread.
 */
abstract class WaitMethod implements AutoCloseable {
    /** The method's name in the table. */
    final String label;
    final Arena arena = Arena.ofShared();
    final MemorySegment buf = arena.allocate(4096, 8);
    long syscalls;
    long eagains;
    long requests;
    boolean quit;
    private int frameHave;

    WaitMethod(String label) {
        this.label = label;
    }

    /** Why this method cannot watch these descriptors, or null. */
    String refusal(int[] fds) {
        return null;
    }

    /** Watches {@code fds} (the last is the active connection). */
    abstract void open(int[] fds) throws Exception;

    /**
     * One wait with nothing ready and no time to wait, and what a loop then does to find the ready ones:
     * the cost of a wait as K grows, apart from any request.
     */
    abstract void waitOnce();

    /** Answers requests until the quit request. */
    abstract void serve() throws Exception;

    /** Descriptors this method is watching. */
    abstract int watched();

    /** recv once on {@code fd} and echo what came; bytes, or -EAGAIN. */
    final long readAndEcho(int fd) {
        long r = Sockets.recv(fd, buf, buf.byteSize(), 0);
        syscalls++;
        if (r == -Errno.EAGAIN) {
            eagains++;
            return r;
        }
        if (r <= 0) {
            throw new IllegalStateException("recv on fd " + fd + ": "
                    + (r == 0 ? "the client closed" : Errno.name((int) -r)));
        }
        long sent = 0;
        while (sent < r) {
            long s = Sockets.send(fd, buf.asSlice(sent), r - sent, 0);
            syscalls++;
            if (s < 0) {
                throw new IllegalStateException("send on fd " + fd + ": " + Errno.name((int) -s));
            }
            sent += s;
        }
        frames(buf, r);
        return r;
    }

    /** Counts the requests whose bytes {@code b[0, n)} complete; notes the quit request. */
    final void frames(MemorySegment b, long n) {
        for (long i = 0; i < n; i++) {
            if (frameHave == 0 && b.get(ValueLayout.JAVA_BYTE, i) == Echo.QUIT) {
                quit = true;
            }
            if (++frameHave == Echo.REQUEST_BYTES) {
                frameHave = 0;
                requests++;
            }
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
