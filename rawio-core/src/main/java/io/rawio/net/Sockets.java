package io.rawio.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.rawio.nativeio.Libc;
import io.rawio.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Stream sockets through FFM: socket, bind, listen, accept4, connect, setsockopt, getsockname,
 * shutdown, recv and send (man 2 each). As {@link Libc}: each call returns its result, or -errno when it
 * failed, allocates nothing, and captures errno on the calling thread; the throwing forms
 * ({@link #listenTcp}, {@link #listenUnix}) are for setup, not for the loops.
 */
public final class Sockets {
    private Sockets() {
    }

    private static final MethodHandle SOCKET = Libc.errnoCall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = Libc.errnoCall("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = Libc.errnoCall("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = Libc.errnoCall("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = Libc.errnoCall("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = Libc.errnoCall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = Libc.errnoCall("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETPEERNAME = Libc.errnoCall("getpeername",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SHUTDOWN = Libc.errnoCall("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle RECV = Libc.errnoCall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SEND = Libc.errnoCall("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    /*
     * The same two calls linked as critical with heap access: the JVM passes a byte[] itself (no copy into
     * native memory) and holds up its garbage collector for the call. Only for calls that cannot block:
     * MSG_DONTWAIT is always added.
     */
    private static final MethodHandle RECV_HEAP = Libc.errnoCall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
            java.lang.foreign.Linker.Option.critical(true));
    private static final MethodHandle SEND_HEAP = Libc.errnoCall("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
            java.lang.foreign.Linker.Option.critical(true));

    private static int ret(int r, MemorySegment c) {
        return r < 0 ? -Libc.errno(c) : r;
    }

    private static long ret(long r, MemorySegment c) {
        return r < 0 ? -Libc.errno(c) : r;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    public static int socket(int domain, int type, int protocol) {
        MemorySegment c = Libc.captureState();
        try {
            return ret((int) SOCKET.invokeExact(c, domain, type, protocol), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int bind(int fd, MemorySegment sa, int length) {
        MemorySegment c = Libc.captureState();
        try {
            return ret((int) BIND.invokeExact(c, fd, sa, length), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int listen(int fd, int backlog) {
        MemorySegment c = Libc.captureState();
        try {
            return ret((int) LISTEN.invokeExact(c, fd, backlog), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** accept4(2) without the peer's address: the new descriptor, or -errno (-EAGAIN: none waiting). */
    public static int accept4(int fd, int flags) {
        MemorySegment c = Libc.captureState();
        try {
            return ret((int) ACCEPT4.invokeExact(c, fd, MemorySegment.NULL, MemorySegment.NULL, flags), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int connect(int fd, MemorySegment sa, int length) {
        MemorySegment c = Libc.captureState();
        try {
            return ret((int) CONNECT.invokeExact(c, fd, sa, length), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** setsockopt(2) of an int option. */
    public static int setIntOption(int fd, int level, int name, int value, MemorySegment scratch4) {
        scratch4.set(JAVA_INT, 0, value);
        MemorySegment c = Libc.captureState();
        try {
            return ret((int) SETSOCKOPT.invokeExact(c, fd, level, name, scratch4, 4), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getsockname(2) into {@code sa} (MAX_SIZE bytes), its length in {@code length4}. */
    public static int getsockname(int fd, MemorySegment sa, MemorySegment length4) {
        length4.set(JAVA_INT, 0, SockaddrDescriptor.MAX_SIZE);
        MemorySegment c = Libc.captureState();
        try {
            return ret((int) GETSOCKNAME.invokeExact(c, fd, sa, length4), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int shutdown(int fd, int how) {
        MemorySegment c = Libc.captureState();
        try {
            return ret((int) SHUTDOWN.invokeExact(c, fd, how), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** recv(2): bytes received, 0 when the peer closed, or -errno (-EAGAIN: nothing yet). */
    public static long recv(int fd, MemorySegment buf, long length, int flags) {
        MemorySegment c = Libc.captureState();
        try {
            return ret((long) RECV.invokeExact(c, fd, buf, length, flags), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** send(2) with MSG_NOSIGNAL added: bytes sent (maybe fewer), or -errno (-EAGAIN: buffer full, -EPIPE). */
    public static long send(int fd, MemorySegment buf, long length, int flags) {
        MemorySegment c = Libc.captureState();
        try {
            return ret((long) SEND.invokeExact(c, fd, buf, length, flags | NetConstants.MSG_NOSIGNAL), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * recv(2) straight into {@code buf[off, off + length)} on the heap, never blocking (MSG_DONTWAIT):
     * bytes received, 0 when the peer closed, or -errno (-EAGAIN: nothing yet).
     */
    public static long recvNow(int fd, byte[] buf, int off, int length) {
        java.util.Objects.checkFromIndexSize(off, length, buf.length);
        MemorySegment c = Libc.captureState();
        try {
            return ret((long) RECV_HEAP.invokeExact(c, fd, MemorySegment.ofArray(buf).asSlice(off, length),
                    (long) length, NetConstants.MSG_DONTWAIT), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * send(2) straight from {@code buf[off, off + length)} on the heap, never blocking (MSG_DONTWAIT,
     * MSG_NOSIGNAL): bytes sent (maybe fewer), or -errno (-EAGAIN: the socket's buffer is full).
     */
    public static long sendNow(int fd, byte[] buf, int off, int length) {
        java.util.Objects.checkFromIndexSize(off, length, buf.length);
        MemorySegment c = Libc.captureState();
        try {
            return ret((long) SEND_HEAP.invokeExact(c, fd, MemorySegment.ofArray(buf).asSlice(off, length),
                    (long) length, NetConstants.MSG_DONTWAIT | NetConstants.MSG_NOSIGNAL), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(int fd) {
        return Libc.close(fd);
    }

    /**
     * A non-blocking TCP listening socket on {@code address} (port 0: any free one), SO_REUSEADDR set
     * (and SO_REUSEPORT when asked), with {@code backlog}.
     *
     * @throws NativeIoException naming the call that failed and the address
     */
    public static int listenTcp(InetSocketAddress address, int backlog, boolean reusePort) throws NativeIoException {
        return listenTcp(address, backlog, reusePort, true);
    }

    /**
     * The same, blocking when {@code nonBlocking} is false: accept4 then waits for a connection (a
     * thread-per-connection server; {@link #shutdown} of the listener wakes it with EINVAL).
     */
    public static int listenTcp(InetSocketAddress address, int backlog, boolean reusePort, boolean nonBlocking)
            throws NativeIoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockaddrDescriptor.MAX_SIZE, 8);
            int len = SockaddrDescriptor.encode(sa, address);
            int fd = socket(SockaddrDescriptor.family(sa), NetConstants.SOCK_STREAM
                    | (nonBlocking ? NetConstants.SOCK_NONBLOCK : 0) | NetConstants.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new NativeIoException("socket", -fd, address.toString());
            }
            MemorySegment four = a.allocate(JAVA_INT);
            int r = setIntOption(fd, NetConstants.SOL_SOCKET, NetConstants.SO_REUSEADDR, 1, four);
            if (r >= 0 && reusePort) {
                r = setIntOption(fd, NetConstants.SOL_SOCKET, NetConstants.SO_REUSEPORT, 1, four);
            }
            String op = "setsockopt";
            if (r >= 0) {
                op = "bind";
                r = bind(fd, sa, len);
            }
            if (r >= 0) {
                op = "listen";
                r = listen(fd, backlog);
            }
            if (r < 0) {
                close(fd);
                throw new NativeIoException(op, -r, address.toString());
            }
            return fd;
        }
    }

    /** A non-blocking Unix domain stream listening socket at {@code path} (which must not exist). */
    public static int listenUnix(Path path, int backlog) throws NativeIoException {
        return listenUnix(path, backlog, true);
    }

    /** The same, blocking when {@code nonBlocking} is false (as {@link #listenTcp(InetSocketAddress, int, boolean, boolean)}). */
    public static int listenUnix(Path path, int backlog, boolean nonBlocking) throws NativeIoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockaddrDescriptor.MAX_SIZE, 8);
            int len = SockaddrDescriptor.encode(sa, path);
            int fd = socket(NetConstants.AF_UNIX, NetConstants.SOCK_STREAM | (nonBlocking ? NetConstants.SOCK_NONBLOCK : 0)
                    | NetConstants.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new NativeIoException("socket", -fd, path.toString());
            }
            int r = bind(fd, sa, len);
            String op = "bind";
            if (r >= 0) {
                op = "listen";
                r = listen(fd, backlog);
            }
            if (r < 0) {
                close(fd);
                throw new NativeIoException(op, -r, path.toString());
            }
            return fd;
        }
    }

    /** The address a socket is bound to (its port, when bound to port 0). */
    public static InetSocketAddress localAddress(int fd) throws NativeIoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockaddrDescriptor.MAX_SIZE, 8);
            int r = getsockname(fd, sa, a.allocate(JAVA_INT));
            if (r < 0) {
                throw new NativeIoException("getsockname", -r, "fd " + fd);
            }
            return SockaddrDescriptor.decode(sa);
        }
    }

    /** The peer's address of a connected socket (getpeername(2)), or null when it has none or it is not IP. */
    public static InetSocketAddress peerAddress(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SockaddrDescriptor.MAX_SIZE, 8);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) SockaddrDescriptor.MAX_SIZE);
            MemorySegment c = Libc.captureState();
            int r = ret((int) GETPEERNAME.invokeExact(c, fd, sa, len), c);
            return r < 0 ? null : SockaddrDescriptor.decode(sa);
        } catch (IllegalArgumentException notIp) {
            return null;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
