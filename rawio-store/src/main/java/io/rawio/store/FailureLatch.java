package io.rawio.store;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The store's first write or flush failure. Once set it never changes, and the store refuses writes
 * until it is reopened: a failed write is never retried and assumed to have landed. Every failure has
 * one message shape, {@code "<what> failed on <path>: <reason>"}. Lock-free: it may be set from a
 * completer, a checkpoint or a delete, under the ring's lock or not.
 */
final class FailureLatch {
    private final Path path;
    private final AtomicReference<StoreException.Failed> first = new AtomicReference<>();

    FailureLatch(Path path) {
        this.path = path;
    }

    /**
     * Records that {@code what} failed; the first failure recorded wins. Returns an exception for this
     * failure (with its own message), to throw to the caller who saw it.
     */
    StoreException.Failed fail(String what, String reason, Throwable cause) {
        StoreException.Failed f = new StoreException.Failed(what + " failed on " + path + ": " + reason, cause);
        first.compareAndSet(null, f);
        return f;
    }

    boolean isSet() {
        return first.get() != null;
    }

    /** The first failure, or null. */
    StoreException.Failed get() {
        return first.get();
    }

    void throwIfSet() throws StoreException.Failed {
        StoreException.Failed f = first.get();
        if (f != null) {
            throw f;
        }
    }

    /** Why a write planned now is refused. */
    String refusal() {
        StoreException.Failed f = first.get();
        return "store refuses writes after an earlier write error (reopen it)" + (f == null ? "" : ": " + f.getMessage());
    }
}
