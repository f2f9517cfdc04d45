package io.rawio.uring;

import static io.rawio.uring.IoUringConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Iovec;
import io.rawio.nativeio.Uname;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The socket SQEs: each one's fields as the kernel reads them, then each against this kernel over
 * loopback (multishot accept, multishot recv from a buffer ring, send, sendmsg, PROVIDE_BUFFERS,
 * cancel, a wait with a timeout).
 */
@Timeout(30)
class SocketSqesTest {
    record Cqe(long userData, int res, int flags) {
    }

    private static MemorySegment sqe(Arena a) {
        MemorySegment s = a.allocate(SqeDescriptor.SIZE, 8);
        s.fill((byte) 0x5a); // prep clears what it does not set
        return s;
    }

    private static int u8(MemorySegment s, long at) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, at));
    }

    private static int u16(MemorySegment s, long at) {
        return Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT, at));
    }

    private static int i32(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_INT, at);
    }

    private static long i64(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_LONG, at);
    }

    @Test
    void eachSqeHasTheFieldsTheKernelReads() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(128, 8);
            MemorySegment s = sqe(a);
            SocketSqes.accept(s, 0, 7, NetConstants.SOCK_CLOEXEC, true, 41);
            assertEquals(IORING_OP_ACCEPT, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(7, i32(s, SqeDescriptor.FD_OFFSET));
            assertEquals(0, i64(s, SqeDescriptor.ADDR_OFFSET), "no peer address asked for");
            assertEquals(0, i64(s, SqeDescriptor.OFF_OFFSET), "no address length");
            assertEquals(0, i32(s, SqeDescriptor.LEN_OFFSET), "len must be 0 for ACCEPT");
            assertEquals(NetConstants.SOCK_CLOEXEC, i32(s, SqeDescriptor.OP_FLAGS_OFFSET), "accept_flags");
            assertEquals(IORING_ACCEPT_MULTISHOT, u16(s, SqeDescriptor.IOPRIO_OFFSET), "multishot in ioprio");
            assertEquals(41, i64(s, SqeDescriptor.USER_DATA_OFFSET));
            assertEquals(0, i64(s, SqeDescriptor.ADDR3_OFFSET));
            SocketSqes.accept(s, 0, 7, 0, false, 41);
            assertEquals(0, u16(s, SqeDescriptor.IOPRIO_OFFSET));

            s = sqe(a);
            SocketSqes.recv(s, 0, 9, buf, 100, NetConstants.MSG_DONTWAIT, 42);
            assertEquals(IORING_OP_RECV, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(9, i32(s, SqeDescriptor.FD_OFFSET));
            assertEquals(buf.address(), i64(s, SqeDescriptor.ADDR_OFFSET));
            assertEquals(100, i32(s, SqeDescriptor.LEN_OFFSET));
            assertEquals(NetConstants.MSG_DONTWAIT, i32(s, SqeDescriptor.OP_FLAGS_OFFSET), "msg_flags");
            assertEquals(0, u8(s, SqeDescriptor.FLAGS_OFFSET));

            s = sqe(a);
            SocketSqes.recvSelect(s, 0, 9, 3, 0, true, 43);
            assertEquals(IORING_OP_RECV, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(0, i64(s, SqeDescriptor.ADDR_OFFSET), "the kernel picks the buffer");
            assertEquals(0, i32(s, SqeDescriptor.LEN_OFFSET), "0: up to a whole buffer");
            assertEquals(IOSQE_BUFFER_SELECT, u8(s, SqeDescriptor.FLAGS_OFFSET));
            assertEquals(3, u16(s, SqeDescriptor.BUF_INDEX_OFFSET), "buf_group");
            assertEquals(IORING_RECV_MULTISHOT, u16(s, SqeDescriptor.IOPRIO_OFFSET));

            s = sqe(a);
            SocketSqes.send(s, 0, 10, buf, 64, NetConstants.MSG_NOSIGNAL, 44);
            assertEquals(IORING_OP_SEND, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(buf.address(), i64(s, SqeDescriptor.ADDR_OFFSET));
            assertEquals(64, i32(s, SqeDescriptor.LEN_OFFSET));
            assertEquals(NetConstants.MSG_NOSIGNAL, i32(s, SqeDescriptor.OP_FLAGS_OFFSET));

            s = sqe(a);
            SocketSqes.sendmsg(s, 0, 10, buf, NetConstants.MSG_NOSIGNAL, 45);
            assertEquals(IORING_OP_SENDMSG, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(buf.address(), i64(s, SqeDescriptor.ADDR_OFFSET), "the msghdr");
            assertEquals(1, i32(s, SqeDescriptor.LEN_OFFSET));

            s = sqe(a);
            SocketSqes.provideBuffers(s, 0, 0x10000, 4096, 8, 5, 2, 46);
            assertEquals(IORING_OP_PROVIDE_BUFFERS, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(8, i32(s, SqeDescriptor.FD_OFFSET), "the count travels in fd");
            assertEquals(0x10000, i64(s, SqeDescriptor.ADDR_OFFSET));
            assertEquals(4096, i32(s, SqeDescriptor.LEN_OFFSET), "each buffer's length");
            assertEquals(2, i64(s, SqeDescriptor.OFF_OFFSET), "the first id travels in off");
            assertEquals(5, u16(s, SqeDescriptor.BUF_INDEX_OFFSET), "buf_group");

            s = sqe(a);
            SocketSqes.removeBuffers(s, 0, 8, 5, 47);
            assertEquals(IORING_OP_REMOVE_BUFFERS, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(8, i32(s, SqeDescriptor.FD_OFFSET));
            assertEquals(5, u16(s, SqeDescriptor.BUF_INDEX_OFFSET));

            s = sqe(a);
            SocketSqes.cancel(s, 0, 0x1234_5678_9abcL, 48);
            assertEquals(IORING_OP_ASYNC_CANCEL, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(-1, i32(s, SqeDescriptor.FD_OFFSET));
            assertEquals(0x1234_5678_9abcL, i64(s, SqeDescriptor.ADDR_OFFSET), "the target's user_data");
            assertEquals(0, i32(s, SqeDescriptor.OP_FLAGS_OFFSET));
            SocketSqes.cancelFd(s, 0, 12, 48);
            assertEquals(12, i32(s, SqeDescriptor.FD_OFFSET));
            assertEquals(IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL, i32(s, SqeDescriptor.OP_FLAGS_OFFSET));

            s = sqe(a);
            SocketSqes.poll(s, 0, 14, NetConstants.POLLIN, 50);
            assertEquals(IORING_OP_POLL_ADD, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(14, i32(s, SqeDescriptor.FD_OFFSET));
            assertEquals(NetConstants.POLLIN, i32(s, SqeDescriptor.OP_FLAGS_OFFSET), "poll32_events");
            assertEquals(0, i32(s, SqeDescriptor.LEN_OFFSET), "one-shot: no IORING_POLL_ADD_MULTI");
            assertEquals(50, i64(s, SqeDescriptor.USER_DATA_OFFSET));

            s = sqe(a);
            SocketSqes.shutdown(s, 0, 13, NetConstants.SHUT_WR, 49);
            assertEquals(IORING_OP_SHUTDOWN, u8(s, SqeDescriptor.OPCODE_OFFSET));
            assertEquals(13, i32(s, SqeDescriptor.FD_OFFSET));
            assertEquals(NetConstants.SHUT_WR, i32(s, SqeDescriptor.LEN_OFFSET), "how travels in len");

            MemorySegment iov = a.allocate(32, 8);
            MemorySegment msg = a.allocate(SocketSqes.MSGHDR_SIZE, 8);
            msg.fill((byte) 1);
            SocketSqes.msghdr(msg, iov, 2);
            assertEquals(0, i64(msg, SocketSqes.MSG_NAME_OFFSET));
            assertEquals(iov.address(), i64(msg, SocketSqes.MSG_IOV_OFFSET));
            assertEquals(2, i64(msg, SocketSqes.MSG_IOVLEN_OFFSET));
            assertEquals(0, i64(msg, SocketSqes.MSG_CONTROL_OFFSET));
            assertEquals(0, i32(msg, SocketSqes.MSG_FLAGS_OFFSET));

            assertEquals(7, SocketSqes.bufferId(IORING_CQE_F_BUFFER | IORING_CQE_F_MORE | (7 << IORING_CQE_BUFFER_SHIFT)));
            assertEquals(-1, SocketSqes.bufferId(IORING_CQE_F_MORE));
            assertTrue(SocketSqes.more(IORING_CQE_F_MORE));
            assertFalse(SocketSqes.more(IORING_CQE_F_BUFFER));
        }
    }

    // ------------------------------------------------------------------ against the kernel

    private static boolean atLeast(int major, int minor) {
        int[] v = Uname.get().kernelVersion();
        return v[0] > major || (v[0] == major && v[1] >= minor);
    }

    private static void assumeRing() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    /** Submits what is filled and collects CQEs until there are {@code n} (each wait bounded). */
    private static List<Cqe> await(IoUring ring, int n) {
        List<Cqe> got = new ArrayList<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (got.size() < n) {
            assertTrue(System.nanoTime() < deadline, "completions within 10 s: " + got);
            int r = ring.submitAndWait(1, 1_000_000_000L);
            assertTrue(r >= 0 || r == -Errno.ETIME || r == -Errno.EINTR, "io_uring_enter: " + Errno.name(-r));
            ring.reap((u, res, f) -> got.add(new Cqe(u, res, f)));
        }
        return got;
    }

    private static String text(MemorySegment s, int n) {
        return new String(s.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
    }

    private static MemorySegment bytes(Arena a, String text) {
        return a.allocateFrom(ValueLayout.JAVA_BYTE, text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String read(InputStream in, int n) throws Exception {
        return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
    }

    /**
     * Multishot accept takes two connections from one SQE; a multishot recv from a buffer ring gets
     * each write into a buffer it names; SEND and SENDMSG (two iovecs) reach the client; the client's
     * close ends the recv (res 0, no IORING_CQE_F_MORE).
     */
    @Test
    void multishotAcceptAndRecvFromABufferRingThenSendAndSendmsg() throws Exception {
        assumeRing();
        assumeTrue(atLeast(6, 0), "multishot recv needs Linux 6.0: " + Uname.get().release());
        int listen = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16, false);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(16)); Arena a = Arena.ofConfined();
                BufferRing buffers = BufferRing.register(ring, 1, 8, 64)) {
            assertTrue(ring.canWaitWithTimeout());
            int port = Sockets.localAddress(listen).getPort();
            SocketSqes.accept(ring.sqeArray(), ring.nextSqeOffset(), listen, NetConstants.SOCK_CLOEXEC, true, 1);
            ring.submitAndGetEvents();
            try (Socket c1 = new Socket(InetAddress.getLoopbackAddress(), port);
                    Socket c2 = new Socket(InetAddress.getLoopbackAddress(), port)) {
                c1.setSoTimeout(10_000);
                List<Cqe> accepted = await(ring, 2);
                int fd = -1;
                for (Cqe c : accepted) {
                    assertEquals(1, c.userData());
                    assertTrue(c.res() >= 0, "accept: " + Errno.name(-c.res()));
                    assertTrue(SocketSqes.more(c.flags()), "the multishot accept goes on");
                    fd = fd < 0 ? c.res() : fd;
                }
                // Which accepted descriptor is c1's: the first (the kernel accepts in arrival order).
                SocketSqes.recvSelect(ring.sqeArray(), ring.nextSqeOffset(), fd, buffers.group(), 0, true, 2);
                ring.submitAndGetEvents();
                c1.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                List<Cqe> r = await(ring, 1);
                assertEquals(2, r.getFirst().userData());
                assertEquals(5, r.getFirst().res());
                assertTrue(SocketSqes.more(r.getFirst().flags()));
                int id = SocketSqes.bufferId(r.getFirst().flags());
                assertTrue(id >= 0 && id < 8, "a buffer of the ring: " + id);
                assertEquals("hello", text(buffers.buffer(id), 5));
                buffers.recycle(id);
                buffers.publish();
                // More than one buffer's worth: the recv fills buffers one after another.
                String big = "x".repeat(100) + "y".repeat(50);
                c1.getOutputStream().write(big.getBytes(StandardCharsets.US_ASCII));
                StringBuilder got = new StringBuilder();
                while (got.length() < big.length()) {
                    for (Cqe c : await(ring, 1)) { // maybe several at once, in order
                        assertTrue(c.res() > 0 && c.res() <= 64, "at most a buffer: " + c.res());
                        assertTrue(SocketSqes.more(c.flags()));
                        int b = SocketSqes.bufferId(c.flags());
                        got.append(text(buffers.buffer(b), c.res()));
                        buffers.recycle(b);
                    }
                    buffers.publish();
                }
                assertEquals(big, got.toString());

                MemorySegment pong = bytes(a, "+PONG\r\n");
                SocketSqes.send(ring.sqeArray(), ring.nextSqeOffset(), fd, pong, 7, NetConstants.MSG_NOSIGNAL, 3);
                assertEquals(new Cqe(3, 7, 0), await(ring, 1).getFirst());
                assertEquals("+PONG\r\n", read(c1.getInputStream(), 7));

                MemorySegment iov = a.allocate(2 * Iovec.SIZE, 8);
                MemorySegment first = bytes(a, "$3\r\n");
                MemorySegment second = bytes(a, "abc\r\n");
                Iovec.set(iov, 0, first, 4);
                Iovec.set(iov, 1, second, 5);
                MemorySegment msg = a.allocate(SocketSqes.MSGHDR_SIZE, 8);
                SocketSqes.msghdr(msg, iov, 2);
                SocketSqes.sendmsg(ring.sqeArray(), ring.nextSqeOffset(), fd, msg, NetConstants.MSG_NOSIGNAL, 4);
                assertEquals(new Cqe(4, 9, 0), await(ring, 1).getFirst());
                assertEquals("$3\r\nabc\r\n", read(c1.getInputStream(), 9));

                c1.close();
                Cqe end = await(ring, 1).getFirst();
                assertEquals(2, end.userData());
                assertEquals(0, end.res(), "end of stream");
                assertFalse(SocketSqes.more(end.flags()), "the multishot recv ended");
                Sockets.close(fd);
                for (Cqe c : accepted) {
                    if (c.res() != fd) {
                        Sockets.close(c.res());
                    }
                }
            }
        } finally {
            Sockets.close(listen);
        }
    }

    /** The older hand-over: PROVIDE_BUFFERS, a one-shot recv picking one, REMOVE_BUFFERS of the rest. */
    @Test
    void provideBuffersThenARecvPicksOne() throws Exception {
        assumeRing();
        assumeTrue(IoUring.supports(IORING_OP_PROVIDE_BUFFERS), "no PROVIDE_BUFFERS");
        int listen = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16, false);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(16)); Arena a = Arena.ofConfined();
                Socket c = new Socket(InetAddress.getLoopbackAddress(), Sockets.localAddress(listen).getPort())) {
            MemorySegment mem = a.allocate(4 * 32, 8);
            SocketSqes.provideBuffers(ring.sqeArray(), ring.nextSqeOffset(), mem.address(), 32, 4, 7, 10, 1);
            assertEquals(new Cqe(1, 0, 0), await(ring, 1).getFirst());
            SocketSqes.accept(ring.sqeArray(), ring.nextSqeOffset(), listen, NetConstants.SOCK_CLOEXEC, false, 2);
            Cqe acc = await(ring, 1).getFirst();
            assertTrue(acc.res() >= 0, "accept: " + Errno.name(-acc.res()));
            assertFalse(SocketSqes.more(acc.flags()), "one-shot");
            int fd = acc.res();
            c.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            SocketSqes.recvSelect(ring.sqeArray(), ring.nextSqeOffset(), fd, 7, 0, false, 3);
            Cqe r = await(ring, 1).getFirst();
            assertEquals(6, r.res());
            int id = SocketSqes.bufferId(r.flags());
            assertTrue(id >= 10 && id < 14, "one of ids 10..13: " + id);
            assertEquals("PING\r\n", text(mem.asSlice((long) (id - 10) * 32), 6));
            SocketSqes.removeBuffers(ring.sqeArray(), ring.nextSqeOffset(), 8, 7, 4);
            assertEquals(new Cqe(4, 3, 0), await(ring, 1).getFirst(), "three left to take back");
            Sockets.close(fd);
        } finally {
            Sockets.close(listen);
        }
    }

    /** A poll waits until the socket has bytes, then says POLLIN; the bytes are still there to read. */
    @Test
    void aPollCompletesWhenBytesArriveAndLeavesThemInTheSocket() throws Exception {
        assumeRing();
        int listen = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16, false);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(16));
                Socket c = new Socket(InetAddress.getLoopbackAddress(), Sockets.localAddress(listen).getPort())) {
            SocketSqes.accept(ring.sqeArray(), ring.nextSqeOffset(), listen, NetConstants.SOCK_CLOEXEC, false, 1);
            int fd = await(ring, 1).getFirst().res();
            assertTrue(fd >= 0, "accept: " + Errno.name(-fd));
            SocketSqes.poll(ring.sqeArray(), ring.nextSqeOffset(), fd, NetConstants.POLLIN, 2);
            ring.submitAndGetEvents();
            assertEquals(-Errno.ETIME, ring.submitAndWait(1, 30_000_000L), "nothing sent yet: the poll waits");
            c.getOutputStream().write("hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            Cqe q = await(ring, 1).getFirst();
            assertEquals(2, q.userData());
            assertTrue(q.res() > 0 && (q.res() & NetConstants.POLLIN) != 0, "POLLIN: " + q.res());
            byte[] got = new byte[16];
            assertEquals(5, Sockets.recvNow(fd, got, 0, got.length), "the poll read nothing");
            assertEquals("hello", new String(got, 0, 5, java.nio.charset.StandardCharsets.US_ASCII));
            Sockets.close(fd);
        } finally {
            Sockets.close(listen);
        }
    }

    /** A recv waiting for data is cancelled by its user_data; a wait with nothing to come times out. */
    @Test
    void aCancelEndsAWaitingRecvAndAWaitTimesOut() throws Exception {
        assumeRing();
        int listen = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16, false);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(16)); Arena a = Arena.ofConfined();
                Socket c = new Socket(InetAddress.getLoopbackAddress(), Sockets.localAddress(listen).getPort())) {
            SocketSqes.accept(ring.sqeArray(), ring.nextSqeOffset(), listen, NetConstants.SOCK_CLOEXEC, false, 1);
            int fd = await(ring, 1).getFirst().res();
            assertTrue(fd >= 0, "accept: " + Errno.name(-fd));
            MemorySegment buf = a.allocate(64);
            SocketSqes.recv(ring.sqeArray(), ring.nextSqeOffset(), fd, buf, 64, 0, 2);
            ring.submitAndGetEvents();
            long t0 = System.nanoTime();
            assertEquals(-Errno.ETIME, ring.submitAndWait(1, 50_000_000L), "nothing comes: the wait times out");
            assertTrue(System.nanoTime() - t0 >= 40_000_000L, "waited about 50 ms");
            SocketSqes.cancel(ring.sqeArray(), ring.nextSqeOffset(), 2, 3);
            List<Cqe> got = await(ring, 2);
            for (Cqe q : got) {
                if (q.userData() == 2) {
                    assertEquals(-Errno.ECANCELED, q.res(), "the recv was cancelled");
                } else {
                    assertEquals(new Cqe(3, 0, 0), q);
                }
            }
            Sockets.close(fd);
        } finally {
            Sockets.close(listen);
        }
    }
}
