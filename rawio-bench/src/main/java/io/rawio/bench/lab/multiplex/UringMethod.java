package io.rawio.bench.lab.multiplex;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.uring.BufferRing;
import io.rawio.uring.IoUring;
import io.rawio.uring.SocketSqes;
import java.lang.foreign.MemorySegment;

/**
 * io_uring as a proactor: a RECV armed on every socket up front (multishot, into buffers the kernel picks
 * from a provided-buffer ring; one-shot RECV into a buffer per connection where the kernel has neither),
 * and the echo sent with a SEND. An armed request waits on its socket in the kernel, so a wait costs time
 * in the completions ready, not the sockets watched, and one io_uring_enter both submits the reply and
 * waits for the next request. Made, driven and closed on one thread (the ring is single-issuer).
 */
final class UringMethod extends WaitMethod {
    private static final long SEND_TOKEN = 1L << 40;
    private static final long CANCEL_TOKEN = 1L << 41;
    private static final int SEND_SLOT = 256;
    private static final int SEND_SLOTS = 16;

    private IoUring ring;
    private BufferRing buffers;
    private boolean multishot;
    private MemorySegment slots;
    private int[] fds;
    private boolean[] armed;
    private int armedCount;
    private boolean cancelling;
    private final MemorySegment sendBuf = arena.allocate((long) SEND_SLOT * SEND_SLOTS, 8);
    private int sendSlot;
    private int sendsInFlight;
    private RuntimeException failure;
    /** What ran: multishot RECV from a buffer ring, or the fallback and why. */
    String mode = "";

    UringMethod() {
        super("io_uring");
    }

    @Override
    String refusal(int[] fds) {
        return IoUring.unavailableReason().map(r -> "io_uring is unavailable here: " + r).orElse(null);
    }

    @Override
    void open(int[] fds) throws NativeIoException {
        this.fds = fds;
        this.armed = new boolean[fds.length];
        ring = IoUring.create(new IoUring.Setup(256, 4096, 0, 0, true));
        try {
            buffers = BufferRing.register(ring, 7, 64, SEND_SLOT);
            multishot = true;
            mode = "multishot RECV, provided-buffer ring";
        } catch (NativeIoException e) {
            slots = arena.allocate(64L * fds.length, 8);
            mode = "one-shot RECV per socket (no buffer ring: " + e.getMessage() + ")";
        }
        for (int i = 0; i < fds.length; i++) {
            arm(i);
        }
        ring.submitAndGetEvents();
        syscalls++;
        reap();
    }

    private long sqe() {
        long at = ring.nextSqeOffset();
        while (at < 0) {
            int r = ring.submitAndGetEvents();
            syscalls++;
            if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                throw new IllegalStateException("io_uring_enter: " + Errno.name(-r));
            }
            at = ring.nextSqeOffset();
        }
        return at;
    }

    private void arm(int i) {
        long at = sqe();
        if (buffers != null) {
            SocketSqes.recvSelect(ring.sqeArray(), at, fds[i], buffers.group(), 0, multishot, i);
        } else {
            SocketSqes.recv(ring.sqeArray(), at, fds[i], slots.asSlice(64L * i, 64), 64, 0, i);
        }
        armed[i] = true;
        armedCount++;
    }

    private void reap() {
        ring.reap(this::completion);
        if (buffers != null) {
            buffers.publish();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void completion(long userData, int res, int flags) {
        if (userData == SEND_TOKEN) {
            sendsInFlight--;
            if (res < 0 && failure == null) {
                failure = new IllegalStateException("send: " + Errno.name(-res));
            }
            return;
        }
        if (userData == CANCEL_TOKEN) {
            return;
        }
        int i = (int) userData;
        boolean more = SocketSqes.more(flags);
        if (!more) {
            armed[i] = false;
            armedCount--;
        }
        if (res > 0) {
            int bid = SocketSqes.bufferId(flags);
            MemorySegment src = bid >= 0 ? buffers.buffer(bid) : slots.asSlice(64L * i, 64);
            MemorySegment out = sendBuf.asSlice((long) SEND_SLOT * sendSlot, SEND_SLOT);
            sendSlot = (sendSlot + 1) % SEND_SLOTS;
            MemorySegment.copy(src, 0, out, 0, res);
            SocketSqes.send(ring.sqeArray(), sqe(), fds[i], out, res, 0, SEND_TOKEN);
            sendsInFlight++;
            frames(src, res);
            if (bid >= 0) {
                buffers.recycle(bid);
            }
        } else if (res == -Errno.EINVAL && multishot && !cancelling) {
            multishot = false; // before 6.0: no multishot RECV
            mode = "one-shot RECV from a provided-buffer ring (multishot RECV refused: EINVAL)";
        } else if (res == -Errno.ECANCELED && cancelling) {
            return;
        } else if (res != -Errno.ENOBUFS && failure == null) {
            failure = new IllegalStateException("recv on fd " + fds[i] + ": "
                    + (res == 0 ? "the client closed" : Errno.name(-res)));
            return;
        }
        if (!more && !cancelling) {
            arm(i);
        }
    }

    @Override
    void waitOnce() {
        ring.submitAndGetEvents();
        syscalls++;
        int before = sendsInFlight;
        reap();
        if (before != sendsInFlight) {
            throw new IllegalStateException("a completion before any request");
        }
    }

    @Override
    void serve() {
        while (!quit) {
            // The replies in flight complete, and then the next request comes: wait for all of them in the
            // same call that submits the reply.
            int r = ring.submitAndWait(sendsInFlight + 1);
            syscalls++;
            if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                throw new IllegalStateException("io_uring_enter: " + Errno.name(-r));
            }
            reap();
        }
        while (sendsInFlight > 0) { // the reply to the quit request
            ring.submitAndWait(1);
            syscalls++;
            reap();
        }
    }

    @Override
    int watched() {
        return armedCount;
    }

    /** Cancels every armed RECV and waits for their last completions, so none outlives the ring on these sockets. */
    @Override
    public void close() {
        try {
            if (ring != null) {
                cancelling = true;
                for (int i = 0; i < fds.length; i++) {
                    if (armed[i]) {
                        SocketSqes.cancelFd(ring.sqeArray(), sqe(), fds[i], CANCEL_TOKEN);
                    }
                }
                long deadline = System.nanoTime() + 5_000_000_000L;
                while ((armedCount > 0 || sendsInFlight > 0) && System.nanoTime() < deadline) {
                    if (ring.canWaitWithTimeout()) {
                        ring.submitAndWait(1, 50_000_000L);
                    } else {
                        ring.submitAndGetEvents();
                        Thread.onSpinWait();
                    }
                    ring.reap(this::completion);
                }
            }
        } finally {
            if (buffers != null) {
                buffers.close();
            }
            if (ring != null) {
                ring.close();
            }
            super.close();
        }
    }
}
