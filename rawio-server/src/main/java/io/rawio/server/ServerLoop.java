package io.rawio.server;

import java.net.InetSocketAddress;

/**
 * A server's loop: it listens from construction, serves on {@link #run()} until {@link #stop()} or a
 * client's SHUTDOWN, and frees what it holds on {@link #close()} (after run returned). The store stays
 * the caller's: it closes it after the loop. {@link ServerLoops#open} makes one by name.
 */
public interface ServerLoop extends AutoCloseable {
    /** Where it listens (the port chosen when asked for port 0), or null on a Unix domain socket. */
    InetSocketAddress address();

    /** Serves until stopped; then closes every connection. Called once, on the thread it serves from. */
    void run();

    /** Asks the loop to stop, from any thread; it does within about 100 ms. */
    void stop();

    /** Whether a client asked for SHUTDOWN (or {@link #stop()} was called). */
    boolean stopped();

    /** The loop's name as the ready line says it: epoll, uring, threads. */
    String name();

    /** Stops listening and frees the loop's memory; call after {@link #run()} returned. */
    @Override
    void close();
}
