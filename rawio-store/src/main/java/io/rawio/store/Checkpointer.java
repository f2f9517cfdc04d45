package io.rawio.store;

import io.rawio.nativeio.NativeIoException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * When checkpoints are written: on demand, after an eighth of a ring was written since the last one
 * (so recovery's scan stays short, and ends well before the ring comes round), periodically when the
 * store was written to, and on close. One checkpoint is written at a time (its own monitor, never the
 * store object's); the index's entries are copied under the ring state's lock, encoded and written
 * outside it.
 *
 * <p>The one due after writes is written on the checkpoint thread, not by the writer that found it
 * due: a checkpoint is not needed for any write's durability (each write is flushed, or not, by its
 * own batch), only to keep recovery's scan short, so writers go on while it is written. A writer
 * writes it itself, after the one in progress, once a ring ran on past {@link #overduePositions}
 * since the last checkpoint that landed: half again the threshold, within room for one more window
 * before the ring comes round (see {@link #afterWrites}). The other writers of checkpoints
 * ({@link SlotStore#checkpoint()}, a delete in place, close) write theirs on their own thread. Every
 * checkpoint the thread writes passes the store's {@link CallGate}, so close waits for one in progress
 * and none starts after it.
 *
 * <p>Lock order: {@code writeMonitor} before the ring state's lock.
 */
final class Checkpointer implements AutoCloseable {
    private final RingState ring;
    private final CheckpointIo io;
    private final FailureLatch failure;
    private final long slotCount;
    /** Held while a checkpoint is snapshotted and written: one at a time, in generation order. */
    private final Object writeMonitor = new Object();
    /** The checkpoint thread (after-writes and periodic checkpoints), started once the store is open; null before and after. */
    private volatile ScheduledExecutorService worker;
    /** The store's gate, which every checkpoint on {@link #worker} passes; set with it. */
    private volatile CallGate gate;
    /** Whether an after-writes checkpoint was handed to {@link #worker} and has not ended yet. */
    private final java.util.concurrent.atomic.AtomicBoolean queued = new java.util.concurrent.atomic.AtomicBoolean();

    Checkpointer(RingState ring, CheckpointIo io, FailureLatch failure, long slotCount) {
        this.ring = ring;
        this.io = io;
        this.failure = failure;
        this.slotCount = slotCount;
    }

    /**
     * Writes a checkpoint of the index now. Returns false when the index does not fit a region
     * (recovery then scans from the previous checkpoint).
     *
     * @throws StoreException.Failed when the store failed earlier, or this write failed (which fails it)
     */
    boolean write() throws IOException {
        synchronized (writeMonitor) {
            failure.throwIfSet();
            IndexSnapshot s = ring.snapshot(io.maxPayload());
            if (s == null) {
                return false;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment payload = s.encode(arena);
                // The generation is taken only now: a snapshot that failed before this point wrote
                // nothing and uses none, so the next checkpoint still goes to the older region.
                long generation = ring.nextGeneration();
                long bytes;
                try {
                    bytes = io.write(arena, generation, s.scanStarts(), s.nextVersion(), s.count(), payload,
                            s.payloadLength());
                } catch (NativeIoException | RuntimeException | Error e) {
                    // The region may be half written and its generation is spent: the store fails, so no
                    // later checkpoint can go over the one that loads.
                    throw failure.fail("checkpoint write", e.getMessage() == null ? e.toString() : e.getMessage(), e);
                }
                ring.checkpointWritten(s, bytes);
                return true;
            }
        }
    }

    /**
     * The threshold {@link #autoPositions(long)} gives a ring of the store's slots of all classes (for a
     * store of one class, its ring's). Each class's ring is checked against its own size.
     */
    long autoPositions() {
        return autoPositions(slotCount);
    }

    /** Positions written to a ring of {@code slots} slots after a checkpoint that trigger the next: N/8, at least 4096, at most N/2. */
    static long autoPositions(long slots) {
        return Math.min(slots / 2, Math.max(4096, slots / 8));
    }

    /**
     * The threshold past which a writer writes the checkpoint itself (after the one in progress): 1.5
     * times {@link #autoPositions(long)}, but no more than leaves room for one more window's positions
     * in flight ({@link RingBounds#aheadBudget()}) before the ring comes round to the last checkpoint's
     * scan start. So a ring of up to 8,192 slots, where the threshold is already half the ring, gets its
     * checkpoints from its writer as before; a larger one from the checkpoint thread.
     */
    static long overduePositions(long slots) {
        long auto = autoPositions(slots);
        long window = Math.min(RingBounds.MAX_AHEAD, slots / 2);
        return Math.max(auto, Math.min(auto + auto / 2, slots - window - 1));
    }

    /**
     * After a window of writes: when an eighth of any class's ring (at least 4,096 positions, at most
     * half) was written since the last checkpoint, one is handed to the checkpoint thread (none when one
     * is already there). The writer writes it itself, after the one in progress, when any ring is
     * {@link #overduePositions overdue} or the thread is not running. Each writer may plan one more
     * window before it checks again: with one writer, no ring comes round to the scan start of the
     * checkpoint recovery would load; with several, each may add a window first (as when writers wrote
     * every checkpoint themselves), and a ring that comes round makes recovery read every slot.
     */
    void afterWrites() throws IOException {
        if (failure.isSet() || !ring.checkpointDue(Checkpointer::autoPositions)) {
            return;
        }
        ScheduledExecutorService w = worker;
        if (w == null || ring.checkpointDue(Checkpointer::overduePositions)) {
            writeIfDue();
            return;
        }
        if (queued.compareAndSet(false, true)) {
            try {
                w.execute(this::inBackground);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                queued.set(false);
                writeIfDue();
            }
        }
    }

    /** A checkpoint if one is still due once this thread holds the write monitor. */
    private void writeIfDue() throws IOException {
        synchronized (writeMonitor) {
            if (!failure.isSet() && ring.checkpointDue(Checkpointer::autoPositions)) {
                write();
            }
        }
    }

    private void inBackground() {
        try {
            passGate(this::writeIfDue);
        } finally {
            queued.set(false);
        }
    }

    /**
     * Starts the checkpoint thread: it writes the checkpoints found due after writes and, every
     * {@code intervalMs} (0: never) when there were writes since the last, a periodic one. Each passes
     * {@code gate}.
     */
    void start(long intervalMs, CallGate gate) {
        start(intervalMs, gate, Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rawio-store-checkpoint");
            t.setDaemon(true);
            return t;
        }));
    }

    /** {@link #start(long, CallGate)} on {@code ex}, a single thread (tests pass one they can hold up). */
    void start(long intervalMs, CallGate gate, ScheduledExecutorService ex) {
        this.gate = gate;
        if (intervalMs > 0) {
            ex.scheduleWithFixedDelay(this::periodic, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        }
        worker = ex;
    }

    private void periodic() {
        passGate(() -> {
            if (ring.writesSinceCheckpoint() > 0 && !failure.isSet()) {
                write();
            }
        });
    }

    /** Runs a checkpoint on the checkpoint thread inside the store's gate; nothing once the store is closing. */
    private void passGate(CheckpointCall checkpoint) {
        CallGate g = gate;
        try {
            g.enter();
        } catch (IllegalStateException closed) {
            return;
        }
        try {
            checkpoint.run();
        } catch (IOException | RuntimeException | Error e) {
            // A failed write latched the store's failure, which the next write reports; a snapshot that
            // failed before writing (out of memory, say) spent nothing, and the next one due tries again
            // (an Error let through would end the periodic schedule for good).
        } finally {
            g.exit();
        }
    }

    @FunctionalInterface
    private interface CheckpointCall {
        void run() throws IOException;
    }

    /**
     * Stops the checkpoint thread, after it released what the engine kept for it (its ring, and with
     * it the file's references: see {@link io.rawio.engine.IoEngine#releaseThread}). Call it once the
     * store's gate is closed: no checkpoint is then in progress on it, and none starts. Idempotent.
     */
    @Override
    public void close() {
        ScheduledExecutorService t = worker;
        worker = null;
        if (t == null) {
            return;
        }
        t.execute(io::releaseThread);
        t.shutdown(); // the periodic task is cancelled; what was queued runs, and finds the gate closed
        // Uninterruptibly, as the gate's close waits: an interrupted closer must still let the thread
        // give its ring back, or the file's flock outlives the store.
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!t.isTerminated()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                // A checkpoint thread stuck this long: its ring, if it keeps one, goes with the engine's
                // close, and the kernel's own teardown of it releases the file's flock later.
                t.shutdownNow();
                break;
            }
            try {
                t.awaitTermination(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
