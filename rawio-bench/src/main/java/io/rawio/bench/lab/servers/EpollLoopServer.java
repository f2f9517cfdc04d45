package io.rawio.bench.lab.servers;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.net.Epoll;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The reactor: {@code loops} threads, each one level-triggered epoll loop over non-blocking sockets, with
 * a listening socket of its own on the shared port (SO_REUSEPORT: the kernel spreads new connections over
 * the listeners). A loop reads what a ready socket has, answers every whole request in it, and sends the
 * answers; what a socket does not take at once waits for EPOLLOUT. Nothing is shared between loops but
 * the counters. A prefork worker is this with one loop.
 */
final class EpollLoopServer extends LoopServer {
    private static final long LISTENER = -1;

    EpollLoopServer(int loops) {
        super("epoll-loop", loops);
    }

    @Override
    Runnable loop(int listenFd, ServerCounters counters) throws Exception {
        return new Loop(listenFd, counters)::run;
    }

    /** One connection's state: its socket, the part of a request so far, and answers not yet taken. */
    private static final class Conn {
        final int fd;
        final Frames frames = new Frames();
        byte[] pending;
        int pendingLength;

        Conn(int fd) {
            this.fd = fd;
        }
    }

    private final class Loop {
        private final int listenFd;
        private final ServerCounters counters;
        private final Epoll epoll = new Epoll(256);
        private final Slots<Conn> conns = new Slots<>();
        private final byte[] in = new byte[64 * 1024];
        private final byte[] out = new byte[Frames.responseRoom(64 * 1024)];
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment four = arena.allocate(ValueLayout.JAVA_INT);

        Loop(int listenFd, ServerCounters counters) throws NativeIoException {
            this.listenFd = listenFd;
            this.counters = counters;
            int r = epoll.add(listenFd, NetConstants.EPOLLIN, LISTENER);
            if (r < 0) {
                throw new NativeIoException("epoll_ctl ADD", -r, "listener");
            }
        }

        void run() {
            while (!stopping) {
                int n = epoll.await(100); // a tenth of a second at most between looks at the stop flag
                for (int i = 0; i < n; i++) {
                    long token = epoll.token(i);
                    if (token == LISTENER) {
                        accept();
                        continue;
                    }
                    Conn c = conns.get((int) token);
                    if (c == null) {
                        continue;
                    }
                    int ev = epoll.events(i);
                    if ((ev & NetConstants.EPOLLOUT) != 0 && !flush(c, (int) token)) {
                        continue;
                    }
                    if ((ev & (NetConstants.EPOLLIN | NetConstants.EPOLLHUP | NetConstants.EPOLLERR)) != 0) {
                        read(c, (int) token);
                    }
                }
            }
            for (int slot = 0; slot < conns.limit(); slot++) {
                if (conns.get(slot) != null) {
                    close(conns.get(slot), slot);
                }
            }
            epoll.close();
            Sockets.close(listenFd);
            arena.close();
        }

        private void accept() {
            int fd;
            while ((fd = Sockets.accept4(listenFd, NetConstants.SOCK_NONBLOCK | NetConstants.SOCK_CLOEXEC)) >= 0) {
                Sockets.setIntOption(fd, NetConstants.IPPROTO_TCP, NetConstants.TCP_NODELAY, 1, four);
                Conn c = new Conn(fd);
                int slot = conns.add(c);
                counters.accepted.increment();
                counters.open.increment();
                if (epoll.add(fd, NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP, slot) < 0) {
                    counters.errors.increment();
                    close(c, slot);
                }
            }
            if (fd != -Errno.EAGAIN) {
                counters.errors.increment(); // EMFILE and the like: the connection waits in the queue
            }
        }

        private void read(Conn c, int slot) {
            long r = Sockets.recvNow(c.fd, in, 0, in.length);
            if (r == -Errno.EAGAIN) {
                return;
            }
            if (r <= 0) {
                close(c, slot);
                return;
            }
            int end = c.frames.respond(in, 0, (int) r, out, 0);
            if (end == 0) {
                return;
            }
            counters.requests.add(end / Frames.RESPONSE_BYTES);
            if (c.pendingLength > 0) {
                append(c, out, 0, end);
                return;
            }
            long s = Sockets.sendNow(c.fd, out, 0, end);
            if (s == end) {
                return;
            }
            if (s < 0 && s != -Errno.EAGAIN) {
                close(c, slot);
                return;
            }
            int sent = (int) Math.max(0, s);
            append(c, out, sent, end - sent);
            epoll.modify(c.fd, NetConstants.EPOLLIN | NetConstants.EPOLLOUT | NetConstants.EPOLLRDHUP, slot);
        }

        private static void append(Conn c, byte[] b, int off, int len) {
            if (c.pending == null || c.pending.length < c.pendingLength + len) {
                c.pending = Arrays.copyOf(c.pending == null ? new byte[0] : c.pending,
                        Math.max(4096, 2 * (c.pendingLength + len)));
            }
            System.arraycopy(b, off, c.pending, c.pendingLength, len);
            c.pendingLength += len;
        }

        /** Sends what waits; false when the connection was closed. */
        private boolean flush(Conn c, int slot) {
            if (c.pendingLength == 0) {
                return true;
            }
            long s = Sockets.sendNow(c.fd, c.pending, 0, c.pendingLength);
            if (s < 0 && s != -Errno.EAGAIN) {
                close(c, slot);
                return false;
            }
            int sent = (int) Math.max(0, s);
            System.arraycopy(c.pending, sent, c.pending, 0, c.pendingLength - sent);
            c.pendingLength -= sent;
            if (c.pendingLength == 0) {
                epoll.modify(c.fd, NetConstants.EPOLLIN | NetConstants.EPOLLRDHUP, slot);
            }
            return true;
        }

        private void close(Conn c, int slot) {
            Sockets.close(c.fd); // close removes it from the epoll set
            conns.remove(slot);
            counters.open.decrement();
        }
    }
}
