package io.rawio.net;

/**
 * Socket, epoll and poll constants of Linux, the same on x86-64 and aarch64 (include/linux/socket.h,
 * include/uapi/asm-generic/socket.h, include/uapi/linux/in.h, include/uapi/linux/tcp.h,
 * include/uapi/linux/eventpoll.h; SOCK_NONBLOCK and SOCK_CLOEXEC are O_NONBLOCK and O_CLOEXEC, whose
 * values asm-generic and x86 share). The layout of struct epoll_event is not shared: see
 * {@link EpollEventDescriptor}.
 */
public final class NetConstants {
    private NetConstants() {
    }

    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;

    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_REUSEPORT = 15;
    public static final int IPPROTO_TCP = 6;
    public static final int TCP_NODELAY = 1;

    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /** send(2): no SIGPIPE when the peer has gone (the call fails with EPIPE instead). */
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_DONTWAIT = 0x40;
    /** recv(2): wait until the whole length has arrived (or the stream ends, or an error or signal comes). */
    public static final int MSG_WAITALL = 0x100;

    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLET = 1 << 31;

    /** poll(2) events and revents (include/uapi/asm-generic/poll.h). */
    public static final short POLLIN = 0x001;
    public static final short POLLPRI = 0x002;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;
    public static final short POLLRDHUP = 0x2000;
}
