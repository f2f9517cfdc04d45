package io.rawio.store;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** The delete of many keys ({@link SlotStore#deleteMany}): tombstones batched as puts, then one by one, then in place. */
final class ManyDeletes {
    private ManyDeletes() {
    }

    /**
     * Deletes every key present (a key listed twice counts once) with tombstone writes batched as
     * {@link WritePipeline#writeAll} batches puts; a key that leaves the index before its tombstone is planned
     * (evicted by an earlier one) counts as deleted and writes nothing. A key the ring has no room to
     * write a tombstone for (eviction off, the ring full) is tried again alone, and deleted in place
     * ({@link WritePipeline#deleteInPlace}) when there is still no room, as a delete of one key is. Returns how many
     * were present and are gone.
     *
     * @throws IOException for a key that could not be deleted: keys before and after it in the list may
     *     be gone already
     */
    static int run(WritePipeline writes, StoreFile f, RingState ring, FailureLatch failure, List<byte[]> keys)
            throws IOException {
        // This thread's started calls come first (and a delete in place waits for writes in flight).
        f.engine().awaitStarted();
        List<byte[]> present = new java.util.ArrayList<>(Math.min(keys.size(), 1024));
        java.util.Set<java.nio.ByteBuffer> seen = keys.size() > 1 ? new java.util.HashSet<>() : null;
        for (byte[] k : keys) {
            if (ring.contains(k) && (seen == null || seen.add(java.nio.ByteBuffer.wrap(k)))) {
                present.add(k);
            }
        }
        if (present.isEmpty()) {
            return 0;
        }
        SlotStore.Result[] r = new SlotStore.Result[present.size()];
        writes.writeAll(present, java.util.Collections.nCopies(present.size(), MemorySegment.NULL), r,
                SlotDescriptor.FLAG_TOMBSTONE);
        int deleted = 0;
        List<byte[]> full = new java.util.ArrayList<>();
        for (int i = 0; i < r.length; i++) {
            if (r[i].ok()) {
                deleted++;
            } else if (r[i].status() == SlotStore.Status.FULL && !failure.isSet()) {
                full.add(present.get(i));
            } else {
                throw StoreException.of(r[i], failure);
            }
        }
        // One at a time, as single deletes go: an in-place delete can free the slot at the cursor, and
        // the next key's tombstone then fits.
        SlotStore.Result[] one = new SlotStore.Result[1];
        for (byte[] k : full) {
            writes.writeAll(List.of(k), List.of(MemorySegment.NULL), one, SlotDescriptor.FLAG_TOMBSTONE);
            if (one[0].ok()) {
                deleted++;
            } else if (one[0].status() == SlotStore.Status.FULL && !failure.isSet()) {
                deleted += writes.deleteInPlace(k) ? 1 : 0;
            } else {
                throw StoreException.of(one[0], failure);
            }
        }
        return deleted;
    }
}
