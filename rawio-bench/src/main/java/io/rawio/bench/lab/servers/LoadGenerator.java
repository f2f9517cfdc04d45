package io.rawio.bench.lab.servers;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.net.Epoll;
import io.rawio.net.NetConstants;
import io.rawio.net.SockaddrDescriptor;
import io.rawio.net.Sockets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The load: C connections from one thread of this process, over rawio's own sockets and epoll. Closed
 * loop: each connection sends its next request when the answer to the last one has come, so the server's
 * speed sets the rate. Open loop: requests leave at a fixed total rate, round-robin over the connections,
 * whether or not earlier ones were answered (pipelined on the connection), and each latency counts from
 * when its request was due, not when it could be sent: a server that falls behind shows it in the
 * latency (no coordinated omission). Answers are checked against their request's sequence number.
 */
final class LoadGenerator implements AutoCloseable {
    /**
     * What one run measured.
     *
     * @param sent      requests sent, warm-up and drain included
     * @param answered  answers received, warm-up and drain included
     * @param inWindow  answers received within the measured window
     * @param seconds   the measured window
     * @param latency   nanoseconds, requests due within the window
     * @param answeredConnections connections that got at least one answer
     * @param late      open loop: requests not sent because their connection had too many waiting
     * @param errors    wrong or broken answers, sends that failed
     */
    record Result(long sent, long answered, long inWindow, double seconds, Histogram latency, int answeredConnections,
            long late, long errors) {
    }

    private static final int FIFO = 256;
    private final Epoll epoll;
    private final int[] fds;
    private int count;
    private String connectFailure;
    private final long[] due;
    private final int[] head;
    private final int[] waiting;
    private final long[] nextSeq;
    private final long[] expectSeq;
    private final long[] answeredPer;
    private final boolean[] broken;
    private final byte[] part;
    private final int[] have;
    private final byte[] rx = new byte[64 * 1024];
    private final byte[] tx = new byte[Frames.REQUEST_BYTES];
    private final Histogram latency = new Histogram(3);
    private boolean closedLoop;
    private long measureFrom;
    private long measureEnd;
    private long sent;
    private long answered;
    private long inWindow;
    private long outstanding;
    private long late;
    private long errors;

