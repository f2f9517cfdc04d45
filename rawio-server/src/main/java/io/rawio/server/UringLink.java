package io.rawio.server;

import io.rawio.uring.SocketSqes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The io_uring loop's side of a connection ({@link UringServer}): its requests in the ring, its native
 * buffers, and the gathering of its replies into one send: the heap replies copied into the send
 * buffer, the device replies ({@link DeviceReply}) as pieces of the memory their values were read
 * into, in their order, as a SENDMSG's iovecs. Used by the loop's thread only.
 */
final class UringLink {
    /** Pieces of one SENDMSG at most (heap replies and device replies in their order). */
    static final int MAX_IOV = 64;
    /** The most one send carries: a larger reply goes in several. */
    static final int MAX_SEND = 1 << 20;

    final Connection c;
    final long id;
    final Arena arena = Arena.ofConfined();
    /** A RECV of it is in the ring (a multishot one until a CQE without IORING_CQE_F_MORE). */
    boolean recvArmed;
    /** Polls in a row that brought few bytes, after which a {@link #direct} link takes a RECV again. */
    static final int SMALL_POLLS = 16;

    /**
     * It sends large values: instead of a RECV, a POLL is armed (still counted as {@link #recvArmed}, under
     * the RECV's user_data), and the loop reads what the socket holds straight into the query buffer
     * ({@link Connection#readAll}) when it completes, one copy fewer than through the ring's buffers.
     */
    boolean direct;
    /** What is armed is that POLL (a one-shot request), not a RECV. */
    boolean polling;
    /**
     * What is armed is a one-shot RECV (MSG_WAITALL) of the rest of a large SET value straight into its
     * store buffer ({@link UringFeatures#landingRecv}), still counted as {@link #recvArmed}.
     */
    boolean landingRecv;
    /** Its multishot RECV was cancelled for a landing RECV to take its place, and has not ended yet. */
    boolean cancelledForLanding;
    /**
     * It sends large SET values: its RECVs are one-shot, so that the one that brings a value's header
     * does not also take the value's bytes into the ring's buffers before a landing RECV can take them
     * ({@link #landingRecv}); back to multishot after {@link #QUIET_RECVS} RECVs in a row without one.
     */
    boolean landingMode;
    int quietRecvs;
    static final int QUIET_RECVS = 16;
    /** Of a {@link #direct} link: polls in a row that brought few bytes while no request lacked many. */
    int smallPolls;
    /** Its RECV ended and is to be submitted again. */
    boolean rearm;
    boolean sendInFlight;
    /** The SEND in flight is a SENDMSG of heap and device replies (counted by {@link ReplyQueue#sentStream}). */
    boolean streamSend;
    /**
     * The SEND in flight is zero-copy: it stays in flight until its notification, and the device replies
     * it sent whole wait here for it before their buffers go back.
     */
    boolean zeroCopy;
    final List<DeviceReply> sentAwaitingNotif = new ArrayList<>();
    MemorySegment recvBuffer;
    MemorySegment sendBuffer;
    private Arena sendArena;
    /** A msghdr and its iovecs, for SENDMSG; made on first use. */
    private MemorySegment msg;
    /** What the last {@link #gather} put in: iovecs, and bytes of device replies among them. */
    int gathered;
    long gatheredDeviceBytes;
    /** The connection is closed; the link waits for its requests to end, then is freed. */
    boolean closed;

    UringLink(Connection c, long id) {
        this.c = c;
        this.id = id;
    }

    boolean idle() {
        return !recvArmed && !sendInFlight;
    }

    /** A send buffer of at least {@code n} bytes (a power of two, grown as replies need). */
    MemorySegment sendBuffer(int n) {
        if (sendBuffer == null || sendBuffer.byteSize() < n) {
            if (sendArena != null) {
                sendArena.close();
            }
            sendArena = Arena.ofConfined();
            sendBuffer = sendArena.allocate(Math.max(4096, Integer.highestOneBit(Math.max(1, n - 1)) << 1), 64);
        }
        return sendBuffer;
    }

