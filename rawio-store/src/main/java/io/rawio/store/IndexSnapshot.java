package io.rawio.store;

import io.rawio.memory.AlignedMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What a checkpoint writes, taken by {@link RingState#snapshot} under the ring state's lock: each
 * class's scan start, the next version to hand out, and copies of the index's entries, the expiries
 * and the keys removed since the oldest write in flight. {@link #encode} makes the payload after the
 * lock is released. The generation is not part of it: the checkpointer takes one only once the payload
 * is made, just before the write ({@link RingState#nextGeneration}), so a snapshot that fails uses none.
 *
 * @param writes the writes counted since the last checkpoint when this was taken (what its landing covers)
 */
record IndexSnapshot(long[] scanStarts, long nextVersion, IndexEntries entries, Expiries expiring,
        List<RemovedKeys.Removal> gone, long count, long payloadLength, long writes) {

    /** Class 0's scan start. */
    long scanStart() {
        return scanStarts[0];
    }

    /** The entries encoded into a payload of whole blocks from {@code arena}; no lock is needed. */
    MemorySegment encode(Arena arena) {
        MemorySegment payload = AlignedMemory.allocate(arena,
                Math.max(SlotStore.BLOCK_SIZE, Blocks.roundUp(payloadLength, SlotStore.BLOCK_SIZE)), SlotStore.BLOCK_SIZE);
        CheckpointDescriptor.encodeEntries(entries, expiring, gone, payload, payloadLength);
        return payload;
    }
}
