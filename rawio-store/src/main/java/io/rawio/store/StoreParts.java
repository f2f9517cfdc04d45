package io.rawio.store;

import io.rawio.engine.IoEngine;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The parts of an open store, assembled in the order an open needs (file, recovery, ring state, then
 * the paths that use it) and taken apart in the order a close needs. The facade, {@link SlotStore},
 * holds one and passes its calls through {@link #gate}.
 */
record StoreParts(StoreFile file, StoreOptions options, FailureLatch failure, CallGate gate, ValueCache cache,
        LeaseBuffers leaseBuffers, RingState ring, ScratchBuffers scratch, Checkpointer checkpointer,
        WritePipeline writes, ReadPath reads, Checker checker, long openMillis) {

    /**
     * Opens the file, recovers the index, assembles the parts and only then starts the periodic
     * checkpoints (a failed recovery leaves no thread behind). The engine is owned from the start: a
     * failed open closes it.
     */
    static StoreParts open(Path path, StoreOptions options, IoEngine engine, String notice) throws IOException {
        long start = System.nanoTime();
        StoreFile file = StoreFile.open(path, options, engine, notice);
        try {
            Superblock sb = file.superblock();
            CheckpointIo checkpoints = new CheckpointIo(file);
            KeyIndex index = new KeyIndex(sb);
            Recovery.Result recovered = Recovery.run(file, checkpoints, index, options.clock());
            // Old slots a move left valid when the process died before retiring them: retired now,
            // before anything is served, so no later recovery can bring their values back. A repair, as
            // the superblock's: when it cannot be written the store still opens (recovery's versions
            // decide between the slots), and the next open tries again.
            SlotRetirement.retireAll(file, recovered.stale(), true);
            FailureLatch failure = new FailureLatch(file.path());
            CallGate gate = new CallGate(file.path());
            ValueCache cache = new ValueCache(options.cacheBytes());
            LeaseBuffers leaseBuffers = new LeaseBuffers(file.engine()::registerMemory);
            RingState ring = new RingState(sb, index, recovered, EvictionPolicy.of(options.eviction()), failure,
                    options.clock(), cache);
            ScratchBuffers scratch = new ScratchBuffers(SlotStore.BLOCK_SIZE);
            Checkpointer checkpointer = new Checkpointer(ring, checkpoints, failure, sb.slotCount());
            WritePipeline writes = new WritePipeline(file, options, ring, new RingBounds(sb.classes().getFirst().slotCount()),
                    failure, scratch, checkpointer, cache);
            ReadPath reads = new ReadPath(file, options, ring, scratch, leaseBuffers, cache);
            Checker checker = new Checker(file, options, ring, checkpoints);
            StoreParts parts = new StoreParts(file, options, failure, gate, cache, leaseBuffers, ring, scratch,
                    checkpointer, writes, reads, checker, (System.nanoTime() - start) / 1_000_000);
            checkpointer.start(options.checkpointIntervalMs(), gate);
            return parts;
        } catch (IOException | RuntimeException e) {
            try {
                file.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Refuses new calls and waits for the calls in progress; then, when {@code checkpoint} and anything
     * changed since the last one (and the store has not failed), writes a final checkpoint; then
     * releases the file, the engine and the memory. Returns false when already closed (idempotent).
     */
    boolean close(boolean checkpoint) throws IOException {
        if (!gate.close()) {
            return false;
        }
        checkpointer.close();
        IOException first = null;
        try {
            // A store that was only read is left byte for byte as it was.
            if (checkpoint && !failure.isSet() && ring.changedSinceCheckpoint()) {
                checkpointer.write();
            }
        } catch (IOException e) {
            first = e;
        } finally {
            try {
                file.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
            scratch.close();
            writes.inPlace.buffers.close();
            leaseBuffers.close();
            cache.close();
        }
        if (first != null) {
            throw first;
        }
        return true;
    }
}
