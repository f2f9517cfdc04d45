package io.rawio.store;

import java.io.IOException;

/** A store operation that failed; the message is one line naming what and where. */
public class StoreException extends IOException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The path is not a rawio store (no superblock magic). */
    public static final class NotAStore extends StoreException {
        public NotAStore(String message) {
            super(message);
        }
    }

    /** Another process has the store open. */
    public static final class InUse extends StoreException {
        public InUse(String message) {
            super(message);
        }
    }

    /** A read found bytes that fail their CRC32C; they are never returned. The key was dropped. */
    public static final class Corrupt extends StoreException {
        public Corrupt(String message) {
            super(message);
        }
    }

    /** A write or flush failed earlier: the store refuses writes until it is reopened. */
    public static final class Failed extends StoreException {
        public Failed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A put the store cannot take as given (empty or too long key, value larger than a slot); nothing was written. */
    public static final class Invalid extends StoreException {
        public Invalid(String message) {
            super(message);
        }
    }

    /** With eviction off, the next slot in ring order still holds a live key. */
    public static final class Full extends StoreException {
        public Full(String message) {
            super(message);
        }
    }

    /** The exception for a put or delete that did not end OK ({@code failure}: why the store failed, if it did). */
    static StoreException of(SlotStore.Result r, FailureLatch failure) {
        return switch (r.status()) {
            case INVALID -> new Invalid(r.error());
            case FULL -> new Full(r.error());
            case FAILED -> failure.isSet() ? new Failed(r.error(), failure.get()) : new StoreException(r.error());
            case OK -> throw new IllegalStateException("not a failure: " + r);
        };
    }
}
