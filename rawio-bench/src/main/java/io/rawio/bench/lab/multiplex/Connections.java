package io.rawio.bench.lab.multiplex;

import io.rawio.bench.lab.ChildJvm;
import io.rawio.nativeio.Descriptors;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.net.FdSetDescriptor;
import io.rawio.net.NetConstants;
import io.rawio.net.Poll;
import io.rawio.net.SockaddrDescriptor;
import io.rawio.net.Sockets;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/**
 * The lab's loopback connections: K idle ones whose client ends live in a helper process
 * ({@link IdleClients}), so this process holds one descriptor per connection, and one active connection
 * with both ends here. The server ends are non-blocking and take the lowest free numbers, the idle ones
 * first; the active client end is moved to FD_SETSIZE or above so that the active server end comes right
 * after them, and select(2) can watch as many as FD_SETSIZE allows.
 */
final class Connections implements AutoCloseable {
    private final Arena arena = Arena.ofConfined();
    private final int listenFd;
    private final MemorySegment sa = arena.allocate(SockaddrDescriptor.MAX_SIZE, 8);
    private final int saLength;
    private final MemorySegment four = arena.allocate(ValueLayout.JAVA_INT);
    private final ChildJvm clients;
    private int[] idleServer = new int[0];
    private int idle;
    private int clientSockets = -1;
    private int activeServer = -1;
    private int activeClient = -1;

    Connections() throws IOException {
        listenFd = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096, false);
        InetSocketAddress at = Sockets.localAddress(listenFd);
        saLength = SockaddrDescriptor.encode(sa, at);
        ChildJvm c = null;
        try {
            c = ChildJvm.start(IdleClients.class.getName(), List.of("-Xmx64m", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1"), List.of(Integer.toString(at.getPort())));
            c.expect("ready", 30_000);
        } catch (IOException | RuntimeException e) {
            if (c != null) {
                c.close();
            }
            Sockets.close(listenFd);
            arena.close();
            throw e;
        }
        clients = c;
    }

    private NativeIoException failure(String op, int errno) {
        return new NativeIoException(op, errno, "loopback connection " + (idle + 1), -1, NativeIoException.UNKNOWN,
                NativeIoException.UNKNOWN, errno == Errno.EMFILE ? "RLIMIT_NOFILE reached" : null);
    }

    /** The next connection waiting on the listener, within 10 s. */
    private int accept() throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        try (Poll poll = new Poll(1)) {
            poll.add(listenFd, NetConstants.POLLIN);
            while (true) {
                int s = Sockets.accept4(listenFd, NetConstants.SOCK_NONBLOCK | NetConstants.SOCK_CLOEXEC);
                if (s >= 0) {
                    return s;
                }
                if (s != -Errno.EAGAIN || System.nanoTime() > deadline) {
                    throw s == -Errno.EAGAIN ? new IOException("no connection came within 10 s") : failure("accept4", -s);
                }
                poll.await(100);
            }
        }
    }

    /** Opens idle connections until there are {@code k}: the helper connects, this process accepts. */
    void growIdleTo(int k) throws IOException {
        if (k <= idle) {
            return;
        }
        idleServer = Arrays.copyOf(idleServer, k);
        clients.send("open " + k);
        while (idle < k) {
            idleServer[idle++] = accept();
        }
        String reply = clients.expect("opened", 30_000);
        clientSockets = Integer.parseInt(reply.substring(reply.indexOf("sockets=") + 8).trim());
    }

    /** A new active connection (the last one closed), both ends here, TCP_NODELAY at both. */
    void reopenActive() throws IOException {
        closeActive();
        int c = Sockets.socket(NetConstants.AF_INET, NetConstants.SOCK_STREAM | NetConstants.SOCK_CLOEXEC, 0);
        if (c < 0) {
            throw failure("socket", -c);
        }
        int moved = Descriptors.moveAtLeast(c, FdSetDescriptor.FD_SETSIZE);
        activeClient = moved >= 0 ? moved : c;
        int r = Sockets.connect(activeClient, sa, saLength);
        if (r < 0) {
            Sockets.close(activeClient);
            activeClient = -1;
            throw failure("connect", -r);
        }
        activeServer = accept();
        Sockets.setIntOption(activeClient, NetConstants.IPPROTO_TCP, NetConstants.TCP_NODELAY, 1, four);
        Sockets.setIntOption(activeServer, NetConstants.IPPROTO_TCP, NetConstants.TCP_NODELAY, 1, four);
    }

    /** The server ends a method watches for K idle connections: K idle ones, then the active one. */
    int[] serverFds(int k) {
        int[] fds = Arrays.copyOf(idleServer, k + 1);
        fds[k] = activeServer;
        return fds;
    }

    int activeClient() {
        return activeClient;
    }

    int idleServer(int i) {
        return idleServer[i];
    }

    /** Sockets the helper process had open after its last connections. */
    int clientSockets() {
        return clientSockets;
    }

    /**
     * Proof that the idle connections are real: the helper sends one byte on each, and the server ends
     * that became readable are counted (poll, until all are or 10 s passed).
     */
    int verifyIdle() throws IOException {
        clients.send("poke");
        clients.expect("poked", 30_000);
        try (Poll poll = new Poll(Math.max(1, idle))) {
            for (int i = 0; i < idle; i++) {
                poll.add(idleServer[i], NetConstants.POLLIN);
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            int ready = 0;
            while (idle > 0 && System.nanoTime() < deadline) {
                ready = poll.await(100);
                if (ready >= idle) {
                    break;
                }
            }
            return Math.max(ready, 0);
        }
    }

    private void closeActive() {
        if (activeClient >= 0) {
            Sockets.close(activeClient);
            Sockets.close(activeServer);
            activeClient = -1;
            activeServer = -1;
        }
    }

    @Override
    public void close() {
        closeActive();
        clients.close();
        for (int i = 0; i < idle; i++) {
            Sockets.close(idleServer[i]);
        }
        idle = 0;
        Sockets.close(listenFd);
        arena.close();
    }
}
