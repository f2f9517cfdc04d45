package io.rawio.bench.lab.servers;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.NativeIoException;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import io.rawio.uring.BufferRing;
import io.rawio.uring.IoUring;
import io.rawio.uring.SocketSqes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The proactor: {@code loops} threads, each with one io_uring ring and a listening socket of its own on
 * the shared port (SO_REUSEPORT). The loop asks for work to be done and is told when it is: a multishot
 * ACCEPT, a multishot RECV per connection into buffers the kernel takes from a provided-buffer ring (a
 * one-shot RECV into the connection's buffer where the kernel has no buffer rings), and a SEND of the
 * answers from the connection's own native buffer, one in flight per connection. One io_uring_enter
 * submits everything a pass produced and waits for the next completions. The ring is single-issuer:
 * made and driven on its loop's thread.
 */
final class UringLoopServer extends LoopServer {
    private static final long ACCEPT = 1L << 40;
    private static final long RECV = 1L << 41;
    private static final long SEND = 1L << 42;
    private static final long SLOT_MASK = (1L << 32) - 1;
    /** Native bytes per connection for answers on their way out; more wait on the heap. */
    private static final int OUT_BYTES = 2048;

    UringLoopServer(int loops) {
        super("uring-loop", loops);
    }

    @Override
    Runnable loop(int listenFd, ServerCounters counters) throws Exception {
        return new Loop(listenFd, counters)::run;
    }

    private static final class Conn {
        final int fd;
        final Frames frames = new Frames();
        final MemorySegment out;
        /** Answer bytes in {@code out}; the first {@code inFlight} of them are being sent. */
        int outLength;
        int inFlight;
        byte[] overflow;
        int overflowLength;
        boolean recvArmed;
        boolean closing;
        MemorySegment recvBuf;

        Conn(int fd) {
            this.fd = fd;
            this.out = malloc(OUT_BYTES);
        }
    }

    private static MemorySegment malloc(int bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            if (Libc.posixMemalign(p, 64, bytes) != 0) {
                throw new OutOfMemoryError("posix_memalign " + bytes);
            }
            return p.get(ValueLayout.ADDRESS, 0).reinterpret(bytes);
        }
    }

    private final class Loop {
        private final int listenFd;
        private final ServerCounters counters;
        private final IoUring ring;
        private final BufferRing buffers;
        private boolean multishotRecv;
        private boolean multishotAccept = true;
        private final Slots<Conn> conns = new Slots<>();
        private final byte[] in = new byte[4096];
        private final byte[] answers = new byte[Frames.responseRoom(4096)];
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment four = arena.allocate(ValueLayout.JAVA_INT);

        Loop(int listenFd, ServerCounters counters) throws NativeIoException {
            this.listenFd = listenFd;
            this.counters = counters;
            this.ring = IoUring.create(new IoUring.Setup(2048, 16384, 0, 0, true));
            BufferRing b = null;
            try {
                // Enough that thousands of connections' requests arriving between two reaps do not run the
                // ring dry (ENOBUFS ends a multishot RECV, which then has to be armed again).
                b = BufferRing.register(ring, 1, 8192, 256);
                multishotRecv = true;
            } catch (NativeIoException e) {
                // before 5.19: a one-shot RECV into each connection's own buffer
            }
            this.buffers = b;
            armAccept();
        }

        private long sqe() {
            long at = ring.nextSqeOffset();
            while (at < 0) {
                ring.submitAndGetEvents();
                at = ring.nextSqeOffset();
            }
            return at;
        }

        private void armAccept() {
            SocketSqes.accept(ring.sqeArray(), sqe(), listenFd, NetConstants.SOCK_CLOEXEC, multishotAccept, ACCEPT);
        }

        private void armRecv(Conn c, int slot) {
            if (buffers != null) {
                SocketSqes.recvSelect(ring.sqeArray(), sqe(), c.fd, buffers.group(), 0, multishotRecv, RECV | slot);
            } else {
                if (c.recvBuf == null) {
                    c.recvBuf = malloc(512);
                }
                SocketSqes.recv(ring.sqeArray(), sqe(), c.fd, c.recvBuf, 512, 0, RECV | slot);
            }
            c.recvArmed = true;
        }

        void run() {
            while (!stopping) {
                // A tenth of a second at most between looks at the stop flag.
                int r = ring.canWaitWithTimeout() ? ring.submitAndWait(1, 100_000_000L) : ring.submitAndWait(1);
                if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY && r != -Errno.ETIME) {
                    counters.errors.increment();
                }
                ring.reap(this::completion);
                if (buffers != null) {
                    buffers.publish();
                }
            }
            for (int slot = 0; slot < conns.limit(); slot++) {
                Conn c = conns.get(slot);
                if (c != null) {
                    close(c, slot);
                }
            }
            // Closing the ring cancels what is still armed (the multishot ACCEPT); no RECV or SEND is left.
            if (buffers != null) {
                buffers.close();
            }
            ring.close();
            Sockets.close(listenFd);
            arena.close();
        }

        private void completion(long userData, int res, int flags) {
            boolean more = SocketSqes.more(flags);
            if (userData == ACCEPT) {
                accepted(res);
                if (!more) {
                    if (res == -Errno.EINVAL && multishotAccept) {
                        multishotAccept = false; // before 5.19
                    }
                    armAccept();
                }
                return;
            }
            int slot = (int) (userData & SLOT_MASK);
            Conn c = conns.get(slot);
            if ((userData & SEND) != 0) {
                sent(c, slot, res);
            } else {
                received(c, slot, res, flags, more);
            }
        }

        private void accepted(int fd) {
            if (fd < 0) {
                counters.errors.increment();
                return;
            }
            Sockets.setIntOption(fd, NetConstants.IPPROTO_TCP, NetConstants.TCP_NODELAY, 1, four);
            Conn c = new Conn(fd);
            int slot = conns.add(c);
            counters.accepted.increment();
            counters.open.increment();
            armRecv(c, slot);
        }

        private void received(Conn c, int slot, int res, int flags, boolean more) {
            if (!more) {
                c.recvArmed = false;
            }
            int bid = SocketSqes.bufferId(flags);
            if (res > 0) {
                MemorySegment src = bid >= 0 ? buffers.buffer(bid) : c.recvBuf;
                MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, in, 0, res);
                if (bid >= 0) {
                    buffers.recycle(bid);
                }
                int end = c.frames.respond(in, 0, res, answers, 0);
                counters.requests.add(end / Frames.RESPONSE_BYTES);
                queue(c, end);
                if (c.inFlight == 0 && c.outLength > 0) {
                    send(c, slot);
                }
                if (!more && !c.closing) {
                    armRecv(c, slot);
                }
                return;
            }
            if (bid >= 0) {
                buffers.recycle(bid);
            }
            if (res == -Errno.ENOBUFS || res == -Errno.EINVAL && multishotRecv) {
                if (res == -Errno.EINVAL) {
                    multishotRecv = false; // before 6.0
                }
                if (!more && !c.closing) {
                    armRecv(c, slot);
                }
                return;
            }
            c.closing = true; // end of stream or an error
            if (!c.recvArmed && c.inFlight == 0) {
                close(c, slot);
            }
        }

        /** Puts the answers in {@code answers[0, n)} behind those already waiting. */
        private void queue(Conn c, int n) {
            int direct = c.overflowLength == 0 ? Math.min(n, OUT_BYTES - c.outLength) : 0;
            MemorySegment.copy(answers, 0, c.out, ValueLayout.JAVA_BYTE, c.outLength, direct);
            c.outLength += direct;
            if (direct < n) {
                if (c.overflow == null || c.overflow.length < c.overflowLength + n - direct) {
                    c.overflow = Arrays.copyOf(c.overflow == null ? new byte[0] : c.overflow,
                            Math.max(4096, 2 * (c.overflowLength + n - direct)));
                }
                System.arraycopy(answers, direct, c.overflow, c.overflowLength, n - direct);
                c.overflowLength += n - direct;
            }
        }

        private void send(Conn c, int slot) {
            c.inFlight = c.outLength;
            SocketSqes.send(ring.sqeArray(), sqe(), c.fd, c.out, c.inFlight, NetConstants.MSG_NOSIGNAL, SEND | slot);
        }

        private void sent(Conn c, int slot, int res) {
            int done = Math.max(0, res);
            // Not in flight any more: what was not sent moves to the front, and the overflow after it.
            MemorySegment.copy(c.out, done, c.out, 0, c.outLength - done);
            c.outLength -= done;
            c.inFlight = 0;
            if (res < 0) {
                c.closing = true;
            }
            if (c.overflowLength > 0) {
                int take = Math.min(c.overflowLength, OUT_BYTES - c.outLength);
                MemorySegment.copy(c.overflow, 0, c.out, ValueLayout.JAVA_BYTE, c.outLength, take);
                c.outLength += take;
                System.arraycopy(c.overflow, take, c.overflow, 0, c.overflowLength - take);
                c.overflowLength -= take;
            }
            if (c.closing) {
                if (!c.recvArmed) {
                    close(c, slot);
                }
                return;
            }
            if (c.outLength > 0) {
                send(c, slot);
            }
        }

        private void close(Conn c, int slot) {
            Sockets.close(c.fd);
            Libc.free(c.out.address());
            if (c.recvBuf != null) {
                Libc.free(c.recvBuf.address());
            }
            conns.remove(slot);
            counters.open.decrement();
        }
    }
}
