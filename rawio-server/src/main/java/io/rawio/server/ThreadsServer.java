package io.rawio.server;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.NativeIoException;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import io.rawio.store.SlotStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A thread per connection, blocking sockets: the thread that calls {@link #run()} accepts; each
 * connection gets a platform thread of its own that waits in recv, runs the requests received (its own
 * pipeline, parsed and run as store batches as a round of one connection: a run of SETs one putMany, of
 * GETs one getMany), and sends the replies with a blocking send. At most {@code threads} connections
 * are served at once (default maxclients); one more waits in the listen backlog until a thread is free,
 * and past maxclients a client is told so and closed, as in the other loops.
 *
 * <p>The store and the command table are used under {@link #lock}, one lock for everything the
 * connections share; recv and send block outside it, on native buffers of the connection's thread. A
 * sweeper thread closes idle connections (the idle timeout) by shutting their socket down, which ends
 * their thread's recv; each connection's thread closes its own descriptor. Bytes move through native
 * memory (blocking calls cannot pass the heap buffers), one copy each way.
 */
public final class ThreadsServer implements ServerLoop, LoopCore.Io {
    /** Bytes one recv takes at most, and one send carries. */
    private static final int IO_BUFFER = 64 * 1024;
    private static final long THREAD_STACK = 512 * 1024;

    private final LoopCore core;
    /**
     * The one lock. It guards: the store (every call to it, through the command table and the batcher),
     * {@link LoopCore}'s command table (Commands: sessions, counters), its round batcher (its lists) and
     * its connections (the map, for maxclients, CLIENT LIST and KILL, the sweep), every {@link Connection}
     * (its query and reply buffers, its flags; {@code inRound} there means its thread is not waiting in
     * recv, so the sweep leaves it alone) and the {@link Session} of each (CLIENT LIST reads them all),
     * and {@link #threads}. A connection's descriptor is closed by its own thread, under this lock and
     * after it left the connections: the sweep and CLIENT KILL shut down only descriptors still there.
     */
    private final ReentrantLock lock = new ReentrantLock();
    /** The connections' threads still running. GUARDED_BY lock. */
    private final Set<Thread> threads = new HashSet<>();
    /** One per connection served at once. */
    private final Semaphore permits;
    private final int maxThreads;
    private final SlotStore store;
    /** The listener is closed: stop() must not shut down a descriptor that may be another's now. */
    private boolean listenerClosed;

    /**
     * Binds and listens (blocking); serves at most {@code maxThreads} connections at once (0: as many as
     * maxclients).
     */
    public ThreadsServer(SlotStore store, ServerOptions options, int maxThreads) throws NativeIoException {
        if (maxThreads < 0) {
            throw new IllegalArgumentException("threads must be positive (0: maxclients): " + maxThreads);
        }
        this.maxThreads = maxThreads == 0 ? options.maxClients() : maxThreads;
        this.store = store;
        this.permits = new Semaphore(this.maxThreads);
        this.core = new LoopCore(store, options, true, "threads");
        core.io(this);
    }

    @Override
    public InetSocketAddress address() {
        return core.address;
    }

    @Override
    public String name() {
        return "threads";
    }

    /** How many connections are served at once at most. */
    public int maxThreads() {
        return maxThreads;
    }

    @Override
    public boolean stopped() {
        return core.stopped();
    }

    /** Stops: the accepting thread wakes (its listener shut down) and shuts every connection down. */
    @Override
    public synchronized void stop() {
        core.stop();
        if (!listenerClosed) {
            Sockets.shutdown(core.listenFd, NetConstants.SHUT_RDWR);
        }
    }

    /** Accepts until stopped; then shuts every connection down and waits (bounded) for their threads. */
    @Override
    public void run() {
        Thread sweeper = Thread.ofPlatform().daemon().name("rawio-sweep").start(this::sweepLoop);
        try {
            acceptLoop();
        } finally {
            lock.lock();
            try {
                core.stop();
                for (Connection c : core.connections.values()) {
                    Sockets.shutdown(c.fd, NetConstants.SHUT_RDWR); // ends its thread's recv or send
                }
            } finally {
                lock.unlock();
            }
            sweeper.interrupt();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (Thread t : running()) {
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    private List<Thread> running() {
        lock.lock();
        try {
            return new ArrayList<>(threads);
        } finally {
            lock.unlock();
        }
    }

    private void acceptLoop() {
        while (!core.stopped()) {
            int fd = Sockets.accept4(core.listenFd, NetConstants.SOCK_CLOEXEC);
            if (fd < 0) {
                if (core.stopped() || fd == -Errno.EINVAL) {
                    return; // the listener was shut down: stop()
                }
                if (fd == -Errno.EMFILE || fd == -Errno.ENFILE || fd == -Errno.ENOMEM || fd == -Errno.ENOBUFS) {
                    pause(100); // out of descriptors or memory: try again in a while
                } else if (fd != -Errno.EINTR && fd != -Errno.ECONNABORTED && fd != -Errno.EAGAIN) {
                    throw new IllegalStateException("accept4: " + Errno.name(-fd));
                }
                continue;
            }
            lock.lock();
            try {
                if (!core.admit(fd)) {
                    continue;
                }
            } finally {
                lock.unlock();
            }
            if (!takePermit()) {
                Sockets.close(fd);
                return;
            }
            lock.lock();
            try {
                Connection c = core.open(fd, System.currentTimeMillis());
                c.inRound = true; // busy until its thread waits in recv
                try {
                    Thread t = Thread.ofPlatform().name("rawio-conn-" + c.session.id).stackSize(THREAD_STACK)
                            .start(() -> serve(c));
                    threads.add(t); // before it can end: it needs this lock to
                } catch (RuntimeException | OutOfMemoryError e) {
                    core.connections.remove(fd); // no thread for it: the connection goes
                    Sockets.close(fd);
                    permits.release();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits for a free thread; false when the server stopped meanwhile. */
    private boolean takePermit() {
        try {
            while (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (core.stopped()) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sweepLoop() {
        while (!core.stopped() && !Thread.currentThread().isInterrupted()) {
            lock.lock();
            try {
                core.sweepIfDue(System.currentTimeMillis());
            } finally {
                lock.unlock();
            }
            pause(250);
        }
    }

    // ------------------------------------------------------------------ a connection's thread

    /** Serves one connection until it closes; then closes its descriptor and frees the thread. */
    private void serve(Connection c) {
        List<Connection> one = new ArrayList<>(List.of(c));
        MemorySegment inBuf = MemorySegment.NULL;
        MemorySegment outBuf = MemorySegment.NULL;
        try {
            // malloc'd, not zeroed: a page is committed only once bytes pass through it
            inBuf = malloc(IO_BUFFER);
            outBuf = malloc(IO_BUFFER);
            while (true) {
                boolean more;
                lock.lock();
                try {
                    if (core.stopped() || core.connections.get(c.fd) != c || c.dead) {
                        break;
                    }
                    runPass(c, one);
                    if (c.dead) {
                        break;
                    }
                } finally {
                    lock.unlock();
                }
                if (!sendAll(c, outBuf)) {
                    break;
                }
                lock.lock();
                try {
                    if (c.done() || core.connections.get(c.fd) != c) {
                        break;
                    }
                    more = c.hasWork();
                    c.inRound = more;
                } finally {
                    lock.unlock();
                }
                if (more) {
                    continue; // requests already received: no need to wait for the socket
                }
                long n = Sockets.recv(c.fd, inBuf, inBuf.byteSize(), 0);
                if (n == -Errno.EINTR) {
                    continue;
                }
                lock.lock();
                try {
                    c.inRound = true;
                    if (core.connections.get(c.fd) != c) {
                        break; // closed by the sweep or the server's stop
                    }
                    c.session.lastActiveMs = System.currentTimeMillis();
                    if (n > 0) {
                        c.received(inBuf, 0, (int) n);
                    } else if (!c.ended(n)) {
                        break; // a read error: dropped at once
                    }
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            Libc.free(inBuf.address());
            Libc.free(outBuf.address());
            lock.lock();
            try {
                if (core.connections.get(c.fd) == c) {
                    core.connections.remove(c.fd);
                }
                c.release(); // its store buffers (again, if the sweep closed it: a no-op)
                Sockets.close(c.fd);
                threads.remove(Thread.currentThread());
            } finally {
                lock.unlock();
            }
            try {
                store.releaseThread(); // the thread's io_uring ring (a descriptor each) ends with it
            } catch (IllegalStateException closed) {
                // the server is stopping and closed the store: the engine closed every ring
            }
            permits.release();
        }
    }

    private static MemorySegment malloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            int r = Libc.posixMemalign(p, 64, bytes);
            if (r != 0) {
                throw new OutOfMemoryError("posix_memalign of " + bytes + " bytes: " + Errno.name(-r));
            }
            return p.get(ValueLayout.ADDRESS, 0).reinterpret(bytes);
        }
    }

    /** One pass of the connection's pipeline, under the lock: parse, run as store batches. */
    private void runPass(Connection c, List<Connection> one) {
        try {
            c.parse(core.parser);
        } catch (RuntimeException | OutOfMemoryError e) {
            c.dead = true; // a request it cannot hold
            return;
        }
        try {
            core.batcher.run(one);
        } catch (RuntimeException | OutOfMemoryError e) {
            c.dead = true;
            return;
        }
        if (c.shutdown) {
            stop(); // SHUTDOWN: the accepting thread wakes and shuts every connection down
        }
    }

    /** Sends every reply waiting, blocking, through {@code buf}; false when the peer is gone. */
    private boolean sendAll(Connection c, MemorySegment buf) {
        while (true) {
            int k;
            lock.lock();
            try {
                if (!c.replies.hasUnsent()) {
                    return true;
                }
                k = c.replies.unsentInto(buf);
            } finally {
                lock.unlock();
            }
            int done = 0;
            while (done < k) {
                long w = Sockets.send(c.fd, buf.asSlice(done), k - done, 0);
                if (w == -Errno.EINTR) {
                    continue;
                }
                if (w < 0) {
                    return false;
                }
                done += (int) w;
            }
            lock.lock();
            try {
                c.replies.sentBytes(k);
            } finally {
                lock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------ LoopCore.Io

    /** Not used: this loop sends from each connection's own thread ({@link #sendAll}). */
    @Override
    public boolean send(Connection c) {
        throw new UnsupportedOperationException("the threads loop sends from each connection's thread");
    }

    /**
     * The sweep closed an idle connection, or CLIENT KILL one (under the lock): its thread's recv or send
     * ends, and it closes the descriptor.
     */
    @Override
    public void close(Connection c) {
        Sockets.shutdown(c.fd, NetConstants.SHUT_RDWR);
    }

    /** Stops listening; call after {@link #run()} returned. */
    @Override
    public synchronized void close() {
        core.stop();
        listenerClosed = true;
        core.close();
    }
}
