package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The read path: getMany looks keys up in the ring state, then reads their slots as dispatcher
 * batches that keep {@code batchSize} reads in flight. Each read is checked (CRC32C) and its value
 * copied out as it completes, and its buffer goes to the next read issued. Bytes that fail a check are
 * never returned: the key is dropped as corrupt, unless it left that position while the read was in
 * flight, which is a miss.
 */
final class ReadPath {
    /** Keys per getMany dispatcher batch at most. */
    static final int MAX_GET_BATCH = 4096;

    private final StoreFile f;
    private final Superblock sb;
    private final StoreOptions options;
    private final RingState ring;
    private final ScratchBuffers scratch;

    ReadPath(StoreFile f, StoreOptions options, RingState ring, ScratchBuffers scratch) {
        this.f = f;
        this.sb = f.superblock();
        this.options = options;
        this.ring = ring;
        this.scratch = scratch;
    }

    /**
     * Reads many keys. A block-aligned value is read alone and checked against the data CRC the index
     * holds; any other is read with its header and key, and both CRC32Cs are checked.
     *
     * @throws io.rawio.nativeio.NativeIoException the first read that failed
     */
    List<SlotStore.GetResult> getMany(List<byte[]> keys) throws IOException {
        SlotStore.GetResult[] out = new SlotStore.GetResult[keys.size()];
        // As many keys per dispatcher batch (looked up under the lock at once) as the buffers the engine
        // holds at once allow; the engine, whose queue depth is the batch size, keeps batchSize reads in
        // flight across it.
        int bs = ScratchBuffers.batchOps(f.engine(), sb.classes().getLast().slotSize(), MAX_GET_BATCH,
                options.batchSize());
        int cap = Math.min(bs, keys.size());
        long[] pos = new long[cap];
        int[] len = new int[cap];
        int[] crc = new int[cap];
        IoBatch batch = new IoBatch(Math.max(1, cap));
        int[] keyOf = new int[cap];
        MemorySegment[] bufOf = new MemorySegment[cap];
        for (int from = 0; from < keys.size(); from += bs) {
            int to = Math.min(keys.size(), from + bs);
            int base = from;
            ring.lookup(keys, from, to, pos, len, crc);
            batch.clear();
            long largest = 0;
            for (int i = from; i < to; i++) {
                if (pos[i - from] < 0) {
                    out[i] = new SlotStore.GetResult(null, null);
                    continue;
                }
                int kl = keys.get(i).length;
                long slotSize = sb.slotSizeAt(pos[i - from]);
                largest = Math.max(largest, SlotDescriptor.getReadBytes(kl, len[i - from], slotSize));
                // The buffer is chosen as the read is issued (see the preparer).
                int op = batch.read(f.file(), sb.positionOffset(pos[i - from])
                        + SlotDescriptor.getReadOffset(kl, len[i - from], slotSize), MemorySegment.NULL);
                keyOf[op] = i;
            }
            if (batch.isEmpty()) {
                continue;
            }
            ScratchBuffers.Region region = scratch.acquire();
            try (Arena arena = Arena.ofConfined()) {
                region.reset(f.engine().buffersHeld(batch.size()) * largest);
                ScratchBuffers.Recycler buffers = new ScratchBuffers.Recycler(region, arena, largest);
                int[] firstFailed = {Integer.MAX_VALUE};
                batch.preparer(op -> {
                    MemorySegment b = buffers.take();
                    bufOf[op] = b;
                    int k = keyOf[op];
                    batch.buffer(op, b.asSlice(0, SlotDescriptor.getReadBytes(keys.get(k).length, len[k - base],
                            sb.slotSizeAt(pos[k - base]))));
                });
                batch.completer(op -> {
                    int k = keyOf[op];
                    if (batch.result(op) < 0) {
                        firstFailed[0] = Math.min(firstFailed[0], op);
                    } else {
                        out[k] = verify(keys.get(k), pos[k - base], len[k - base], crc[k - base], batch.buffer(op),
                                batch.result(op));
                    }
                    if (bufOf[op] != null) {
                        buffers.giveBack(bufOf[op]);
                        bufOf[op] = null;
                    }
                });
                f.execute(batch);
                if (firstFailed[0] != Integer.MAX_VALUE) {
                    throw batch.failure(firstFailed[0]);
                }
            } finally {
                scratch.release(region);
            }
        }
        return Arrays.asList(out);
    }

    /**
     * Checks one completed get read of {@code r} bytes into {@code buf}: a block-aligned value against
     * the index's data CRC, anything else by its header (this key, this position) and both CRCs.
     */
    private SlotStore.GetResult verify(byte[] key, long position, int valueLength, int dataCrc, MemorySegment buf,
            long r) {
        long valueAt;
        boolean ok;
        long slotSize = sb.slotSizeAt(position);
        if (SlotDescriptor.valueAligned(key.length, valueLength, slotSize)) {
            valueAt = 0;
            ok = r >= valueLength && Le.crc32c(key, buf, 0, valueLength) == dataCrc;
        } else {
            valueAt = SlotDescriptor.HEADER_SIZE + key.length;
            if (r >= SlotDescriptor.HEADER_SIZE && SlotDescriptor.headerValid(buf, sb.storeId(), slotSize)
                    && SlotDescriptor.sequence(buf) != position) {
                // Overwritten since the lookup (evicted or rewritten by a newer put): a miss, not corruption.
                return new SlotStore.GetResult(null, null);
            }
            if (r >= SlotDescriptor.HEADER_SIZE + key.length && isOwnTombstone(buf, key, position)) {
                // Deleted in place after the checkpoint this index came from: a miss.
                ring.dropDeleted(key, position);
                return new SlotStore.GetResult(null, null);
            }
            ok = SlotDescriptor.holdsLiveValue(buf, r, key, valueLength, sb.storeId(), slotSize);
        }
        if (!ok) {
            if (!ring.dropCorrupt(key, position)) {
                // The key was evicted, deleted or rewritten while the read was in flight: a slot is
                // only rewritten once the key in it has left the index, so this is a miss.
                return new SlotStore.GetResult(null, null);
            }
            return new SlotStore.GetResult(null, "corrupt slot: key=" + printable(key) + " position=" + position
                    + " slot=" + sb.slotOf(position) + " offset=" + sb.positionOffset(position)
                    + " (CRC32C mismatch; the key was dropped)");
        }
        byte[] value = buf.asSlice(valueAt, valueLength).toArray(ValueLayout.JAVA_BYTE);
        return new SlotStore.GetResult(value, null);
    }

    /** Whether a slot read is a valid tombstone of {@code key} written at {@code position}. */
    private boolean isOwnTombstone(MemorySegment buf, byte[] key, long position) {
        long slotSize = sb.slotSizeAt(position);
        return SlotDescriptor.headerValid(buf, sb.storeId(), slotSize)
                && SlotDescriptor.flags(buf) == SlotDescriptor.FLAG_TOMBSTONE
                && SlotDescriptor.sequence(buf) == position
                && SlotDescriptor.keyLength(buf) == key.length
                && buf.asSlice(SlotDescriptor.HEADER_SIZE, key.length).mismatch(MemorySegment.ofArray(key)) == -1
                && SlotDescriptor.dataValid(buf, slotSize);
    }

    static String printable(byte[] key) {
        String s = new String(key, StandardCharsets.UTF_8);
        return s.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? s : "0x" + HexFormat.of().formatHex(key);
    }
}
