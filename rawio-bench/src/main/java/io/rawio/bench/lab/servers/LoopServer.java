package io.rawio.bench.lab.servers;

import io.rawio.net.Sockets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the event-loop models share: {@code loops} threads, each with a listening socket of its own on the
 * one port (SO_REUSEPORT: the kernel spreads new connections over the listeners by a hash of their
 * addresses), and stopping them. Each loop is made on its own thread (an io_uring ring is then that
 * thread's), owns its listener, and closes what it has once {@link #stopping} is set.
 */
abstract class LoopServer implements ServerModel {
    private final String name;
    private final int loops;
    private final List<Thread> threads = new ArrayList<>();
    /** Set by {@link #stop}; a loop looks at it at least every tenth of a second. */
    volatile boolean stopping;

    LoopServer(String name, int loops) {
        this.name = name;
        this.loops = loops;
    }

    /** A loop over {@code listenFd}, made on the thread that will run it. */
    abstract Runnable loop(int listenFd, ServerCounters counters) throws Exception;

    @Override
    public final int start(int port, ServerCounters counters) throws IOException {
        int first = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4096, true);
        int bound = Sockets.localAddress(first).getPort();
        int[] listeners = new int[loops];
        listeners[0] = first;
        for (int i = 1; i < loops; i++) {
            listeners[i] = Sockets.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), bound), 4096,
                    true);
        }
        CountDownLatch started = new CountDownLatch(loops);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        for (int i = 0; i < loops; i++) {
            int listenFd = listeners[i];
            threads.add(Thread.ofPlatform().daemon().name(name + "-" + i).start(() -> {
                Runnable loop;
                try {
                    loop = loop(listenFd, counters);
                } catch (Throwable t) {
                    Sockets.close(listenFd);
                    failed.set(t);
                    started.countDown();
                    return;
                }
                started.countDown();
                loop.run();
            }));
        }
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failed.get() != null) {
            stop();
            throw new IOException(name + ": " + failed.get().getMessage(), failed.get());
        }
        return bound;
    }

    @Override
    public final void stop() {
        stopping = true;
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