    /** Gives back a send buffer grown past {@code keep} bytes (the connection is idle, no send in flight). */
    void trimSendBuffer(long keep) {
        if (!sendInFlight && sendBuffer != null && sendBuffer.byteSize() > keep) {
            sendArena.close();
            sendArena = null;
            sendBuffer = null;
        }
    }

    /**
     * Fills the msghdr with the replies that can go now, in their order, up to the first device reply
     * whose read has not completed, {@link #MAX_IOV} pieces, or about {@link #MAX_SEND} bytes. Returns
     * the msghdr, or null when nothing can go yet (the first reply's read is in flight: its completion
     * brings the connection back). {@link #gathered} and {@link #gatheredDeviceBytes} say what it holds.
     */
    MemorySegment gather() {
        if (msg == null) {
            msg = arena.allocate(SocketSqes.MSGHDR_SIZE + 16L * MAX_IOV, 64);
        }
        int want = Math.min(c.out.size() - c.replies.sentOffset(), MAX_SEND);
        if (want > 0) {
            sendBuffer(want);
        }
        MemorySegment iov = msg.asSlice(SocketSqes.MSGHDR_SIZE);
        int count = 0;
        long total = 0;
        long deviceBytes = 0;
        int copied = 0;
        int heapFrom = c.replies.sentOffset();
        boolean stopped = false;
        for (DeviceReply r : c.replies.deferred) {
            int heapTo = (int) r.at;
            // Room for the heap replies before it and all its pieces, or the send ends before them.
            if (count + (heapTo > heapFrom ? 1 : 0) + r.pieceCount > MAX_IOV) {
                stopped = true;
                break;
            }
            if (heapTo > heapFrom) {
                int k = Math.min(heapTo - heapFrom, want - copied);
                if (k > 0) {
                    count = heapPiece(iov, count, heapFrom, copied, k);
                    copied += k;
                    total += k;
                }
                if (heapFrom + k < heapTo) {
                    stopped = true; // the send buffer is full
                    break;
                }
                heapFrom = heapTo;
            }
            if (!r.done || total >= MAX_SEND) {
                stopped = true;
                break;
            }
            long skip = r.sent;
            for (int i = 0; i < r.pieceCount; i++) {
                MemorySegment p = r.pieces[i];
                if (skip >= p.byteSize()) {
                    skip -= p.byteSize();
                    continue;
                }
                count = iovec(iov, count, p.address() + skip, p.byteSize() - skip);
                total += p.byteSize() - skip;
                deviceBytes += p.byteSize() - skip;
                skip = 0;
            }
        }
        if (!stopped && heapFrom < c.out.size() && count < MAX_IOV) {
            int k = Math.min(c.out.size() - heapFrom, want - copied);
            if (k > 0) {
                count = heapPiece(iov, count, heapFrom, copied, k);
            }
        }
        gathered = count;
        gatheredDeviceBytes = deviceBytes;
        if (count == 0) {
            return null;
        }
        SocketSqes.msghdr(msg, iov, count);
        return msg;
    }

    /** Heap replies [from, from + n) copied into the send buffer at {@code at}: one iovec. */
    private int heapPiece(MemorySegment iov, int count, int from, int at, int n) {
        MemorySegment.copy(c.out.buffer(), from, sendBuffer, ValueLayout.JAVA_BYTE, at, n);
        return iovec(iov, count, sendBuffer.address() + at, n);
    }

    private static int iovec(MemorySegment iov, int count, long address, long length) {
        iov.set(ValueLayout.JAVA_LONG, 16L * count, address);
        iov.set(ValueLayout.JAVA_LONG, 16L * count + 8, length);
        return count + 1;
    }

    void free() {
        if (sendArena != null) {
            sendArena.close();
            sendArena = null;
        }
        arena.close();
    }
}
