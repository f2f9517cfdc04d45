package io.rawio.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * An io_uring engine's rings: one per thread that runs batches (a ring is driven by one thread), and the
 * list of all of them, closed with the engine. A ring that failed, or that the thread gives up, is
 * dropped: closed, and the thread makes a new one on its next batch. Thread-safe.
 */
final class ThreadRings<R> {
    private final ThreadLocal<R> local = new ThreadLocal<>();
    private final List<R> all = Collections.synchronizedList(new ArrayList<>());
    private final Consumer<R> closer;

    /** {@code closer} closes one ring. */
    ThreadRings(Consumer<R> closer) {
        this.closer = closer;
    }

    /** The calling thread's ring, or null. */
    R current() {
        return local.get();
    }

    /** {@code r} is the calling thread's ring from now on. */
    void set(R r) {
        local.set(r);
        all.add(r);
    }

    /** Closes the calling thread's ring {@code r} and forgets it. */
    void drop(R r) {
        boolean mine = all.remove(r);
        if (local.get() == r) {
            local.remove();
        }
        if (mine) {
            closer.accept(r); // else closeAll closed it already
        }
    }

    /** Closes every thread's ring (the engine closes). */
    void closeAll() {
        synchronized (all) {
            for (R r : all) {
                closer.accept(r);
            }
            all.clear();
        }
    }
}
