package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.memory.AlignedMemory;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Delete when the ring has no slot for a tombstone (eviction off and full): the key's own slot is
 * rewritten as a tombstone at the key's own position, its value blocks zeroed, then a checkpoint
 * without the key is written. Recovery that reaches the position applies the tombstone (no hole
 * in the ring: the position stays written), and a checkpoint from before that still lists the key
 * points at the tombstone (read as a miss) or at value blocks that fail the data CRC: the deleted
 * value never comes back.
 *
 * <p>A write of the key still in flight is waited for first ({@link RingState#takeForDeleteInPlace}): in
 * a store of one class it lands at a later position than the tombstone, and the scan from a checkpoint
 * applies a one-class store's slots in position order, so it would apply that write after the delete
 * (stores of several classes go by versions). The caller's own started writes must be over before
 * (they could never end within that wait): {@link WritePipeline#deleteAll}, the one caller, awaits them.
 */
final class InPlaceDelete {
    private InPlaceDelete() {
    }

    /** Deletes {@code key} in place; false when it is absent. */
    static boolean delete(StoreFile f, RingState ring, FailureLatch failure, Checkpointer checkpointer, byte[] key)
            throws IOException {
        Superblock sb = f.superblock();
        WindowPlanner.InPlace d = ring.takeForDeleteInPlace(key);
        if (d == null) {
            return false;
        }
        if (failure.isSet()) {
            ring.releaseInPlace(d); // the store failed while the take waited: nothing more is written
            failure.throwIfSet();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = AlignedMemory.allocate(arena, d.usedBytes(), SlotStore.BLOCK_SIZE);
            long slotSize = sb.slotSizeAt(d.position());
            SlotDescriptor.fill(slot, key, MemorySegment.NULL, SlotDescriptor.FLAG_TOMBSTONE, d.position(), sb.storeId(),
                    slotSize, d.version(), 0);
            // A get of a block-aligned value reads the value blocks alone and checks them against the
            // data CRC an older checkpoint may still hold: zeros must not pass it, which they would if
            // the deleted value was all zeros. Then the blocks are filled with ones instead.
            if (SlotDescriptor.valueAligned(key.length, d.valueLength(), slotSize)) {
                long valueAt = SlotDescriptor.valueOffset(key.length, d.valueLength(), slotSize);
                if (Le.crc32c(key, slot, valueAt, d.valueLength()) == d.dataCrc()) {
                    slot.asSlice(valueAt, d.valueLength()).fill((byte) 0xff);
                }
            }
            IoBatch b = new IoBatch(2);
            b.write(f.file(), sb.positionOffset(d.position()), slot);
            b.fdatasync(f.file());
            f.execute(b);
            for (int i = 0; i < b.size(); i++) {
                if (b.result(i) < 0) {
                    StoreException.Failed e = failure.fail("delete write", b.failure(i).getMessage(), b.failure(i));
                    ring.failed();
                    throw e;
                }
            }
        } finally {
            // No put may take the slot until the tombstone has landed, or it could land over the put.
            ring.releaseInPlace(d);
        }
        checkpointer.write();
        return true;
    }
}
