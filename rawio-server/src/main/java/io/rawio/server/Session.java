package io.rawio.server;

/**
 * What a connection's commands may change about it: whether it has authenticated (AUTH, when the
 * server has a password). The protocol version it speaks lives in its reply writer.
 */
final class Session {
    /** True from the start when the server has no password. */
    boolean authenticated;

    Session(boolean authenticated) {
        this.authenticated = authenticated;
    }
}
