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
 * The read path: getMany looks keys up in the ring state, answers what the DRAM tier holds, and reads
 * the other slots as dispatcher batches that keep {@code batchSize} reads in flight. Each read is
 * checked (CRC32C) as it completes, while the reads after it are in flight; its value is copied out
 * (and its buffer goes to the next read issued) or, for a zero-copy get, handed out in its buffer as a
 * {@link ValueLease}. Bytes that fail a check are never returned: the key is dropped as corrupt, unless
 * it left that position while the read was in flight, which is a miss. A value enters the DRAM tier
 * only after its check, and only if no write of its key came between the lookup and the read
 * ({@link ValueCache}'s token rule).
 */
final class ReadPath {
    /** Keys per getMany dispatcher batch at most. */
    static final int MAX_GET_BATCH = 4096;

    private final StoreFile f;
    private final Superblock sb;
    private final StoreOptions options;
    private final RingState ring;
    private final ScratchBuffers scratch;
    private final LeaseBuffers leaseBuffers;
    private final ValueCache cache;

    ReadPath(StoreFile f, StoreOptions options, RingState ring, ScratchBuffers scratch) {
        this(f, options, ring, scratch, new LeaseBuffers(), new ValueCache(0));
    }

    ReadPath(StoreFile f, StoreOptions options, RingState ring, ScratchBuffers scratch, LeaseBuffers leaseBuffers,
            ValueCache cache) {
        this.f = f;
        this.sb = f.superblock();
        this.options = options;
        this.ring = ring;
        this.scratch = scratch;
        this.leaseBuffers = leaseBuffers;
        this.cache = cache;
    }

    /**
     * Reads many keys, each value copied onto the heap.
     *
     * @throws io.rawio.nativeio.NativeIoException the first read that failed
     */
    List<SlotStore.GetResult> getMany(List<byte[]> keys) throws IOException {
        return getMany(keys, true);
    }

    /**
     * {@link #getMany(List)}; {@code askTier} false when the caller asked the DRAM tier already (a
     * single get whose key was not there), so it is neither asked nor counted twice.
     */
    List<SlotStore.GetResult> getMany(List<byte[]> keys, boolean askTier) throws IOException {
        SlotStore.GetResult[] out = new SlotStore.GetResult[keys.size()];
        read(keys, new Sink() {
            @Override
            public void value(int k, MemorySegment value, Runnable release) {
                out[k] = new SlotStore.GetResult(value.toArray(ValueLayout.JAVA_BYTE), null);
                release.run();
            }

            @Override
            public void none(int k, String corrupt) {
                out[k] = new SlotStore.GetResult(null, corrupt);
            }
        }, false, askTier);
        return Arrays.asList(out);
    }

    /**
     * Reads many keys without copying their values: each found value is a {@link ValueLease} the caller
     * closes. When a read fails, the leases made so far are closed and the failure is thrown.
     */
    List<LeaseResult> getManyLeases(List<byte[]> keys) throws IOException {
        return getManyLeases(keys, true);
    }

    /** {@link #getManyLeases(List)}; {@code askTier} as for {@link #getMany(List, boolean)}. */
    List<LeaseResult> getManyLeases(List<byte[]> keys, boolean askTier) throws IOException {
        LeaseResult[] out = new LeaseResult[keys.size()];
        try {
            read(keys, new Sink() {
                @Override
                public void value(int k, MemorySegment value, Runnable release) {
                    out[k] = new LeaseResult(new ValueLease(value, release), null);
                }

                @Override
                public void none(int k, String corrupt) {
                    out[k] = new LeaseResult(null, corrupt);
                }
            }, true, askTier);
        } catch (IOException | RuntimeException e) {
            for (LeaseResult r : out) {
                if (r != null && r.lease() != null) {
                    r.lease().close();
                }
            }
            throw e;
        }
        return Arrays.asList(out);
    }

    /** {@link #tierHit}'s answer for a key that is absent or expired. */
    static final ValueLease ABSENT = new ValueLease(MemorySegment.NULL, () -> { });

    /**
     * The DRAM tier's fast path: one lookup under the ring state's lock, no batch, no I/O. A lease on the
     * cached value, {@link #ABSENT}, or null when the key is live but not in the tier (the caller reads
     * the device).
     */
    ValueLease tierHit(byte[] key) {
        ValueCache.Lease hit = ring.lookupCached(key);
        return hit == ValueCache.Lease.ABSENT ? ABSENT : hit == null ? null : new ValueLease(hit);
    }

    /**
     * A DRAM tier hit copied into the caller's memory, with no object made: the length, -1 when the key
     * is absent, or {@link RingState#NOT_CACHED} when it is live but not in the tier.
     *
     * @throws IllegalArgumentException when {@code into} is too small for the value
     */
    long copyCached(byte[] key, MemorySegment into) {
        long r = ring.copyCached(key, into);
        if (r < -1 && r != RingState.NOT_CACHED) {
            throw new IllegalArgumentException("buffer too small: value=" + (-2 - r) + ", buffer=" + into.byteSize());
        }
        return r;
    }

    /** Where the values of a read go. */
    private interface Sink {
        /** Key {@code k}'s checked value, valid until {@code release} runs (which the sink must see to). */
        void value(int k, MemorySegment value, Runnable release);

        /** Key {@code k} is absent, or corrupt ({@code corrupt} says why). */
        void none(int k, String corrupt);
    }

    /** Times a key whose slot changed while it was read is looked up and read again before it is a miss. */
    static final int MOVED_RETRIES = 3;

    private void read(List<byte[]> keys, Sink sink, boolean lease, boolean askTier) throws IOException {
        read(keys, sink, lease, askTier, 0);
    }

    /**
     * Reads {@code keys} into {@code sink}; a key whose slot changed under the read (a newer write moved
     * it, or its old slot was retired, evicted or deleted in place) is looked up and read again, up to
     * {@link #MOVED_RETRIES} times, so that a get racing a put sees the old value or the new one, never
     * a miss that no write made.
     */
    private void read(List<byte[]> keys, Sink sink, boolean lease, boolean askTier, int attempt) throws IOException {
        List<Integer> moved = new java.util.ArrayList<>();
        readOnce(keys, sink, lease, askTier, moved);
        if (moved.isEmpty()) {
            return;
        }
        if (attempt >= MOVED_RETRIES) {
            for (int k : moved) {
                sink.none(k, null);
            }
            return;
        }
        List<byte[]> again = new java.util.ArrayList<>(moved.size());
        for (int k : moved) {
            again.add(keys.get(k));
        }
        read(again, new Sink() {
            @Override
            public void value(int k, MemorySegment value, Runnable release) {
                sink.value(moved.get(k), value, release);
            }

            @Override
            public void none(int k, String corrupt) {
                sink.none(moved.get(k), corrupt);
            }
        }, lease, askTier, attempt + 1);
    }

    private void readOnce(List<byte[]> keys, Sink sink, boolean lease, boolean askTier, List<Integer> moved)
            throws IOException {
        // As many keys per dispatcher batch (looked up under the lock at once) as the buffers the engine
        // holds at once allow; the engine, whose queue depth is the batch size, keeps batchSize reads in
        // flight across it. Leased buffers stay with the caller, so they are not counted.
        int bs = lease ? Math.max(options.batchSize(), Math.min(MAX_GET_BATCH, keys.size()))
                : ScratchBuffers.batchOps(f.engine(), sb.classes().getLast().slotSize(), MAX_GET_BATCH,
                        options.batchSize());
        int cap = Math.min(bs, keys.size());
        long[] pos = new long[cap];
        int[] len = new int[cap];
        int[] crc = new int[cap];
        long[] tokens = new long[cap];
        IoBatch batch = new IoBatch(Math.max(1, cap));
        int[] keyOf = new int[cap];
        MemorySegment[] bufOf = new MemorySegment[cap];
        LeaseBuffers.Buffer[] leaseOf = new LeaseBuffers.Buffer[cap];
        for (int from = 0; from < keys.size(); from += bs) {
            int to = Math.min(keys.size(), from + bs);
            int base = from;
            if (cache.enabled()) {
                // Before the lookup: a write of the key after this point refuses the value read (token rule).
                for (int i = from; i < to; i++) {
                    tokens[i - from] = cache.readToken(keys.get(i));
                }
            }
            ring.lookup(keys, from, to, pos, len, crc);
            batch.clear();
            long largest = 0;
            for (int i = from; i < to; i++) {
                if (pos[i - from] < 0) {
                    sink.none(i, null);
                    continue;
                }
                if (askTier && cache.enabled()) {
                    ValueCache.Lease hit = cache.get(keys.get(i));
                    if (hit != null) {
                        sink.value(i, hit.value(), hit::close);
                        continue;
                    }
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
                region.reset(lease ? 0 : f.engine().buffersHeld(batch.size()) * largest);
                ScratchBuffers.Recycler buffers = new ScratchBuffers.Recycler(region, arena, largest);
                int[] firstFailed = {Integer.MAX_VALUE};
                batch.preparer(op -> {
                    int k = keyOf[op];
                    long n = SlotDescriptor.getReadBytes(keys.get(k).length, len[k - base], sb.slotSizeAt(pos[k - base]));
                    MemorySegment b;
                    if (lease) {
                        leaseOf[op] = leaseBuffers.take(n);
                        b = leaseOf[op].segment();
                    } else {
                        b = buffers.take();
                    }
                    bufOf[op] = b;
                    batch.buffer(op, b.asSlice(0, n));
                });
                batch.completer(op -> {
                    int k = keyOf[op];
                    LeaseBuffers.Buffer lb = leaseOf[op];
                    leaseOf[op] = null;
                    Runnable release = lb == null ? () -> { } : () -> leaseBuffers.give(lb);
                    long valueAt = -1;
                    if (batch.result(op) < 0) {
                        firstFailed[0] = Math.min(firstFailed[0], op);
                    } else {
                        valueAt = check(keys.get(k), pos[k - base], len[k - base], crc[k - base], batch.buffer(op),
                                batch.result(op), k, sink);
                        if (valueAt == MOVED) {
                            moved.add(k);
                        }
                    }
                    if (valueAt >= 0) {
                        MemorySegment value = batch.buffer(op).asSlice(valueAt, len[k - base]);
                        try {
                            if (cache.enabled()) {
                                cache.put(keys.get(k), value, tokens[k - base]);
                            }
                        } finally {
                            sink.value(k, value, release); // copies now, or leases the buffer to the caller
                        }
                    } else {
                        release.run();
                    }
                    if (!lease && bufOf[op] != null) {
                        buffers.giveBack(bufOf[op]);
                    }
                    bufOf[op] = null;
                });
                if (lease) {
                    leaseBuffers.prepare(); // registered before the batch starts (uring-fixed)
                }
                f.execute(batch);
                if (firstFailed[0] != Integer.MAX_VALUE) {
                    throw batch.failure(firstFailed[0]);
                }
            } finally {
                scratch.release(region);
                // Buffers of reads the engine never completed (it threw): back to the pool.
                for (int op = 0; op < batch.size(); op++) {
                    if (leaseOf[op] != null) {
                        leaseBuffers.give(leaseOf[op]);
                        leaseOf[op] = null;
                    }
                }
            }
        }
    }

    /**
     * Plans one key's read for a caller that issues it itself ({@link DeviceRead}): null when the key is
     * absent. The DRAM tier is not asked (the caller asked it already).
     */
    DeviceRead plan(byte[] key) {
        long token = cache.enabled() ? cache.readToken(key) : 0;
        long[] pos = new long[1];
        int[] len = new int[1];
        int[] crc = new int[1];
        ring.lookup(List.of(key), 0, 1, pos, len, crc);
        if (pos[0] < 0) {
            return null;
        }
        long slotSize = sb.slotSizeAt(pos[0]);
        long offset = sb.positionOffset(pos[0]) + SlotDescriptor.getReadOffset(key.length, len[0], slotSize);
        long bytes = SlotDescriptor.getReadBytes(key.length, len[0], slotSize);
        return new DeviceRead(key, pos[0], len[0], crc[0], token, f.file().fd(), offset, (int) bytes);
    }

    /**
     * Checks a planned read's {@code bytesRead} bytes in {@code buf} (as a getMany checks its reads) and,
     * when they hold the value, offers it to the DRAM tier. Returns where in {@code buf} the value
     * starts, {@link SlotStore#READ_AGAIN} when the key left that slot while it was read, or
     * {@link SlotStore#CORRUPT} (the key was dropped; {@link DeviceRead#corrupt()} says why).
     */
    long finish(DeviceRead r, MemorySegment buf, long bytesRead) {
        long valueAt = check(r.key, r.position, r.valueLength, r.dataCrc, buf, bytesRead, 0, new Sink() {
            @Override
            public void value(int k, MemorySegment value, Runnable release) {
                release.run();
            }

            @Override
            public void none(int k, String corrupt) {
                r.corrupt = corrupt;
            }
        });
        if (valueAt == MOVED) {
            return DeviceRead.READ_AGAIN;
        }
        if (valueAt < 0) {
            return DeviceRead.CORRUPT;
        }
        if (cache.enabled()) {
            cache.put(r.key, buf.asSlice(valueAt, r.valueLength), r.token);
        }
        return valueAt;
    }

    /** {@link #check}'s answer for a slot the key left while it was read: look it up again. */
    private static final long MOVED = -2;

    /**
     * Checks one completed get read of {@code r} bytes into {@code buf}: a block-aligned value against
     * the index's data CRC, anything else by its header (this key, this position) and both CRCs. Returns
     * where in {@code buf} the value starts; {@link #MOVED} when the key left that slot meanwhile (a newer
     * write, a retirement, an eviction, a delete in place: the caller looks it up again); or -1 after
     * telling {@code sink} the key is corrupt.
     */
    private long check(byte[] key, long position, int valueLength, int dataCrc, MemorySegment buf, long r, int k,
            Sink sink) {
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
                // Overwritten since the lookup (evicted or rewritten by a newer put): not corruption.
                return MOVED;
            }
            if (r >= SlotDescriptor.HEADER_SIZE + key.length && isOwnTombstone(buf, key, position)) {
                // Deleted in place (after the checkpoint this index came from), or retired after a move:
                // the lookup again finds the key absent, or where it moved.
                ring.dropDeleted(key, position);
                return MOVED;
            }
            ok = SlotDescriptor.holdsLiveValue(buf, r, key, valueLength, sb.storeId(), slotSize);
        }
        if (!ok) {
            if (!ring.dropCorrupt(key, position)) {
                // The key was evicted, deleted or rewritten while the read was in flight: a slot is
                // only rewritten once the key in it has left the index, so it is looked up again.
                return MOVED;
            }
            sink.none(k, "corrupt slot: key=" + printable(key) + " position=" + position + " slot="
                    + sb.slotOf(position) + " offset=" + sb.positionOffset(position)
                    + " (CRC32C mismatch; the key was dropped)");
            return -1;
        }
        return valueAt;
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
