package io.rawio.bench.lab.multiplex;

import io.rawio.net.NetConstants;
import io.rawio.net.Poll;

/** poll(2): one pollfd array kept between calls; the kernel polls every entry, the loop walks every revents: O(K). */
final class PollMethod extends WaitMethod {
    private Poll poll;

    PollMethod() {
        super("poll");
    }

    @Override
    void open(int[] fds) {
        poll = new Poll(fds.length);
        for (int fd : fds) {
            poll.add(fd, NetConstants.POLLIN);
        }
    }

    @Override
    void waitOnce() {
        poll.await(0);
        syscalls++;
        for (int i = 0, n = poll.count(); i < n; i++) {
            if (poll.revents(i) != 0) {
                throw new IllegalStateException("fd " + poll.fd(i) + " ready before any request");
            }
        }
    }

    @Override
    void serve() {
        while (!quit) {
            int n = poll.await(-1);
            syscalls++;
            if (n < 0) {
                continue;
            }
            for (int i = 0, c = poll.count(); i < c; i++) {
                if (poll.revents(i) != 0) {
                    readAndEcho(poll.fd(i));
                }
            }
        }
    }

    @Override
    int watched() {
        return poll.count();
    }

    @Override
    public void close() {
        if (poll != null) {
            poll.close();
        }
        super.close();
    }
}
