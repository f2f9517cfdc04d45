package io.rawio.bench.lab.multiplex;

import io.rawio.net.FdSetDescriptor;
import io.rawio.net.Select;

/**
 * select(2): the interest set copied for every call (select rewrites it), the kernel walks every bit up to
 * the highest descriptor, and the loop walks them again for the ready ones: O(K) per wait, twice.
 */
final class SelectMethod extends WaitMethod {
    private Select select;
    private int[] fds;

    SelectMethod() {
        super("select");
    }

    @Override
    String refusal(int[] fds) {
        int max = -1;
        for (int fd : fds) {
            max = Math.max(max, fd);
        }
        return FdSetDescriptor.refusal(max);
    }

    @Override
    void open(int[] fds) {
        this.fds = fds;
        select = new Select();
        for (int fd : fds) {
            select.add(fd);
        }
    }

    @Override
    void waitOnce() {
        select.await(0);
        syscalls++;
        for (int fd : fds) {
            if (select.isReady(fd)) {
                throw new IllegalStateException("fd " + fd + " ready before any request");
            }
        }
    }

    @Override
    void serve() {
        while (!quit) {
            int n = select.await(-1);
            syscalls++;
            if (n < 0) {
                continue; // EINTR
            }
            for (int fd : fds) {
                if (select.isReady(fd)) {
                    readAndEcho(fd);
                }
            }
        }
    }

    @Override
    int watched() {
        return select.watched();
    }

    @Override
    public void close() {
        if (select != null) {
            select.close();
        }
        super.close();
    }
}
