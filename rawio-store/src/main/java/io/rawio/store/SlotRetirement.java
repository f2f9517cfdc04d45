package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.memory.AlignedMemory;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Retires a key's old slot in one class once a newer write of the key in another class (a value of
 * another size, or a tombstone) is on the device: the old slot is rewritten in place as a tombstone of
 * the key at its own position and with its own version. Until then both slots are valid and the
 * version decides; once the old one is retired, a recovery that has nothing else to go by (a full
 * scan, after the newer slot was overwritten by its ring) can no longer bring the old value back.
 * The retired slot stays valid at its position, so a recovery scan across it sees no hole.
 *
 * <p>Only the first blocks (header and key) are rewritten; a block-aligned value's blocks stay, and a
 * read of them checked against an old data CRC is a read of a key the index no longer maps there.
 */
final class SlotRetirement {
    /** A slot to retire: {@code key}'s value of {@code version} at {@code position}, in slot {@code slot}. */
    record Stale(byte[] key, long position, long version, int slot) {
    }

    private SlotRetirement() {
    }

    /** Bytes a retirement of a key of {@code keyLength} bytes writes: its header and key, whole blocks. */
    static long bytes(int keyLength, long slotSize) {
        return SlotDescriptor.usedBlocks(keyLength, 0, slotSize);
    }

    /** Fills {@code buf} ({@link #bytes} long) with the tombstone that retires {@code s}. */
    static void fill(MemorySegment buf, Stale s, Superblock sb) {
        SlotDescriptor.fill(buf, s.key(), MemorySegment.NULL, SlotDescriptor.FLAG_TOMBSTONE, s.position(), sb.storeId(),
                sb.slotSizeAt(s.position()), s.version(), 0);
    }

    /**
     * Writes the tombstones that retire {@code stale} as one batch (with an fdatasync when
     * {@code durable}); returns null, or the first failure's message.
     */
    static String retireAll(StoreFile f, List<Stale> stale, boolean durable) {
        if (stale.isEmpty()) {
            return null;
        }
        Superblock sb = f.superblock();
        try (Arena arena = Arena.ofConfined()) {
            IoBatch b = new IoBatch(stale.size() + 1);
            for (Stale s : stale) {
                MemorySegment buf = AlignedMemory.allocate(arena, bytes(s.key().length, sb.slotSizeAt(s.position())),
                        SlotStore.BLOCK_SIZE);
                fill(buf, s, sb);
                b.write(f.file(), sb.positionOffset(s.position()), buf);
            }
            if (durable) {
                b.fdatasync(f.file());
            }
            f.execute(b);
            for (int i = 0; i < b.size(); i++) {
                if (b.result(i) < 0) {
                    return b.failure(i).getMessage();
                }
                if (i < stale.size() && b.result(i) < bytes(stale.get(i).key().length,
                        sb.slotSizeAt(stale.get(i).position()))) {
                    return "short write retiring slot " + stale.get(i).slot();
                }
            }
            return null;
        }
    }
}
