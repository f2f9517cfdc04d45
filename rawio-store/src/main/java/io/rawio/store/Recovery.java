package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.memory.AlignedMemory;
import io.rawio.store.CheckpointDescriptor.Header;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import io.rawio.store.SuperblockDescriptor.SlotClass;
import java.util.ArrayList;
import java.util.List;

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
     * @param cursors             by slot class, the next global position to write
     * @param generation          the highest checkpoint generation on the device (one more when the next
     *                            checkpoint, generation + 1, would otherwise go to the region of the one that
     *                            loaded: then it goes to the region whose newer header did not load)
     * @param scanStarts          by slot class, where recovery would start reading if the process died now
     * @param recoveredKeys       live keys the scan applied
     * @param scanned             slots the scan read
     * @param fullScan            whether every slot was read
     * @param nextVersion         the first slot version to hand out: above every version on the device
     * @param expiries            live keys with an expiry, and when they expire
     * @param expired             keys dropped because their expiry had passed
     * @param stale               old slots of keys that moved class, still valid on the device, which the
     *                            open retires before serving ({@link SlotRetirement})
     */
    record Result(long[] cursors, long generation, long[] scanStarts, long recoveredKeys, long scanned,
            boolean fullScan, long nextVersion, java.util.Map<java.nio.ByteBuffer, Long> expiries, long expired,
            List<SlotRetirement.Stale> stale) {
        /** The result of a one-class store with no versions or expiries (for tests). */
        Result(long cursor, long generation, long scanStart, long recoveredKeys, long scanned, boolean fullScan) {
            this(new long[] {cursor}, generation, new long[] {scanStart}, recoveredKeys, scanned, fullScan, 1,
                    new java.util.HashMap<>(), 0, List.of());
        }

        /** Class 0's cursor (the only one of a one-class store). */
        long cursor() {
            return cursors[0];
        }

        /** Class 0's scan start. */
        long checkpointScanStart() {
            return scanStarts[0];
        }
    }

    /** Added to the highest version recovery saw: versions handed out after a restart are above any
     * version a write in flight at the crash may have left on the device beyond what recovery read. */
    static final long VERSION_RESERVE = 1L << 24;

    private final StoreFile f;
    private final Superblock sb;
    private final CheckpointIo checkpoints;
    private final KeyIndex index;
    private final java.time.InstantSource clock;
    private final java.util.Map<java.nio.ByteBuffer, Long> expiries = new java.util.HashMap<>();
    private final long[] cursors;
    /**
     * With several classes: the highest version of a tombstone applied per key. A key deleted after it
     * moved class has its tombstone in one class and its older value in another; whichever class is
     * scanned first, the older value must not come back.
     */
    private final java.util.Map<java.nio.ByteBuffer, Long> tombstones = new java.util.HashMap<>();
    /**
     * Slots applied whose header names the key's slot in another class that the write superseded:
     * {key, that slot, the superseding version}. The old slot may still be valid if the process died
     * before retiring it; {@link #staleSlots} checks.
     */
    private final List<Object[]> superseded = new ArrayList<>();
    private long maxVersion;
    private long expired;
    private long recoveredKeys;
    private long scanned;

    private Recovery(StoreFile f, CheckpointIo checkpoints, KeyIndex index, java.time.InstantSource clock) {
        this.f = f;
        this.sb = f.superblock();
        this.checkpoints = checkpoints;
        this.index = index;
        this.clock = clock;
        this.cursors = new long[sb.classes().size()];
    }

    /** Fills {@code index} (empty) from the device, with the system clock. */
    static Result run(StoreFile f, CheckpointIo checkpoints, KeyIndex index) throws IOException {
        return run(f, checkpoints, index, java.time.InstantSource.system());
    }

    /** Fills {@code index} (empty) from the device; keys expired by {@code clock} are dropped. */
    static Result run(StoreFile f, CheckpointIo checkpoints, KeyIndex index, java.time.InstantSource clock)
            throws IOException {
        return new Recovery(f, checkpoints, index, clock).run();
    }

    private Result run() throws IOException {
        int classes = sb.classes().size();
        try (Arena arena = Arena.ofConfined()) {
            Header[] h = checkpoints.readHeaders(arena);
            long[] regions = checkpoints.regions();
            // Every valid header counts, loaded or not: the next checkpoint must not reuse a generation a
            // region still holds, or it could go to the region of the only checkpoint that loads.
            long generation = 0;
            long versionFloor = 0;
            for (Header x : h) {
                if (x != null) {
                    generation = Math.max(generation, x.generation());
                    versionFloor = Math.max(versionFloor, x.nextVersion());
                }
            }
            long[] scanStarts = new long[classes];
            boolean loaded = false;
            // Newest valid first; an unreadable or corrupt payload falls back to the other region.
            int[] order = h[0] != null && (h[1] == null || h[0].generation() > h[1].generation())
                    ? new int[] {0, 1} : new int[] {1, 0};
            for (int r : order) {
                if (h[r] != null && load(arena, regions[r], h[r])) {
                    for (int c = 0; c < classes; c++) {
                        scanStarts[c] = h[r].scanStart(c);
                        cursors[c] = scanStarts[c];
                    }
                    loaded = true;
                    if (checkpoints.regionOf(generation + 1) == regions[r]) {
                        // The newest header lies over a payload that did not load (a checkpoint a crash or a
                        // failed write left torn): the next checkpoint goes to that region, never over the
                        // one that loaded, so a crash during it still leaves this one to load.
                        generation++;
                    }
                    break;
                }
            }
            boolean full = !loaded;
            for (int c = 0; c < classes && !full; c++) {
                full = !scanFrom(arena, c, scanStarts[c]);
            }
            if (full) {
                index.clear();
                expiries.clear();
                tombstones.clear();
                recoveredKeys = 0;
                fullScan(arena);
                for (int c = 0; c < classes; c++) {
                    scanStarts[c] = Superblock.position(c, 0);
                }
            }
            dropExpired();
            for (int c = 0; c < classes; c++) {
                scanStarts[c] = Math.min(scanStarts[c], cursors[c]);
            }
            long nextVersion = Math.max(versionFloor, maxVersion + 1) + VERSION_RESERVE;
            return new Result(cursors, generation, scanStarts, recoveredKeys, scanned, full, nextVersion, expiries,
                    expired, staleSlots(arena));
        }
    }

    private boolean load(Arena arena, long region, Header h) {
        MemorySegment payload = checkpoints.payload(arena, region, h);
        if (payload == null) {
            return false;
        }
        index.clear();
        expiries.clear();
        tombstones.clear();
        index.reserve(h.count());
        try {
            CheckpointDescriptor.decodeEntries(payload, h.count(), h.formatVersion(), (k, p, l, c, v, e) -> {
                if (p == CheckpointDescriptor.REMOVED && sb.classes().size() > 1) {
                    // Left the index after its slot of version v: an older slot the scan finds stays dead.
                    tombstones.merge(java.nio.ByteBuffer.wrap(k), v, Math::max);
                    maxVersion = Math.max(maxVersion, v);
                    return;
                }
                sb.classOf(p); // a position of a class this store does not have is not this store's checkpoint
                index.put(k, p, l, c);
                index.setVersion(p, v);
                maxVersion = Math.max(maxVersion, v);
                if (e != 0) {
                    expiries.put(java.nio.ByteBuffer.wrap(k), e);
                }
            });
        } catch (RuntimeException e) {
            // A payload whose CRC matched but whose entries do not parse: not this checkpoint.
            index.clear();
            expiries.clear();
            tombstones.clear();
            return false;
        }
        return true;
    }

    /** Keys whose expiry has passed leave the index (their slots are free). */
    private void dropExpired() {
        long now = clock.millis();
        var it = expiries.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (e.getValue() <= now) {
                index.remove(e.getKey().array());
                it.remove();
                expired++;
            }
        }
    }

    /**
     * Applies one slot read whole (header, key and value) that was written at {@code position}: the key
     * that lived in its slot is gone either way. A slot with a good data CRC replaces the key's entry (a
     * live value) or removes the key (a tombstone), unless the key's entry is in another slot class and
     * newer (a higher version: the key moved class after this slot was written). Returns whether the
     * slot was valid.
     */
    private boolean apply(MemorySegment slot, long position) {
        long slotSize = sb.slotSizeAt(position);
        byte[] gone = index.evictSlot(sb.slotOf(position));
        if (gone != null && gone.length > 0) {
            expiries.remove(java.nio.ByteBuffer.wrap(gone));
        }
        if (!SlotDescriptor.dataValid(slot, slotSize)) {
            return false;
        }
        long version = SlotDescriptor.version(slot);
        maxVersion = Math.max(maxVersion, version);
        byte[] key = slot.asSlice(SlotDescriptor.HEADER_SIZE, SlotDescriptor.keyLength(slot)).toArray(ValueLayout.JAVA_BYTE);
        int e = index.find(key);
        boolean live = SlotDescriptor.flags(slot) == SlotDescriptor.FLAG_LIVE;
        if (e >= 0 && sb.classOf(index.positionAt(e)) != sb.classOf(position) && index.versionAt(e) > version) {
            if (live) {
                // An older value of a key that moved: live on the device until it is retired.
                superseded.add(new Object[] {key, sb.slotOf(position), index.versionAt(e)});
            }
            return true;
        }
        java.nio.ByteBuffer k = java.nio.ByteBuffer.wrap(key);
        boolean classes = sb.classes().size() > 1;
        int previous = SlotDescriptor.previousSlot(slot);
        if (classes && previous >= 0 && previous < sb.slotCount()) {
            superseded.add(new Object[] {key, previous, version});
        }
        if (SlotDescriptor.flags(slot) == SlotDescriptor.FLAG_TOMBSTONE) {
            index.remove(key);
            expiries.remove(k);
            if (classes) {
                tombstones.merge(k, version, Math::max);
            }
        } else if (classes && tombstones.getOrDefault(k, -1L) > version) {
            // Deleted by a later write of another class: stays deleted, and its slot is retired.
            superseded.add(new Object[] {key, sb.slotOf(position), tombstones.get(k)});
            return true;
        } else {
            index.put(key, position, SlotDescriptor.valueLength(slot), SlotDescriptor.dataCrc(slot));
            index.setVersion(position, version);
            long expiry = SlotDescriptor.expiry(slot);
            if (expiry != 0) {
                expiries.put(k, expiry);
            } else {
                expiries.remove(k);
            }
            recoveredKeys++;
        }
        return true;
    }

    /**
     * The old slots, named by applied slots as superseded, that still hold a valid live value of the
     * key with a lower version and that the index does not map: a process that died between a move's
     * write and the retirement of its old slot left them. Reads only.
     */
    private List<SlotRetirement.Stale> staleSlots(Arena arena) {
        List<SlotRetirement.Stale> out = new ArrayList<>();
        if (superseded.isEmpty()) {
            return out;
        }
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        MemorySegment head = AlignedMemory.allocate(arena, BLOCK_SIZE, BLOCK_SIZE);
        IoBatch one = new IoBatch(1);
        for (Object[] x : superseded) {
            byte[] key = (byte[]) x[0];
            int s = (Integer) x[1];
            long newer = (Long) x[2];
            if (seen.contains(s)) {
                continue; // retired once is enough; a slot that did not qualify for one key may for another
            }
            int live = index.find(key);
            if (newer < 0) {
                // An earlier lap's slot: stale only if the key lives elsewhere, or was deleted, since.
                newer = live >= 0 ? index.versionAt(live) : tombstones.getOrDefault(java.nio.ByteBuffer.wrap(key), -1L);
                if (newer < 0 || (live >= 0 && sb.slotOf(index.positionAt(live)) == s)) {
                    continue;
                }
            }
            SlotClass cls = sb.classOfSlot(s);
            one.clear();
            one.read(f.file(), cls.slotOffset(s - cls.firstSlot()), head);
            f.execute(one);
            if (one.result(0) < BLOCK_SIZE || !SlotDescriptor.headerValid(head, sb.storeId(), cls.slotSize())
                    || SlotDescriptor.flags(head) != SlotDescriptor.FLAG_LIVE
                    || SlotDescriptor.keyLength(head) != key.length
                    || SlotDescriptor.HEADER_SIZE + key.length > BLOCK_SIZE
                    || head.asSlice(SlotDescriptor.HEADER_SIZE, key.length).mismatch(MemorySegment.ofArray(key)) != -1
                    || SlotDescriptor.version(head) >= newer) {
                continue;
            }
            long seq = SlotDescriptor.sequence(head);
            if ((seq >>> SuperblockDescriptor.CLASS_SHIFT) != cls.id() || sb.slotOf(seq) != s) {
                continue;
            }
            if (live >= 0 && index.positionAt(live) == seq) {
                continue;
            }
            out.add(new SlotRetirement.Stale(key, seq, SlotDescriptor.version(head), s));
            seen.add(s);
        }
        return out;
    }

    /**
     * Reads class {@code c}'s ring from {@code start}: every slot whose sequence is its position is
     * applied. Returns false when the ring came round past {@code start} since (a slot holds a later
     * lap), which a checkpoint every eighth of the ring prevents; the caller then reads every slot.
     */
    private boolean scanFrom(Arena arena, int c, long start) {
        SlotClass cls = sb.classes().get(c);
        long window = new RingBounds(cls.slotCount()).recoveryGap();
        long slotSize = cls.slotSize();
        // Small slots are read whole, many consecutive slots per read (1 MiB): the scan then costs a few
        // large reads instead of one read per slot. Larger slots: one read of each slot's first block.
        boolean whole = slotSize <= SCAN_WHOLE_SLOT_MAX;
        long stride = whole ? slotSize : BLOCK_SIZE;
        int perRead = whole ? (int) Math.max(1, SCAN_READ_BYTES / slotSize) : 1;
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
        long end = start + cls.slotCount();
        while (p < end && p - lastValid <= window) {
            b.clear();
            int n = 0;
            for (int r = 0; r < reads && p + n < end; r++) {
                long slot = Long.remainderUnsigned(Superblock.classPosition(p + n), cls.slotCount());
                // A read never crosses the end of the ring.
                int m = (int) Math.min(Math.min(perRead, end - p - n), cls.slotCount() - slot);
                firstOfRead[r] = n;
                b.read(f.file(), cls.slotOffset(slot), heads.asSlice(n * stride, m * stride));
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
                    cursors[c] = lastValid + 1;
                    return true;
                }
                if (validOf[i] < BLOCK_SIZE) {
                    continue;
                }
                MemorySegment head = heads.asSlice(i * stride, validOf[i]);
                if (!SlotDescriptor.headerValid(head, sb.storeId(), slotSize)) {
                    continue;
                }
                if (SlotDescriptor.sequence(head) > pos) {
                    return false;
                }
                if (SlotDescriptor.sequence(head) != pos) {
                    if (sb.classes().size() > 1 && SlotDescriptor.sequence(head) < pos
                            && SlotDescriptor.flags(head) == SlotDescriptor.FLAG_LIVE
                            && head.byteSize() >= SlotDescriptor.HEADER_SIZE + SlotDescriptor.keyLength(head)) {
                        // A slot of an earlier lap: if its key now lives elsewhere with a higher version
                        // (a move while its old value was being reinserted, that never landed), it is
                        // retired at open; staleSlots checks.
                        superseded.add(new Object[] {head.asSlice(SlotDescriptor.HEADER_SIZE,
                                SlotDescriptor.keyLength(head)).toArray(ValueLayout.JAVA_BYTE), sb.slotOf(pos), -1L});
                    }
                    continue;
                }
                long used = SlotDescriptor.usedBlocks(SlotDescriptor.keyLength(head), SlotDescriptor.valueLength(head),
                        slotSize);
                MemorySegment slot = head;
                if (used > head.byteSize()) {
                    if (full == null) {
                        full = AlignedMemory.allocate(arena, slotSize, BLOCK_SIZE);
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
        cursors[c] = lastValid + 1;
        return true;
    }

    /**
     * No valid checkpoint, or a ring came round: read every slot of every class, and apply them in
     * version order (then position order, for slots written before versions).
     */
    private void fullScan(Arena arena) {
        List<long[]> found = new ArrayList<>(); // {version, sequence}
        f.forEachSlotHeader(arena, (s, head, read) -> {
            scanned++;
            if (read && SlotDescriptor.headerValid(head, sb.storeId(), sb.classOfSlot(s).slotSize())) {
                long seq = SlotDescriptor.sequence(head);
                if ((seq >>> SuperblockDescriptor.CLASS_SHIFT) < sb.classes().size() && sb.slotOf(seq) == s) {
                    found.add(new long[] {SlotDescriptor.version(head), seq});
                }
            }
        });
        for (int c = 0; c < cursors.length; c++) {
            cursors[c] = Superblock.position(c, 0);
        }
        found.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        // Applied in order from the oldest: data CRCs and tombstones are checked as they are applied.
        MemorySegment full = AlignedMemory.allocate(arena, sb.classes().getLast().slotSize(), BLOCK_SIZE);
        IoBatch one = new IoBatch(1);
        for (long[] x : found) {
            long seq = x[1];
            SlotClass cls = sb.classOf(seq);
            int c = cls.id();
            cursors[c] = Math.max(cursors[c], seq + 1);
            one.clear();
            one.read(f.file(), sb.positionOffset(seq), full.asSlice(0, cls.slotSize()));
            f.execute(one);
            if (one.result(0) < SlotDescriptor.HEADER_SIZE
                    || !SlotDescriptor.headerValid(full, sb.storeId(), cls.slotSize())) {
                continue;
            }
            long used = SlotDescriptor.usedBytes(SlotDescriptor.keyLength(full), SlotDescriptor.valueLength(full),
                    cls.slotSize());
            if (one.result(0) < used) {
                continue;
            }
            apply(full, seq);
        }
    }
}
