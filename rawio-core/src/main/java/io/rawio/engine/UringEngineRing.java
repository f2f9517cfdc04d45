package io.rawio.engine;

import io.rawio.nativeio.Iovec;
import io.rawio.nativeio.NativeIoException;
import io.rawio.uring.IoUring;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One thread's ring of a {@link UringEngine} and its per-batch scratch state: a ring of the engine's own,
 * or one the thread's owner set up and shares ({@link IoEngine#shareRing}), whose completions that are
 * not the engine's go to {@link #others}. Used by its thread only.
 */
final class UringEngineRing {
    final IoUring uring;
    final Arena arena = Arena.ofShared();
    final MemorySegment iovs;
    final TransferProgress progress = new TransferProgress();
    int registeredVersion = -1;
    MemorySegment[] registered = new MemorySegment[0];
    IoFile[] fileTable = new IoFile[0];
    /** The kernel refused to register files: descriptors from then on, no retry per batch. */
    boolean filesRefused;
    int inflight;
    /** Handles the ring's completions for the engine (set once, right after construction). */
    IoUring.CqeVisitor reaper;
    /** Batch indexes of the SQEs filled since the last submission, to stamp their issue time. */
    int[] unsubmitted = new int[64];
    int unsubmittedCount;
    /** Batch indexes of operations completed but not yet told to the batch's completer. */
    int[] finished = new int[64];
    int finishedCount;
    /** Batches started on the shared ring and not over ({@link IoEngine#start}); null until the first. */
    UringStartedBatches started;
    /** Completions that are not the engine's, on a ring it shares; else null. */
    final IoUring.CqeVisitor others;

    /** A ring of the engine's own with {@code entries} entries; what setup dropped goes to {@code notices}. */
    UringEngineRing(int entries, boolean plainSetup, CopyOnWriteArrayList<String> notices) throws NativeIoException {
        IoUring.Setup setup = IoUring.Setup.of(entries);
        this.uring = IoUring.create(plainSetup ? setup.plain() : setup);
        this.iovs = arena.allocate((long) uring.sqEntries() * UringEngine.MAX_IOV_PER_OP * Iovec.SIZE, 8);
        this.others = null;
        for (String f : uring.fallbacks()) {
            notices.addIfAbsent(f);
        }
    }

    /** A ring the thread's owner set up: the engine registers no files on it and never closes it. */
    UringEngineRing(IoUring shared, IoUring.CqeVisitor others) {
        this.uring = shared;
        this.iovs = arena.allocate((long) uring.sqEntries() * UringEngine.MAX_IOV_PER_OP * Iovec.SIZE, 8);
        this.others = others;
        this.filesRefused = true; // its owner's registered files are its own
    }

    void close() {
        if (started != null && started.inFlight() > 0) {
            // Dropped with batches started (the ring failed): they end with an error, their done told.
            started.abandon(-io.rawio.nativeio.Errno.EIO);
        }
        if (others != null) {
            arena.close(); // the ring is its owner's to close
            return;
        }
        if (fileTable.length > 0) {
            // Registered files hold references to their files; the ring's own teardown drops them
            // later, asynchronously. Unregister now, so a closed file is really closed (its flock
            // released) when the engine's close returns. Fails harmlessly from a thread other
            // than a SINGLE_ISSUER ring's owner.
            try {
                uring.unregisterFiles();
            } catch (NativeIoException e) {
                // the asynchronous teardown still releases them
            }
            fileTable = new IoFile[0];
        }
        uring.close();
        arena.close();
    }
}
