package io.rawio.store;

import java.nio.file.Path;

/**
 * The store's lifecycle gate: every public call passes through {@link #enter()} and {@link #exit()};
 * {@link #close()} fails new calls with a clear error and waits for the calls in progress to leave, so
 * nothing they still use (the file, the engine, scratch memory) is released under them.
 */
final class CallGate {
    private final Path path;
    private final Object monitor = new Object();
    /** Calls between enter and exit. GUARDED_BY(monitor). */
    private int active;
    /** Set once by close. GUARDED_BY(monitor). */
    private boolean closed;

    CallGate(Path path) {
        this.path = path;
    }

    /** @throws IllegalStateException when the store is closed or closing */
    void enter() {
        synchronized (monitor) {
            if (closed) {
                throw new IllegalStateException("store is closed: " + path);
            }
            active++;
        }
    }

    void exit() {
        synchronized (monitor) {
            if (--active == 0 && closed) {
                monitor.notifyAll();
            }
        }
    }

    /**
     * Closes the gate and waits until no call is in progress. Returns false when it was already closed
     * (close is idempotent). A call made from inside a call in progress would wait for itself: close
     * from outside the store's calls.
     */
    boolean close() {
        synchronized (monitor) {
            if (closed) {
                return false;
            }
            closed = true;
            boolean interrupted = false;
            while (active > 0) {
                try {
                    monitor.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return true;
        }
    }

    /** A store call that may throw an I/O error. */
    @FunctionalInterface
    interface Call<T> {
        T run() throws java.io.IOException;
    }

    /** Runs {@code call} between {@link #enter()} and {@link #exit()}. */
    <T> T call(Call<T> call) throws java.io.IOException {
        enter();
        try {
            return call.run();
        } finally {
            exit();
        }
    }

    /** Runs {@code call} (which throws no I/O error) between {@link #enter()} and {@link #exit()}. */
    <T> T get(java.util.function.Supplier<T> call) {
        enter();
        try {
            return call.get();
        } finally {
            exit();
        }
    }

    boolean isClosed() {
        synchronized (monitor) {
            return closed;
        }
    }
}
