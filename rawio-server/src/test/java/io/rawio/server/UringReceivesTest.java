package io.rawio.server;

import static io.rawio.uring.IoUringConstants.IORING_CQE_F_MORE;
import static io.rawio.uring.IoUringConstants.IORING_OP_ASYNC_CANCEL;
import static io.rawio.uring.IoUringConstants.IORING_OP_POLL_ADD;
import static io.rawio.uring.IoUringConstants.IORING_OP_RECV;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.nativeio.Errno;
import io.rawio.server.resp.RequestParser;
import io.rawio.uring.SqeDescriptor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The io_uring loop's receives without a ring: the SQEs they fill are read back from a plain array, and
 * the completions are handed in as the kernel would give them (a RECV into the link's own buffer, a
 * multishot one going on, a cancel that came too late, a POLL that brought nothing).
 */
class UringReceivesTest {
    private static final int DIRECT = 65536;
    private static final int FD = 42;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment sqes = arena.allocate(64L * SqeDescriptor.SIZE, 64);
    private final Hooks hooks = new Hooks();
    private final List<UringLink> links = new ArrayList<>();

    /** A loop that hands out the array's SQEs in turn and records what the receives asked of it. */
    private static final class Hooks implements UringReceives.Loop {
        int sqes;
        UringFeatures features = new UringFeatures(false, false, true, 8, 4096, DIRECT, 0, List.of());
        final List<Connection> ready = new ArrayList<>();
        final List<Connection> failed = new ArrayList<>();
        final List<UringLink> forgotten = new ArrayList<>();

        @Override
        public long sqe() {
            return (long) sqes++ * SqeDescriptor.SIZE;
        }

        @Override
        public long recvTag(UringLink l) {
            return (2L << 56) | l.id;
        }

        @Override
        public long cancelTag(UringLink l) {
            return (4L << 56) | l.id;
        }

        @Override
        public void ready(Connection c) {
            ready.add(c);
        }

        @Override
        public void fail(Connection c) {
            failed.add(c);
        }

        @Override
        public void forget(UringLink l) {
            forgotten.add(l);
        }

        @Override
        public long nowMs() {
            return 1;
        }

        @Override
        public UringFeatures features() {
            return features;
        }

        @Override
        public void features(UringFeatures f) {
            features = f;
        }
    }

    @AfterEach
    void free() {
        links.forEach(UringLink::free);
        arena.close();
    }

    private UringLink link() {
        UringLink l = new UringLink(new Connection(FD, 1L << 30, new Session(true)), links.size() + 1);
        links.add(l);
        return l;
    }

    private byte opcode(int sqe) {
        return sqes.get(ValueLayout.JAVA_BYTE, (long) sqe * SqeDescriptor.SIZE + SqeDescriptor.OPCODE_OFFSET);
    }

