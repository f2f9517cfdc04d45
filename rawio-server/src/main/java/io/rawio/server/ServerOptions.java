package io.rawio.server;

import io.rawio.server.resp.RequestParser;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * How a server listens and what it accepts.
 *
 * @param bind          the address and port (port 0: any free one)
 * @param maxClients    connections at once; one more is told so and closed (Redis: 10000)
 * @param maxBulk       the largest bulk string a request may carry
 * @param maxQueryBytes a connection's unparsed input past which it is closed (Redis: 1 GiB)
 * @param password      what AUTH must give before any other command (Redis's requirepass), or null
 * @param idleTimeoutMs a connection that sends nothing for this long is closed (0: never; Redis's timeout)
 * @param maxOutputBytes a connection whose unsent replies pass this is closed (client-output-buffer-limit)
 * @param unixSocket    listen on this Unix domain socket instead of {@code bind}, or null
 * @param cluster       the static cluster map this server is a node of (keys of other nodes' slots get
 *                      {@code -MOVED}), or null: one node that owns all 16384 slots
 */
public record ServerOptions(InetSocketAddress bind, int maxClients, long maxBulk, long maxQueryBytes,
        byte[] password, long idleTimeoutMs, long maxOutputBytes, java.nio.file.Path unixSocket,
        io.rawio.server.cluster.ClusterMap cluster) {
    /** The default output limit: 1 GiB of replies the client has not read. */
    public static final long DEFAULT_MAX_OUTPUT = 1L << 30;
    /**
     * The largest query buffer limit, 2047 MiB: a Java array holds a little under 2 GiB, and a connection
     * at the limit still needs room to read the byte that passes it.
     */
    public static final long MAX_QUERY_BYTES = (1L << 31) - (1L << 20);

    /** Options without a password, idle timeout, or output limit but the default. */
    public ServerOptions(InetSocketAddress bind, int maxClients, long maxBulk, long maxQueryBytes) {
        this(bind, maxClients, maxBulk, maxQueryBytes, null, 0, DEFAULT_MAX_OUTPUT, null, null);
    }

    /** The same options with AUTH required. */
    public ServerOptions withPassword(byte[] secret) {
        return new ServerOptions(bind, maxClients, maxBulk, maxQueryBytes, secret == null ? null : secret.clone(),
                idleTimeoutMs, maxOutputBytes, unixSocket, cluster);
    }

    /** The same options with another largest bulk string (the query limit stays). */
    public ServerOptions withMaxBulk(long bytes) {
        return new ServerOptions(bind, maxClients, bytes, maxQueryBytes, password, idleTimeoutMs, maxOutputBytes, unixSocket, cluster);
    }

    /** The same options listening on the Unix domain socket {@code path} instead of TCP (null: TCP). */
    public ServerOptions withUnixSocket(java.nio.file.Path path) {
        return new ServerOptions(bind, maxClients, maxBulk, maxQueryBytes, password, idleTimeoutMs, maxOutputBytes, path, cluster);
    }

    /** The same options with an idle timeout (0: none). */
    public ServerOptions withIdleTimeoutMs(long ms) {
        return new ServerOptions(bind, maxClients, maxBulk, maxQueryBytes, password, ms, maxOutputBytes, unixSocket, cluster);
    }

    /** The same options with another output limit. */
    public ServerOptions withMaxOutputBytes(long bytes) {
        return new ServerOptions(bind, maxClients, maxBulk, maxQueryBytes, password, idleTimeoutMs, bytes, unixSocket, cluster);
    }

    /** The same options as a node of a static cluster (null: one node owning every slot). */
    public ServerOptions withCluster(io.rawio.server.cluster.ClusterMap map) {
        return new ServerOptions(bind, maxClients, maxBulk, maxQueryBytes, password, idleTimeoutMs, maxOutputBytes,
                unixSocket, map);
    }

    public ServerOptions {
        if (password != null && password.length == 0) {
            throw new IllegalArgumentException("an empty password");
        }
        if (idleTimeoutMs < 0 || maxOutputBytes < 1) {
            throw new IllegalArgumentException("bad server options: idleTimeoutMs=" + idleTimeoutMs
                    + ", maxOutputBytes=" + maxOutputBytes);
        }
        if (bind == null || maxClients < 1 || maxBulk < 1 || maxQueryBytes < maxBulk
                || maxQueryBytes > MAX_QUERY_BYTES) {
            throw new IllegalArgumentException("bad server options: bind=" + bind + ", maxClients=" + maxClients
                    + ", maxBulk=" + maxBulk + ", maxQueryBytes=" + maxQueryBytes + " (at least maxBulk, at most " + (MAX_QUERY_BYTES >> 20) + " MiB)");
        }
    }

    /** Loopback, {@code port}, Redis's limits, bulk strings up to {@code maxBulk}. */
    public static ServerOptions loopback(int port, long maxBulk) {
        return new ServerOptions(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000, maxBulk,
                Math.min(MAX_QUERY_BYTES, Math.max(maxBulk + RequestParser.MAX_INLINE, 1L << 30)));
    }
}
