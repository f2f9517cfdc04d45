package io.rawio.store;

import io.rawio.memory.AlignedMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What a checkpoint writes: the generation, each class's scan start, the next version to hand out,
 * and the index's entries (with the keys removed since the oldest write in flight) encoded into a
 * payload of whole blocks. {@link RingState#snapshot} copies what it needs under the ring's lock
 * ({@link Copy}); the encoding, which touches every key, runs after the lock is released.
 *
 * @param payloadLength the bytes of entries in {@code payload} (the rest of its last block is the
 *                      checkpoint writer's to zero)
 */
record IndexSnapshot(long generation, long[] scanStarts, long nextVersion, long count, MemorySegment payload,
        long payloadLength) {

    /** Class 0's scan start. */
    long scanStart() {
        return scanStarts[0];
    }

    /**
     * The copies taken under the ring's lock: {@code entries} from {@link KeyIndex#entriesCopy},
     * {@code expiring} from {@link Expiries#copy}, {@code gone} a list of its own.
     */
    record Copy(long generation, long[] scanStarts, long nextVersion, KeyIndex entries, Expiries expiring,
            List<RemovedKeys.Removal> gone, long count, long payloadLength) {

        /** Encodes the entries into a payload from {@code arena}; no lock is needed. */
        IndexSnapshot encode(Arena arena) {
            MemorySegment payload = AlignedMemory.allocate(arena,
                    Math.max(SlotStore.BLOCK_SIZE, Blocks.roundUp(payloadLength, SlotStore.BLOCK_SIZE)),
                    SlotStore.BLOCK_SIZE);
            CheckpointDescriptor.encodeIndex(entries, expiring, gone, payload, payloadLength);
            return new IndexSnapshot(generation, scanStarts, nextVersion, count, payload, payloadLength);
        }
    }
}
