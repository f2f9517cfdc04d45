package io.rawio.bench.lab.multiplex;

import io.rawio.nativeio.Errno;

/**
 * No waiting at all: a recv on every non-blocking socket in turn, over and over. Each empty one answers
 * EAGAIN at once, so the loop learns of a request only by asking every socket: K system calls per pass,
 * one core kept busy.
 */
final class BusyPollMethod extends WaitMethod {
    private int[] fds;

    BusyPollMethod() {
        super("busy poll (recv until not EAGAIN)");
    }

    @Override
    void open(int[] fds) {
        this.fds = fds;
    }

    @Override
    void waitOnce() {
        for (int fd : fds) {
            if (readAndEcho(fd) != -Errno.EAGAIN) {
                throw new IllegalStateException("fd " + fd + " had bytes before any request");
            }
        }
    }

    @Override
    void serve() {
        while (!quit) {
            for (int fd : fds) {
                readAndEcho(fd);
            }
        }
    }

    @Override
    int watched() {
        return fds.length;
    }
}
