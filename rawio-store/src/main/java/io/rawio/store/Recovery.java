package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.memory.AlignedMemory;
import io.rawio.store.CheckpointDescriptor.Header;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.TreeMap;

/**
 * Rebuilds the index on open: loads the newest valid checkpoint (falling back to the other region),
 * then reads the ring from its scan start and applies every slot written at its position, stopping
 * after {@link RingBounds#recoveryGap()} positions in a row with nothing valid. A slot from a later lap,
 * or no valid checkpoint, means reading every slot and applying them in sequence order. Runs before
 * the store serves anything, on one thread; writes nothing.
 */
final class Recovery {
    /** Recovery reads slots of at most this size whole, many per read. */
    static final long SCAN_WHOLE_SLOT_MAX = 16 * 1024;
    /** Bytes per recovery read of whole slots. */
    static final long SCAN_READ_BYTES = 1 << 20;
    static final int BLOCK_SIZE = SlotStore.BLOCK_SIZE;

    /**
     * What recovery found.
     *
     * @param cursor              the next position to write
     * @param generation          the highest checkpoint generation on the device
     * @param checkpointScanStart where recovery would start reading if the process died now
     * @param recoveredKeys       live keys the scan applied
     * @param scanned             slots the scan read
     * @param fullScan            whether every slot was read
     */
    record Result(long cursor, long generation, long checkpointScanStart, long recoveredKeys, long scanned,
            boolean fullScan) {
    }

    private final StoreFile f;
    private final Superblock sb;
    private final CheckpointIo checkpoints;
    private final KeyIndex index;
    private final RingBounds bounds;
    private long cursor;
    private long recoveredKeys;
    private long scanned;

    private Recovery(StoreFile f, CheckpointIo checkpoints, KeyIndex index, RingBounds bounds) {
        this.f = f;
        this.sb = f.superblock();
        this.checkpoints = checkpoints;
        this.index = index;
        this.bounds = bounds;
    }

    /** Fills {@code index} (empty) from the device. */
    static Result run(StoreFile f, CheckpointIo checkpoints, KeyIndex index, RingBounds bounds) throws IOException {
        return new Recovery(f, checkpoints, index, bounds).run();
    }