    /** Connects {@code connections} sockets to {@code target}, blocking connects, until one fails. */
    LoadGenerator(InetSocketAddress target, int connections) throws NativeIoException {
        epoll = new Epoll(1024);
        fds = new int[connections];
        due = new long[connections * FIFO];
        head = new int[connections];
        waiting = new int[connections];
        nextSeq = new long[connections];
        expectSeq = new long[connections];
        answeredPer = new long[connections];
        broken = new boolean[connections];
        part = new byte[connections * Frames.RESPONSE_BYTES];
        have = new int[connections];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockaddrDescriptor.MAX_SIZE, 8);
            int saLength = SockaddrDescriptor.encode(sa, target);
            MemorySegment four = a.allocate(ValueLayout.JAVA_INT);
            while (count < connections) {
                int fd = Sockets.socket(NetConstants.AF_INET, NetConstants.SOCK_STREAM | NetConstants.SOCK_CLOEXEC, 0);
                int r = fd < 0 ? fd : Sockets.connect(fd, sa, saLength);
                if (r < 0) {
                    connectFailure = (fd < 0 ? "socket: " : "connect: ") + Errno.name(-r) + " after " + count
                            + " connections";
                    if (fd >= 0) {
                        Sockets.close(fd);
                    }
                    break;
                }
                Sockets.setIntOption(fd, NetConstants.IPPROTO_TCP, NetConstants.TCP_NODELAY, 1, four);
                r = epoll.add(fd, NetConstants.EPOLLIN, count);
                if (r < 0) {
                    Sockets.close(fd);
                    connectFailure = "epoll_ctl: " + Errno.name(-r);
                    break;
                }
                fds[count++] = fd;
            }
        }
    }

    int connected() {
        return count;
    }

    /** Why fewer connections than asked for are open, or null. */
    String connectFailure() {
        return connectFailure;
    }

    private void send(int c, long dueNs) {
        if (waiting[c] == FIFO) {
            late++;
            return;
        }
        Frames.request(tx, 0, nextSeq[c]);
        long s = Sockets.sendNow(fds[c], tx, 0, tx.length);
        if (s != tx.length) {
            // A socket that takes part of 16 bytes or none has a server that stopped reading: leave it.
            errors++;
            broken[c] = true;
            return;
        }
        due[c * FIFO + (head[c] + waiting[c]) % FIFO] = dueNs;
        waiting[c]++;
        nextSeq[c]++;
        sent++;
        outstanding++;
    }

    private void readable(int c) {
        long r = Sockets.recvNow(fds[c], rx, 0, rx.length);
        if (r == -Errno.EAGAIN) {
            return;
        }
        if (r <= 0) {
            errors++;
            broken[c] = true;
            epoll.remove(fds[c]);
            return;
        }
        long now = System.nanoTime();
        int base = c * Frames.RESPONSE_BYTES;
        for (int i = 0; i < r; ) {
            int take = (int) Math.min(Frames.RESPONSE_BYTES - have[c], r - i);
            System.arraycopy(rx, i, part, base + have[c], take);
            have[c] += take;
            i += take;
            if (have[c] == Frames.RESPONSE_BYTES) {
                have[c] = 0;
                answer(c, (long) Frames.LONG.get(part, base), now);
            }
        }
    }

    private void answer(int c, long seq, long now) {
        if (seq != expectSeq[c]++ || waiting[c] == 0) {
            errors++;
            return;
        }
        long t = due[c * FIFO + head[c]];
        head[c] = (head[c] + 1) % FIFO;
        waiting[c]--;
        outstanding--;
        answered++;
        answeredPer[c]++;
        if (t >= measureFrom && t < measureEnd) {
            latency.recordValue(now - t);
        }
        if (now >= measureFrom && now < measureEnd) {
            inWindow++;
        }
        if (closedLoop && now < measureEnd && !broken[c]) {
            send(c, now);
        }
    }

    private int poll(int timeoutMs) {
        int n = epoll.await(timeoutMs);
        for (int i = 0; i < n; i++) {
            readable((int) epoll.token(i));
        }
        return Math.max(n, 0);
    }

    /**
     * Closed loop: {@code warmNs} not measured, then {@code runNs} measured, then up to {@code graceNs} for the
     * last answers.
     */
    Result closedLoop(long warmNs, long runNs, long graceNs) {
        closedLoop = true;
        long start = System.nanoTime();
        measureFrom = start + warmNs;
        measureEnd = measureFrom + runNs;
        for (int c = 0; c < count; c++) {
            send(c, start);
        }
        while (true) {
            long now = System.nanoTime();
            if (now >= measureEnd && (outstanding == 0 || now >= measureEnd + graceNs)) {
                break;
            }
            poll(1);
        }
        return result(runNs);
    }

    /** Open loop at {@code perSecond} requests a second over all connections; the same windows. */
    Result openLoop(double perSecond, long warmNs, long runNs, long graceNs) {
        closedLoop = false;
        long start = System.nanoTime();
        measureFrom = start + warmNs;
        measureEnd = measureFrom + runNs;
        double interval = 1e9 / perSecond;
        long k = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= measureEnd && (outstanding == 0 || now >= measureEnd + graceNs)) {
                break;
            }
            long next = start + (long) (k * interval);
            while (next <= now && next < measureEnd) {
                int c = (int) (k % count);
                if (!broken[c]) {
                    send(c, next);
                }
                k++;
                next = start + (long) (k * interval);
            }
            if (poll(0) == 0) {
                long wait = Math.min(next, measureEnd) - System.nanoTime();
                LockSupport.parkNanos(Math.max(1_000, Math.min(wait, 50_000)));
            }
        }
        return result(runNs);
    }

    private Result result(long runNs) {
        int answeredConns = 0;
        for (int c = 0; c < count; c++) {
            if (answeredPer[c] > 0) {
                answeredConns++;
            }
        }
        return new Result(sent, answered, inWindow, runNs / 1e9, latency, answeredConns, late, errors);
    }

    @Override
    public void close() {
        for (int c = 0; c < count; c++) {
            Sockets.close(fds[c]);
        }
        count = 0;
        epoll.close();
    }
}
