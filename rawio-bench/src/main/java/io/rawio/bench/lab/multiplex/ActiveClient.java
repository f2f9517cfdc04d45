package io.rawio.bench.lab.multiplex;

import io.rawio.nativeio.Errno;
import io.rawio.net.Sockets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.HdrHistogram.Histogram;

/**
 * The one client that talks: on a blocking socket, a request, then its echo, again and again until the
 * time is up, then the quit request. Round trips recorded in nanoseconds.
 */
final class ActiveClient {
    private ActiveClient() {
    }

    /** Requests sent and answered (the quit request included), and the round trips of all but the last. */
    record Result(long requests, Histogram rtt) {
    }

    static Result run(int fd, long durationNs) {
        Histogram rtt = new Histogram(3);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment req = a.allocate(Echo.REQUEST_BYTES, 8);
            MemorySegment resp = a.allocate(Echo.REQUEST_BYTES, 8);
            long n = 0;
            long end = System.nanoTime() + durationNs;
            boolean last = false;
            while (!last) {
                last = System.nanoTime() >= end;
                req.set(ValueLayout.JAVA_BYTE, 0, last ? Echo.QUIT : Echo.REQUEST);
                req.set(ValueLayout.JAVA_LONG, 8, n);
                long t0 = System.nanoTime();
                transfer(fd, req, true);
                transfer(fd, resp, false);
                long t = System.nanoTime() - t0;
                if (resp.get(ValueLayout.JAVA_LONG, 8) != n) {
                    throw new IllegalStateException("echo of request " + n + " came back as "
                            + resp.get(ValueLayout.JAVA_LONG, 8));
                }
                if (!last) {
                    rtt.recordValue(t);
                }
                n++;
            }
            return new Result(n, rtt);
        }
    }

    private static void transfer(int fd, MemorySegment b, boolean send) {
        long done = 0;
        while (done < b.byteSize()) {
            long r = send ? Sockets.send(fd, b.asSlice(done), b.byteSize() - done, 0)
                    : Sockets.recv(fd, b.asSlice(done), b.byteSize() - done, 0);
            if (r == -Errno.EINTR) {
                continue;
            }
            if (r <= 0) {
                throw new IllegalStateException((send ? "send: " : "recv: ")
                        + (r == 0 ? "the server closed" : Errno.name((int) -r)));
            }
            done += r;
        }
    }
}