    private Result run() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Header[] h = checkpoints.readHeaders(arena);
            long[] regions = checkpoints.regions();
            // Every valid header counts, loaded or not: the next checkpoint must not reuse a generation a
            // region still holds, or it could go to the region of the only checkpoint that loads.
            long generation = Math.max(h[0] == null ? 0 : h[0].generation(), h[1] == null ? 0 : h[1].generation());
            long scanStart = 0;
            boolean loaded = false;
            // Newest valid first; an unreadable or corrupt payload falls back to the other region.
            int[] order = h[0] != null && (h[1] == null || h[0].generation() > h[1].generation())
                    ? new int[] {0, 1} : new int[] {1, 0};
            for (int r : order) {
                if (h[r] != null && load(arena, regions[r], h[r])) {
                    scanStart = h[r].scanStart();
                    cursor = scanStart;
                    loaded = true;
                    break;
                }
            }
            boolean full = !loaded || !scanFrom(arena, cursor);
            if (full) {
                index.clear();
                recoveredKeys = 0;
                fullScan(arena);
                scanStart = 0;
            }
            return new Result(cursor, generation, Math.min(scanStart, cursor), recoveredKeys, scanned, full);
        }
    }

    private boolean load(Arena arena, long region, Header h) {
        MemorySegment payload = checkpoints.payload(arena, region, h);
        if (payload == null) {
            return false;
        }
        index.clear();
        index.reserve(h.count());
        try {
            CheckpointDescriptor.decodeEntries(payload, h.count(), index::put);
        } catch (IllegalArgumentException e) {
            index.clear(); // a payload whose CRC matched but whose entries do not parse: not this checkpoint
            return false;
        }
        return true;
    }

    /**
     * Applies one slot read whole (header, key and value) that was written at {@code position}: the key
     * that lived in its slot is gone either way; a live value with a good data CRC replaces the key's
     * entry, a tombstone removes the key. Returns whether the slot was valid.
     */
    private boolean apply(MemorySegment slot, long position) {
        index.evictSlot(sb.slotOf(position));
        if (!SlotDescriptor.dataValid(slot, sb.slotSize())) {
            return false;
        }
        byte[] key = slot.asSlice(SlotDescriptor.HEADER_SIZE, SlotDescriptor.keyLength(slot)).toArray(ValueLayout.JAVA_BYTE);
        if (SlotDescriptor.flags(slot) == SlotDescriptor.FLAG_TOMBSTONE) {
            index.remove(key);
        } else {
            index.put(key, position, SlotDescriptor.valueLength(slot), SlotDescriptor.dataCrc(slot));
            recoveredKeys++;
        }
        return true;
    }

    /**
     * Reads the ring from {@code start}: every slot whose sequence is its position is applied. Returns
     * false when the ring came round past {@code start} since (a slot holds a later lap), which a
     * checkpoint every eighth of the ring prevents; the caller then reads every slot.
     */
    private boolean scanFrom(Arena arena, long start) {
        long window = bounds.recoveryGap();
        // Small slots are read whole, many consecutive slots per read (1 MiB): the scan then costs a few
        // large reads instead of one read per slot. Larger slots: one read of each slot's first block.
        boolean whole = sb.slotSize() <= SCAN_WHOLE_SLOT_MAX;
        long stride = whole ? sb.slotSize() : BLOCK_SIZE;
        int perRead = whole ? (int) Math.max(1, SCAN_READ_BYTES / sb.slotSize()) : 1;
        int reads = whole ? 4 : 256;
        int batchN = perRead * reads;
        MemorySegment heads = AlignedMemory.allocate(arena, batchN * stride, BLOCK_SIZE);
        MemorySegment full = null;
        IoBatch b = new IoBatch(reads);
        IoBatch one = new IoBatch(1);
        int[] firstOfRead = new int[reads];
        long[] validOf = new long[batchN];
        long p = start;
        long lastValid = start - 1;
        long end = start + sb.slotCount();
        while (p < end && p - lastValid <= window) {
            b.clear();
            int n = 0;
            for (int r = 0; r < reads && p + n < end; r++) {
                long slot = sb.slotOf(p + n);
                // A read never crosses the end of the ring.
                int m = (int) Math.min(Math.min(perRead, end - p - n), sb.slotCount() - slot);
                firstOfRead[r] = n;
                b.read(f.file(), sb.slotOffset(slot), heads.asSlice(n * stride, m * stride));
                n += m;
            }
            f.execute(b);
            for (int r = 0; r < b.size(); r++) {
                long got = Math.max(0, b.result(r));
                int next = r + 1 < b.size() ? firstOfRead[r + 1] : n;
                for (int i = firstOfRead[r]; i < next; i++) {
                    validOf[i] = Math.min(stride, Math.max(0, got - (i - firstOfRead[r]) * stride));
                }
            }
            scanned += n;
            for (int i = 0; i < n; i++) {
                long pos = p + i;
                if (pos - lastValid > window) {
                    // The gap ends inside this read: nothing acknowledged lies past it (RingBounds).
                    cursor = lastValid + 1;
                    return true;
                }
                if (validOf[i] < BLOCK_SIZE) {
                    continue;
                }
                MemorySegment head = heads.asSlice(i * stride, validOf[i]);
                if (!SlotDescriptor.headerValid(head, sb.storeId(), sb.slotSize())) {
                    continue;
                }
                if (SlotDescriptor.sequence(head) > pos) {
                    return false;
                }
                if (SlotDescriptor.sequence(head) != pos) {
                    continue;
                }
                long used = SlotDescriptor.usedBlocks(SlotDescriptor.keyLength(head), SlotDescriptor.valueLength(head),
                        sb.slotSize());
                MemorySegment slot = head;
                if (used > head.byteSize()) {
                    if (full == null) {
                        full = AlignedMemory.allocate(arena, sb.slotSize(), BLOCK_SIZE);
                    }
                    one.clear();
                    one.read(f.file(), sb.positionOffset(pos), full.asSlice(0, used));
                    f.execute(one);
                    if (one.result(0) < used) {
                        continue;
                    }
                    slot = full;
                }
                if (apply(slot, pos)) {
                    lastValid = pos;
                }
            }
            p += n;
        }
        cursor = lastValid + 1;
        return true;
    }

    /** No valid checkpoint, or the ring came round: read every slot, and apply them in sequence order. */
    private void fullScan(Arena arena) {
        TreeMap<Long, Integer> bySequence = new TreeMap<>();
        f.forEachSlotHeader(arena, (s, head, read) -> {
            scanned++;
            if (read && SlotDescriptor.headerValid(head, sb.storeId(), sb.slotSize())
                    && sb.slotOf(SlotDescriptor.sequence(head)) == s) {
                bySequence.put(SlotDescriptor.sequence(head), (int) s);
            }
        });
        if (bySequence.isEmpty()) {
            cursor = 0;
            return;
        }
        // Applied in order from the oldest: data CRCs and tombstones are checked as they are applied.
        MemorySegment full = AlignedMemory.allocate(arena, sb.slotSize(), BLOCK_SIZE);
        IoBatch one = new IoBatch(1);
        for (var e : bySequence.entrySet()) {
            one.clear();
            one.read(f.file(), sb.slotOffset(e.getValue()), full);
            f.execute(one);
            if (one.result(0) < SlotDescriptor.HEADER_SIZE
                    || !SlotDescriptor.headerValid(full, sb.storeId(), sb.slotSize())) {
                continue;
            }
            long used = SlotDescriptor.usedBytes(SlotDescriptor.keyLength(full), SlotDescriptor.valueLength(full),
                    sb.slotSize());
            if (one.result(0) < used) {
                continue;
            }
            apply(full, e.getKey());
        }
        cursor = bySequence.lastKey() + 1;
    }
}

