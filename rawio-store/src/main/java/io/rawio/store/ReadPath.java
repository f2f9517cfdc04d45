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
 * the other slots as dispatcher batches that keep {@code batchSize} reads in flight. The keys are looked
 * up a chunk at a time as their reads are issued, so on io_uring the lookups overlap the reads in flight
 * ({@link GetBatch}). Each read is
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
    List<GetResult> getMany(List<byte[]> keys) throws IOException {
        return getMany(keys, true);
    }

    /**
     * {@link #getMany(List)}; {@code askTier} false when the caller asked the DRAM tier already (a
     * single get whose key was not there), so it is neither asked nor counted twice.
     */
    List<GetResult> getMany(List<byte[]> keys, boolean askTier) throws IOException {
        GetResult[] out = new GetResult[keys.size()];
        read(keys, new Sink() {
            @Override
            public void value(int k, MemorySegment value, Runnable release) {
                out[k] = new GetResult(value.toArray(ValueLayout.JAVA_BYTE), null);
                release.run();
            }

            @Override
            public void none(int k, String corrupt) {
                out[k] = new GetResult(null, corrupt);
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
        // As many keys per dispatcher batch as the buffers the engine holds at once allow; the engine,
        // whose queue depth is the batch size, keeps batchSize reads in flight across it. Leased buffers
        // stay with the caller, so they are not counted.
        int bs = lease ? Math.max(options.batchSize(), Math.min(MAX_GET_BATCH, keys.size()))
                : ScratchBuffers.batchOps(f.engine(), sb.classes().getLast().slotSize(), MAX_GET_BATCH,
                        options.batchSize());
        GetBatch g = new GetBatch(keys, sink, lease, askTier, moved, Math.min(bs, keys.size()));
        for (int from = 0; from < keys.size(); from += bs) {
            g.run(from, Math.min(keys.size(), from + bs));
        }
    }

    /** Keys looked up at once (one lock of the ring state) as a getMany's reads are issued. */
    static final int LOOKUP_CHUNK = 32;

    /**
     * One getMany's dispatcher batches: batch op {@code k} reads key {@code base + k}. The keys are looked
     * up {@link #LOOKUP_CHUNK} at a time as their reads are issued (the preparer: an io_uring engine
     * prepares each read as the ring has room for it), so the lookups of the later keys overlap the reads
     * in flight instead of leaving the device idle before the batch starts. A key that is absent, or that
     * the DRAM tier answers, is settled at its lookup and its op canceled. Single-threaded (the caller's).
     */
    private final class GetBatch {
        private static final byte UNKNOWN = 0;
        private static final byte READ = 1;
        private static final byte SETTLED = 2;

        private final List<byte[]> keys;
        private final Sink sink;
        private final boolean lease;
        private final boolean askTier;
        private final List<Integer> moved;
        private final IoBatch batch;
        private final long[] pos;
        private final int[] len;
        private final int[] crc;
        private final long[] tokens;
        private final long[] readAt;
        private final long[] readBytes;
        private final byte[] state;
        private final MemorySegment[] bufOf;
        private final LeaseBuffers.Buffer[] leaseOf;
        private int base;
        private int size;
        private int lookedUp;
        private int firstFailed;
        private ScratchBuffers.SizedRecycler buffers;

        GetBatch(List<byte[]> keys, Sink sink, boolean lease, boolean askTier, List<Integer> moved, int cap) {
            this.keys = keys;
            this.sink = sink;
            this.lease = lease;
            this.askTier = askTier;
            this.moved = moved;
            cap = Math.max(1, cap);
            batch = new IoBatch(cap);
            pos = new long[cap];
            len = new int[cap];
            crc = new int[cap];
            tokens = new long[cap];
            readAt = new long[cap];
            readBytes = new long[cap];
            state = new byte[cap];
            bufOf = new MemorySegment[cap];
            leaseOf = new LeaseBuffers.Buffer[cap];
        }

        /** Reads keys [from, to). */
        void run(int from, int to) throws IOException {
            base = from;
            size = to - from;
            lookedUp = 0;
            firstFailed = Integer.MAX_VALUE;
            batch.clear();
            for (int k = 0; k < size; k++) {
                state[k] = UNKNOWN;
                batch.read(f.file(), 0, MemorySegment.NULL); // where and into what: decided as it is issued
            }
            long largest = lookUp(0, Math.min(size, LOOKUP_CHUNK));
            if (lookedUp == size && largest == 0) {
                return; // every key absent or in the tier: nothing to read
            }
            ScratchBuffers.Region region = scratch.acquire();
            try (Arena arena = Arena.ofConfined()) {
                region.reset(lease ? 0 : f.engine().buffersHeld(size) * largest);
                buffers = new ScratchBuffers.SizedRecycler(region, arena);
                batch.preparer(this::prepare);
                batch.completer(this::completed);
                if (lease) {
                    leaseBuffers.prepare(); // registered before the batch starts (uring-fixed)
                }
                f.execute(batch);
                if (firstFailed != Integer.MAX_VALUE) {
                    throw batch.failure(firstFailed);
                }
                if (lookedUp < size) {
                    // An engine that ends a batch early fails the ops it never issued; this is the guard
                    // for one that would not say so: no key is left without an answer.
                    throw new IOException("the engine ended a getMany of " + size + " keys after issuing "
                            + lookedUp + " of them, with no error");
                }
            } finally {
                buffers = null;
                scratch.release(region);
                // Buffers of reads the engine never completed (it threw): back to the pool.
                for (int op = 0; op < size; op++) {
                    if (leaseOf[op] != null) {
                        leaseBuffers.give(leaseOf[op]);
                        leaseOf[op] = null;
                    }
                    bufOf[op] = null;
                }
            }
        }

        /**
         * Looks up ops [a, b): an absent key or a DRAM tier hit is settled now, any other gets its read's
         * offset and size. Returns the largest read among them (0 when none is to be read).
         */
        private long lookUp(int a, int b) {
            if (cache.enabled()) {
                // Before the lookup: a write of the key after this point refuses the value read (token rule).
                for (int k = a; k < b; k++) {
                    tokens[k] = cache.readToken(keys.get(base + k));
                }
            }
            ring.lookup(keys, base + a, base + b, base, pos, len, crc);
            long largest = 0;
            for (int k = a; k < b; k++) {
                int i = base + k;
                if (pos[k] < 0) {
                    state[k] = SETTLED;
                    sink.none(i, null);
                    continue;
                }
                if (askTier && cache.enabled()) {
                    ValueCache.Lease hit = cache.get(keys.get(i));
                    if (hit != null) {
                        state[k] = SETTLED;
                        sink.value(i, hit.value(), hit::close);
                        continue;
                    }
                }
                int kl = keys.get(i).length;
                long slotSize = sb.slotSizeAt(pos[k]);
                readBytes[k] = SlotDescriptor.getReadBytes(kl, len[k], slotSize);
                readAt[k] = sb.positionOffset(pos[k]) + SlotDescriptor.getReadOffset(kl, len[k], slotSize);
                state[k] = READ;
                largest = Math.max(largest, readBytes[k]);
            }
            lookedUp = b;
            return largest;
        }

        /** The preparer: op {@code k}'s key looked up (with the next ones) and its buffer chosen. */
        private void prepare(int k) {
            if (k >= lookedUp) {
                lookUp(k, Math.min(size, k + LOOKUP_CHUNK));
            }
            if (state[k] != READ) {
                batch.cancel(k);
                return;
            }
            long n = readBytes[k];
            MemorySegment b;
            if (lease) {
                leaseOf[k] = leaseBuffers.take(n);
                b = leaseOf[k].segment();
            } else {
                b = buffers.take(n);
            }
            bufOf[k] = b;
            batch.target(k, readAt[k], b.asSlice(0, n));
        }

        /** The completer: op {@code k}'s read checked, its value handed to the sink. */
        private void completed(int k) {
            if (state[k] == UNKNOWN) {
                // Never issued (never looked up): the engine failed the batch before it got here.
                if (batch.result(k) < 0) {
                    firstFailed = Math.min(firstFailed, k);
                }
                return;
            }
            if (state[k] != READ) {
                return; // settled at its lookup, never read
            }
            int i = base + k;
            long valueAt = -1;
            if (batch.result(k) < 0) {
                firstFailed = Math.min(firstFailed, k);
            } else {
                // (If the check throws, the lease buffer is still in leaseOf: run's finally gives it back.)
                valueAt = check(keys.get(i), pos[k], len[k], crc[k], batch.buffer(k), batch.result(k), i, sink);
                if (valueAt == MOVED) {
                    moved.add(i);
                }
            }
            LeaseBuffers.Buffer lb = leaseOf[k];
            leaseOf[k] = null;
            Runnable release = lb == null ? () -> { } : () -> leaseBuffers.give(lb);
            if (valueAt >= 0) {
                MemorySegment value = batch.buffer(k).asSlice(valueAt, len[k]);
                try {
                    if (cache.enabled()) {
                        cache.put(keys.get(i), value, tokens[k]);
                    }
                } finally {
                    sink.value(i, value, release); // copies now, or leases the buffer to the caller
                }
            } else {
                release.run();
            }
            if (!lease && bufOf[k] != null) {
                buffers.giveBack(bufOf[k]);
            }
            bufOf[k] = null;
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
        ring.lookup(List.of(key), 0, 1, 0, pos, len, crc);
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
     * starts, {@link DeviceRead#READ_AGAIN} when the key left that slot while it was read, or
     * {@link DeviceRead#CORRUPT} (the key was dropped; {@link DeviceRead#corrupt()} says why).
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