    private long userData(int sqe) {
        return sqes.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) sqe * SqeDescriptor.SIZE + SqeDescriptor.USER_DATA_OFFSET);
    }

    private long addr(int sqe) {
        return sqes.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) sqe * SqeDescriptor.SIZE + SqeDescriptor.ADDR_OFFSET);
    }

    private int fd(int sqe) {
        return sqes.get(ValueLayout.JAVA_INT_UNALIGNED, (long) sqe * SqeDescriptor.SIZE + SqeDescriptor.FD_OFFSET);
    }

    /** What a RECV of {@code l} received into its own buffer: the bytes of {@code s}; returns their count. */
    private static int arrive(UringLink l, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, l.recvBuffer, 0, b.length);
        return b.length;
    }

    /** A multishot RECV that took the head of a 1 MiB SET, parsed: the request lacks almost all of it. */
    private UringLink largeValueOnItsWay(UringReceives r) {
        UringLink l = link();
        r.open(l);
        int n = arrive(l, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\nabc");
        r.completed(l, n, IORING_CQE_F_MORE);
        l.c.parse(new RequestParser(8L << 20));
        r.goDirectIfLarge(l); // as the loop's settle does after the round parsed
        return l;
    }

    @Test
    void aRecvIsArmedAtOpenAndAgainOnceItEnded() {
        UringReceives r = new UringReceives(sqes, null, hooks);
        UringLink l = link();
        r.open(l);
        assertEquals(1, hooks.sqes);
        assertEquals(IORING_OP_RECV, opcode(0));
        assertEquals(FD, fd(0));
        assertEquals(hooks.recvTag(l), userData(0));
        assertTrue(l.recvArmed);

        int n = arrive(l, "*1\r\n$4\r\nPING\r\n");
        r.completed(l, n, 0); // a one-shot RECV: it ended with this CQE
        assertEquals(n, l.c.queryBytes(), "the bytes are in the query buffer");
        assertEquals(List.of(l.c), hooks.ready);
        assertFalse(l.recvArmed);
        assertEquals(1, hooks.sqes, "submitted again after the reap, not in the middle of it");
        r.rearmEnded();
        assertEquals(2, hooks.sqes);
        assertEquals(IORING_OP_RECV, opcode(1));
        r.rearmEnded();
        assertEquals(2, hooks.sqes, "armed once");

        n = arrive(l, "*1\r\n$4\r\nPING\r\n");
        r.completed(l, n, IORING_CQE_F_MORE); // a multishot one goes on
        r.rearmEnded();
        assertEquals(2, hooks.sqes);
        assertTrue(l.recvArmed);
    }

    @Test
    void aLargeValueOnItsWayCancelsTheRecvAndAPollTakesItsPlace() {
        UringReceives r = new UringReceives(sqes, null, hooks);
        UringLink l = largeValueOnItsWay(r);
        assertTrue(l.direct);
        assertEquals(2, hooks.sqes);
        assertEquals(IORING_OP_ASYNC_CANCEL, opcode(1));
        assertEquals(hooks.recvTag(l), addr(1), "the cancel names the RECV");
        assertEquals(hooks.cancelTag(l), userData(1));

        int before = l.c.queryBytes();
        int n = arrive(l, "defg");
        r.completed(l, n, IORING_CQE_F_MORE); // bytes the RECV took before the cancel reached it
        assertEquals(before + 4, l.c.queryBytes(), "kept");
        assertEquals(2, hooks.sqes, "one cancel");
        r.cancelled(l, 0);
        r.completed(l, -Errno.ECANCELED, 0); // the RECV's last CQE
        assertTrue(hooks.failed.isEmpty());
        r.rearmEnded();
        assertEquals(3, hooks.sqes);
        assertEquals(IORING_OP_POLL_ADD, opcode(2));
        assertEquals(FD, fd(2));
        assertEquals(hooks.recvTag(l), userData(2), "the POLL is answered as the RECV was");
        assertTrue(l.polling);
    }

    @Test
    void aCancelTooLateLeavesTheRecvGoingOnAndALaterLargeRequestCancelsAgain() {
        UringReceives r = new UringReceives(sqes, null, hooks);
        UringLink l = largeValueOnItsWay(r);
        r.cancelled(l, -Errno.EALREADY);
        assertFalse(l.direct, "the RECV goes on: not direct");
        int n = arrive(l, "hij");
        r.completed(l, n, IORING_CQE_F_MORE);
        assertTrue(l.direct, "the request still lacks a MiB: cancelled again");
        assertEquals(IORING_OP_ASYNC_CANCEL, opcode(hooks.sqes - 1));
        assertEquals(3, hooks.sqes);
    }

    @Test
    void afterSmallPollsInARowTheRecvComesBack() {
        UringReceives r = new UringReceives(sqes, null, hooks);
        UringLink l = link();
        l.direct = true;
        r.open(l);
        assertEquals(IORING_OP_POLL_ADD, opcode(0));
        for (int i = 1; i < UringLink.SMALL_POLLS; i++) {
            r.completed(l, -Errno.EAGAIN, 0); // nothing to read: no large request waits
            r.rearmEnded();
            assertEquals(IORING_OP_POLL_ADD, opcode(i), "poll " + i);
        }
        r.completed(l, -Errno.EAGAIN, 0);
        r.rearmEnded();
        assertFalse(l.direct);
        assertEquals(IORING_OP_RECV, opcode(UringLink.SMALL_POLLS));
    }

    @Test
    void theEndOfTheStreamAResetAndAFailure() {
        UringReceives r = new UringReceives(sqes, null, hooks);
        UringLink eof = link();
        UringLink reset = link();
        UringLink broken = link();
        for (UringLink l : List.of(eof, reset, broken)) {
            r.open(l);
        }
        r.completed(eof, 0, 0);
        r.completed(reset, -Errno.ECONNRESET, 0);
        r.completed(broken, -Errno.EFAULT, 0);
        assertTrue(eof.c.atEof());
        assertTrue(reset.c.atEof());
        assertEquals(List.of(eof.c, reset.c), hooks.ready);
        assertEquals(List.of(broken.c), hooks.failed);
        r.rearmEnded();
        assertEquals(3, hooks.sqes, "nothing received again after the end");
    }

    @Test
    void aClosedLinkIsForgottenWhenItsLastRequestEnds() {
        UringReceives r = new UringReceives(sqes, null, hooks);
        UringLink l = link();
        r.open(l);
        l.closed = true;
        r.completed(l, arrive(l, "late"), IORING_CQE_F_MORE);
        assertTrue(hooks.forgotten.isEmpty(), "its RECV goes on");
        assertEquals(0, l.c.queryBytes(), "nothing taken for a closed connection");
        r.completed(l, -Errno.ECANCELED, 0);
        assertEquals(List.of(l), hooks.forgotten);
        r.completed(null, 5, 0); // a link already gone: nothing happens
        r.rearmEnded();
        assertEquals(1, hooks.sqes);
    }

    private int len(int sqe) {
        return sqes.get(ValueLayout.JAVA_INT_UNALIGNED, (long) sqe * SqeDescriptor.SIZE + SqeDescriptor.LEN_OFFSET);
    }

    private int msgFlags(int sqe) {
        return sqes.get(ValueLayout.JAVA_INT_UNALIGNED, (long) sqe * SqeDescriptor.SIZE + SqeDescriptor.OP_FLAGS_OFFSET);
    }

    @Test
    void aLargeSetValueIsReceivedByARecvStraightIntoItsStoreBuffer() {
        hooks.features = new UringFeatures(false, false, true, 8, 4096, 0, 65536, List.of());
        UringReceives r = new UringReceives(sqes, null, hooks);
        io.rawio.store.ValueBuffers pool = new io.rawio.store.ValueBuffers();
        RequestParser parser = new RequestParser(8L << 20);
        UringLink l = new UringLink(new Connection(FD, 1L << 30, new Session(true), new ValueLanding(pool, parser,
                () -> { })), 99);
        links.add(l);
        r.open(l);
        String head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$200000\r\n";
        r.completed(l, arrive(l, head + "abc"), IORING_CQE_F_MORE); // a multishot RECV took the head
        assertEquals(1, pool.lent(), "the value has its buffer from its header on");
        assertEquals(IORING_OP_ASYNC_CANCEL, opcode(1), "the RECV makes way");
        r.completed(l, arrive(l, "defg"), IORING_CQE_F_MORE); // taken before the cancel reached it
        assertEquals(2, hooks.sqes, "one cancel");
        r.completed(l, -Errno.ECANCELED, 0);
        r.rearmEnded();
        assertEquals(IORING_OP_RECV, opcode(2));
        assertEquals(200_000 - 7, len(2), "the rest of the value");
        assertEquals(io.rawio.net.NetConstants.MSG_WAITALL, msgFlags(2));
        assertTrue(l.landingRecv);
        // The kernel puts the bytes where the SQE says, and completes it.
        MemorySegment target = MemorySegment.ofAddress(addr(2)).reinterpret(len(2));
        target.fill((byte) 'v');
        l.c.closeSoon(); // a close now keeps the buffer: the kernel may still write it
        l.closed = true;
        assertEquals(1, pool.lent(), "not given back while the RECV is in the ring");
        l.c.release();
        assertEquals(1, pool.lent(), "not even by the loop's close");
        r.completed(l, len(2), 0);
        assertEquals(0, pool.lent(), "back once the RECV ended");
        assertEquals(List.of(l), hooks.forgotten);
        pool.close();
    }

    @Test
    void aLandedValueParsesWithWhatTheRecvPutInItsBuffer() {
        hooks.features = new UringFeatures(false, false, true, 8, 4096, 0, 65536, List.of());
        UringReceives r = new UringReceives(sqes, null, hooks);
        io.rawio.store.ValueBuffers pool = new io.rawio.store.ValueBuffers();
        RequestParser parser = new RequestParser(8L << 20);
        UringLink l = new UringLink(new Connection(FD, 1L << 30, new Session(true), new ValueLanding(pool, parser,
                () -> { })), 98);
        links.add(l);
        r.open(l);
        r.completed(l, arrive(l, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\nab"), 0); // a one-shot RECV
        r.rearmEnded();
        assertEquals(IORING_OP_RECV, opcode(1));
        assertEquals(100_000 - 2, len(1));
        MemorySegment.ofAddress(addr(1)).reinterpret(len(1)).fill((byte) 'z');
        r.completed(l, 50_000, 0); // short: the rest comes by another
        r.rearmEnded();
        assertEquals(IORING_OP_RECV, opcode(2));
        assertEquals(100_000 - 2 - 50_000, len(2));
        assertEquals(addr(1) + 50_000, addr(2));
        MemorySegment.ofAddress(addr(2)).reinterpret(len(2)).fill((byte) 'z');
        r.completed(l, len(2), 0);
        r.rearmEnded();
        assertEquals(IORING_OP_RECV, opcode(3), "then the usual RECV, for the CRLF and what follows");
        assertFalse(l.landingRecv);
        r.completed(l, arrive(l, "\r\n"), 0);
        l.c.parse(parser);
        java.util.List<byte[]> req = l.c.peek();
        byte[] v = req.get(2);
        assertEquals(100_000, v.length);
        assertEquals('a', v[0]);
        assertEquals('b', v[1]);
        assertEquals('z', v[2]);
        assertEquals('z', v[99_999]);
        l.c.take();
        l.c.release();
        assertEquals(0, pool.lent());
        pool.close();
    }

    @Test
    void aMultishotRecvRefusedTurnsItOffAndReceivesAgain() {
        UringReceives r = new UringReceives(sqes, null, hooks);
        UringLink l = link();
        r.open(l);
        r.completed(l, -Errno.EINVAL, 0);
        assertFalse(hooks.features.multishotRecv());
        assertTrue(hooks.features.describe().contains("multishot recv refused"), hooks.features.describe());
        assertTrue(hooks.failed.isEmpty());
        r.rearmEnded();
        assertEquals(IORING_OP_RECV, opcode(1));
    }
}
