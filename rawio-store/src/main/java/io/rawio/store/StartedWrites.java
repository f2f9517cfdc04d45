package io.rawio.store;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntToLongFunction;

/**
 * Started putManys ({@link StoreRing#startPutMany}): each call's windows planned and written one after
 * another by {@link WritePipeline}, each window's batch started on the engine, so on a ring the calling
 * thread shares the call returns while its first window is written and its {@code done} comes once the
 * last is over.
 *
 * <p>A thread's started calls plan their windows in the order they were made, so a later call's value
 * of a key wins (versions follow planning): a call plans its first window once the calls before it
 * planned their last. Several calls' windows may be in flight at once. Each thread's queue is its own;
 * nothing here is shared between threads.
 */
final class StartedWrites {
    private final WritePipeline writes;
    /** This thread's started calls with windows left to plan, in the order made; the first one plans. */
    private final ThreadLocal<ArrayDeque<Call>> calls = ThreadLocal.withInitial(ArrayDeque::new);

    StartedWrites(WritePipeline writes) {
        this.writes = writes;
    }

    /**
     * Puts (or deletes) every key as {@link WritePipeline#writeAll} does; {@code done} gets null, or what a
     * window threw (the keys after it then have no result), on this thread once the last window is over.
     */
    void start(List<byte[]> keys, List<MemorySegment> values, SlotStore.Result[] results, short flags,
            IntToLongFunction expiryOf, Consumer<Throwable> done) {
        // Value buffers among the values stay held until the call is over (ValueBuffers.pin).
        ValueBuffers.Pins pins = writes.inPlace.pin(values);
        Consumer<Throwable> unpinThenDone = pins == null ? done : failure -> {
            writes.inPlace.unpin(pins);
            done.accept(failure);
        };
        Call c = new Call(keys, values, results, flags, expiryOf, unpinThenDone);
        ArrayDeque<Call> queue = calls.get();
        queue.add(c);
        if (queue.size() == 1) {
            c.next();
        }
    }

    /** One started call. Used by the thread that started it. */
    private final class Call {
        final List<byte[]> keys;
        final List<MemorySegment> values;
        final SlotStore.Result[] results;
        final short flags;
        final IntToLongFunction expiryOf;
        final Consumer<Throwable> done;
        int from;
        /** {@link #next} was called once: it plans from now on, or has planned everything. */
        boolean began;
        /** It left the queue of calls that plan: every window planned, or it failed. */
        boolean passedOn;
        /** A window's start has not returned yet: if it ends now, {@link #next} goes on in its loop. */
        boolean starting;
        boolean endedWhileStarting;
        /** What ending a window threw while its start had not returned. */
        Exception failedStarting;
        /** Its done was called. */
        boolean finished;

        Call(List<byte[]> keys, List<MemorySegment> values, SlotStore.Result[] results, short flags,
                IntToLongFunction expiryOf, Consumer<Throwable> done) {
            this.keys = keys;
            this.values = values;
            this.results = results;
            this.flags = flags;
            this.expiryOf = expiryOf;
            this.done = done;
        }

        /** Plans and starts the next windows until one is in flight, or, after the last, calls done. */
        void next() {
            began = true;
            Throwable failure = null;
            boolean inFlight = false;
            try {
                while (from < keys.size()) {
                    WriteWindow w = writes.window(keys, values, from, keys.size(), results, flags, expiryOf);
                    writes.planStarted(w);
                    from = w.resumeAt;
                    if (!w.hasWork()) {
                        writes.nothingWritten();
                        continue;
                    }
                    starting = true;
                    endedWhileStarting = false;
                    try {
                        writes.startWindow(w, this::ended);
                    } finally {
                        starting = false;
                    }
                    if (failedStarting != null) {
                        throw failedStarting;
                    }
                    if (!endedWhileStarting) {
                        inFlight = true; // its end goes on
                        break;
                    }
                }
            } catch (Throwable t) {
                failure = t; // an Error too: the call must end, or every later call of the thread waits for it
            }
            if (inFlight) {
                if (from >= keys.size()) {
                    passOn(); // its last window is planned: the next call may plan while it is written
                }
                return;
            }
            try {
                finish(failure);
            } finally {
                passOn();
            }
        }

        private void ended(Exception failure) {
            if (starting) {
                // next() is on the stack: it goes on in its loop (no recursion per window), or fails the call
                endedWhileStarting = true;
                failedStarting = failure;
            } else if (failure != null) {
                try {
                    finish(failure);
                } finally {
                    passOn();
                }
            } else {
                next();
            }
        }

        /** Tells the caller, once. */
        private void finish(Throwable failure) {
            if (!finished) {
                finished = true;
                done.accept(failure);
            }
        }

        /** Leaves the queue of calls that plan, and lets the next one begin. */
        private void passOn() {
            if (passedOn) {
                return;
            }
            passedOn = true;
            ArrayDeque<Call> queue = calls.get();
            queue.remove(this);
            Call head = queue.peek();
            if (head != null && !head.began) {
                head.next();
            }
        }
    }
}
