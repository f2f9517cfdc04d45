package io.rawio.store;

import io.rawio.nativeio.NativeIoException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * When checkpoints are written: on demand, after an eighth of the ring was written since the last one
 * (so recovery's scan stays short, and ends well before the ring comes round), periodically when the
 * store was written to, and on close. One checkpoint is written at a time (its own monitor, never the
 * store object's); the index snapshot is taken under the ring's lock, the I/O outside it.
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
    /** The periodic timer, started once the store is open; null when off or closed. */
    private volatile ScheduledExecutorService timer;

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
            try (Arena arena = Arena.ofConfined()) {
                RingState.Snapshot s = ring.snapshot(arena, io.maxPayload());
                if (s == null) {
                    return false;
                }
                long bytes;
                try {
                    bytes = io.write(arena, s.generation(), s.scanStarts(), s.nextVersion(), s.count(), s.payload(),
                            s.payloadLength());
                } catch (NativeIoException e) {
                    throw failure.fail("checkpoint write", e.getMessage(), e);
                }
                ring.checkpointWritten(s.scanStarts(), bytes);
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

    /** After a window of writes: a checkpoint when an eighth of any class's ring was written since the last. */
    void afterWrites() throws IOException {
        if (!failure.isSet() && ring.checkpointDue(Checkpointer::autoPositions)) {
            write();
        }
    }

    /**
     * Starts writing a checkpoint every {@code intervalMs} when there were writes since the last; each
     * runs through {@code gate}, so close waits for one in progress and none starts after it.
     */
    void startPeriodic(long intervalMs, CallGate gate) {
        if (intervalMs <= 0) {
            return;
        }
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rawio-store-checkpoint");
            t.setDaemon(true);
            return t;
        });
        ex.scheduleWithFixedDelay(() -> periodic(gate), intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        timer = ex;
    }

    private void periodic(CallGate gate) {
        try {
            gate.enter();
        } catch (IllegalStateException closed) {
            return;
        }
        try {
            if (ring.writesSinceCheckpoint() > 0 && !failure.isSet()) {
                write();
            }
        } catch (IOException | RuntimeException e) {
            // A failed checkpoint latched the store's failure; the next write reports it.
        } finally {
            gate.exit();
        }
    }

    /** Stops the periodic timer. Idempotent. */
    @Override
    public void close() {
        ScheduledExecutorService t = timer;
        timer = null;
        if (t != null) {
            t.shutdownNow();
        }
    }
}
