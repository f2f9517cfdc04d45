package io.rawio.server;

/**
 * Who a client is (its id, address, the name and library it gave) and what its commands changed about
 * it: whether it has authenticated (AUTH, when the server has a password). The protocol version it
 * speaks lives in its reply writer. Read by CLIENT LIST on the loop's thread.
 */
final class Session {
    /** CLIENT ID: unique for the server's life, from 1. */
    final long id;
    /** The peer's address as {@code ip:port}, or "" when unknown. */
    final String address;
    /** The server's address the client connected to, as {@code ip:port}, or "". */
    final String localAddress;
    /** When the connection was accepted (ms since the epoch). */
    final long createdMs;
    /** True from the start when the server has no password. */
    boolean authenticated;
    /** CLIENT SETNAME (or HELLO SETNAME), or "". */
    String name = "";
    /** CLIENT SETINFO LIB-NAME / LIB-VER, or "". */
    String libName = "";
    String libVersion = "";
    /** The last command run (lower case), for CLIENT LIST. */
    String lastCommand = "NULL";
    /** When it last sent something (ms since the epoch): the idle timeout counts from here. */
    long lastActiveMs;
    /** The connection's query and reply buffers, for CLIENT LIST and the limits (null in tests). */
    Connection connection;

    Session(long id, String address, String localAddress, long createdMs, boolean authenticated) {
        this.id = id;
        this.address = address;
        this.localAddress = localAddress;
        this.createdMs = createdMs;
        this.lastActiveMs = createdMs;
        this.authenticated = authenticated;
    }

    /** A session for tests and one-off use. */
    Session(boolean authenticated) {
        this(0, "", "", System.currentTimeMillis(), authenticated);
    }
}
