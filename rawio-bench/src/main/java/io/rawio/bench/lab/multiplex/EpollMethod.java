package io.rawio.bench.lab.multiplex;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.net.Epoll;
import io.rawio.net.NetConstants;

/**
 * epoll_wait: the interest list lives in the kernel, a ready socket puts itself on the ready list, so a wait
 * costs time in the number ready, not watched. Level-triggered, one recv per readiness; edge-triggered, the
 * loop must read until EAGAIN (one more recv per request) or it would never hear of the bytes left.
 */
final class EpollMethod extends WaitMethod {
    private final boolean edge;
    private Epoll epoll;
    private int[] fds;
    private int watched;

    EpollMethod(boolean edge) {
        super(edge ? "epoll, edge-triggered" : "epoll, level-triggered");
        this.edge = edge;
    }

    @Override
    void open(int[] fds) throws NativeIoException {
        this.fds = fds;
        epoll = new Epoll(64);
        int mask = NetConstants.EPOLLIN | (edge ? NetConstants.EPOLLET : 0);
        for (int i = 0; i < fds.length; i++) {
            int r = epoll.add(fds[i], mask, i);
            if (r < 0) {
                throw new NativeIoException("epoll_ctl ADD", -r, "fd " + fds[i]);
            }
            watched++;
        }
    }

    @Override
    void waitOnce() {
        int n = epoll.await(0);
        syscalls++;
        if (n != 0) {
            throw new IllegalStateException(n + " ready before any request");
        }
    }

    @Override
    void serve() {
        while (!quit) {
            int n = epoll.await(-1);
            syscalls++;
            for (int i = 0; i < n; i++) {
                int fd = fds[(int) epoll.token(i)];
                if (edge) {
                    // Until the socket is empty: the next edge comes only with new bytes.
                    while (readAndEcho(fd) != -Errno.EAGAIN) {
                        // read again
                    }
                } else {
                    readAndEcho(fd);
                }
            }
        }
    }

    @Override
    int watched() {
        return watched;
    }

    @Override
    public void close() {
        if (epoll != null) {
            epoll.close();
        }
        super.close();
    }
}
