package io.rawio.bench.lab.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Blocking sockets, a thread to each connection while it lasts: a new platform thread per connection, a
 * new virtual thread per connection, or a fixed pool of platform threads that each serve one connection
 * until it closes (connections past the pool's size wait in its queue). The JDK's own sockets, not FFM
 * ones: on a virtual thread a blocking read parks the thread and frees its carrier, where a blocking
 * native call would hold the carrier (two of them here) for as long as it blocks.
 */
final class BlockingServer implements ServerModel {
    enum Kind { PLATFORM, VIRTUAL, POOL }

    private final Kind kind;
    private final int poolSize;
    private ServerSocket listener;
    private ExecutorService pool;
    private Thread acceptor;

    BlockingServer(Kind kind, int poolSize) {
        this.kind = kind;
        this.poolSize = poolSize;
    }

    @Override
    public int start(int port, ServerCounters counters) throws IOException {
        ServerSocket listener = new ServerSocket(port, 4096, InetAddress.getLoopbackAddress());
        ExecutorService pool = kind == Kind.POOL
                ? Executors.newFixedThreadPool(poolSize, Thread.ofPlatform().daemon().name("pool-", 0).factory())
                : null;
        this.listener = listener;
        this.pool = pool;
        acceptor = Thread.ofPlatform().daemon().name("acceptor").start(() -> {
            while (true) {
                Socket s;
                try {
                    s = listener.accept();
                } catch (IOException e) {
                    if (!listener.isClosed()) {
                        counters.errors.increment();
                    }
                    return;
                }
                counters.accepted.increment();
                counters.open.increment();
                Runnable serve = () -> serve(s, counters);
                switch (kind) {
                    case PLATFORM -> Thread.ofPlatform().daemon().start(serve);
                    case VIRTUAL -> Thread.ofVirtual().start(serve);
                    case POOL -> pool.execute(serve);
                }
            }
        });
        return listener.getLocalPort();
    }

    @Override
    public void stop() {
        try {
            listener.close();
            acceptor.join(5_000);
        } catch (IOException e) {
            // closing a listener does not fail in a way that matters here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pool != null) {
            pool.shutdown();
        }
    }

    private static void serve(Socket s, ServerCounters counters) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] req = new byte[Frames.REQUEST_BYTES];
            byte[] resp = new byte[Frames.RESPONSE_BYTES];
            while (in.readNBytes(req, 0, req.length) == req.length) {
                Frames.response(resp, 0, (long) Frames.LONG.get(req, 0));
                // Counted before it is sent, as the event loops count: once the client has the answer, the
                // count has it too.
                counters.requests.increment();
                out.write(resp);
            }
        } catch (IOException e) {
            // the client went away: the connection ends
        } finally {
            counters.open.decrement();
        }
    }
}
