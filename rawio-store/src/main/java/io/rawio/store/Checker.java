package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.memory.AlignedMemory;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code check}: reads both superblocks, both checkpoints, every slot header and every key's whole
 * slot (header, sequence, the key as stored, value length and data CRC; a get of a block-aligned value
 * reads the value alone, so check also reads what a get does not). Writes nothing. Keys rewritten or
 * evicted while it runs are not counted as corrupt.
 */
final class Checker {
    /** Bytes of slots check reads per dispatcher batch, at most. */
    static final long CHECK_READ_BYTES = 64L << 20;

    private final StoreFile f;
    private final Superblock sb;
    private final StoreOptions options;
    private final RingState ring;
    private final CheckpointIo checkpoints;

    Checker(StoreFile f, StoreOptions options, RingState ring, CheckpointIo checkpoints) {
        this.f = f;
        this.sb = f.superblock();
        this.options = options;
        this.ring = ring;
        this.checkpoints = checkpoints;
    }

    CheckReport check() throws IOException {
        int superblocks = 0;
        long slotsDamaged;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(arena, 2L * SuperblockDescriptor.SIZE, SlotStore.BLOCK_SIZE);
            IoBatch b = new IoBatch(1);
            b.read(f.file(), 0, buf);
            f.execute(b);
            b.throwIfFailed();
            superblocks += SuperblockDescriptor.decode(buf.asSlice(0, SuperblockDescriptor.SIZE)) != null ? 1 : 0;
            superblocks += SuperblockDescriptor.decode(buf.asSlice(SuperblockDescriptor.SIZE)) != null ? 1 : 0;
            long[] damaged = {0};
            f.forEachSlotHeader(arena, (s, head, read) -> {
                if (read && head.get(Le.U32, SlotDescriptor.MAGIC_OFFSET) == SlotDescriptor.MAGIC
                        && head.get(Le.U64, SlotDescriptor.STORE_ID_OFFSET) == sb.storeId()
                        && !SlotDescriptor.headerValid(head, sb.storeId(), sb.classOfSlot(s).slotSize())) {
                    damaged[0]++;
                }
            });
            slotsDamaged = damaged[0];
        }
        int ckpts = checkpoints.validRegions();
        List<KeyInfo> keys = ring.keys();
        long verified = 0;
        long corrupt = 0;
        long slotBytes = sb.classes().getLast().slotSize();
        int per = (int) Math.max(1, Math.min(options.batchSize(), CHECK_READ_BYTES / slotBytes));
        for (int from = 0; from < keys.size(); from += per) {
            int n = Math.min(per, keys.size() - from);
            try (Arena arena = Arena.ofConfined()) {
                IoBatch b = new IoBatch(n);
                for (int i = 0; i < n; i++) {
                    KeyInfo k = keys.get(from + i);
                    long used = SlotDescriptor.usedBlocks(k.key().length, k.valueLength(), sb.slotSizeAt(k.position()));
                    b.read(f.file(), sb.positionOffset(k.position()),
                            AlignedMemory.allocate(arena, used, SlotStore.BLOCK_SIZE));
                }
                f.execute(b);
                for (int i = 0; i < n; i++) {
                    KeyInfo k = keys.get(from + i);
                    MemorySegment slot = b.buffer(i);
                    if (slotHolds(slot, b.result(i), k)) {
                        verified++;
                    } else if (ring.mapsTo(k.key(), k.position()) && !rewrittenSince(slot, b.result(i), k)) {
                        corrupt++;
                    }
                }
            }
        }
        return new CheckReport(superblocks, ckpts, keys.size(), verified, corrupt, sb.slotCount(),
                slotsDamaged);
    }

    /** Whether a slot read of {@code r} bytes holds exactly this key's live value, by its header and CRCs. */
    private boolean slotHolds(MemorySegment slot, long r, KeyInfo k) {
        return SlotDescriptor.holdsLiveValue(slot, r, k.key(), k.valueLength(), sb.storeId(), sb.slotSizeAt(k.position()))
                && SlotDescriptor.sequence(slot) == k.position() && SlotDescriptor.dataCrc(slot) == k.dataCrc();
    }

    /**
     * The listed key's own slot, rewritten at a later position of the same slot after the keys were
     * listed (a reinsertion in flight): not corruption.
     */
    private boolean rewrittenSince(MemorySegment slot, long r, KeyInfo k) {
        return SlotDescriptor.holdsLiveValue(slot, r, k.key(), k.valueLength(), sb.storeId(), sb.slotSizeAt(k.position()))
                && SlotDescriptor.sequence(slot) > k.position()
                && sb.slotOf(SlotDescriptor.sequence(slot)) == sb.slotOf(k.position());
    }
}
