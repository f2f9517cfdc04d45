package io.rawio.store;

import io.rawio.engine.IoEngine;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntToLongFunction;

/**
 * A key-value store of fixed-size slots on a block device or a preallocated file.
 *
 * <pre>
 *   +--------------+--------------+----------------+----------------+------------------------------+
 *   | superblock A | superblock B | checkpoint 0   | checkpoint 1   | slot 0 | slot 1 | ... | N-1 |
 *   |  4 KiB       |  4 KiB       | (alternating)  |                |  each one aligned buffer     |
 *   +--------------+--------------+----------------+----------------+------------------------------+
 * </pre>
 *
 * <p>Writes go round the slots as a ring: the p-th write (its position) lands in slot p mod N with
 * sequence p, so the slots written since a checkpoint are the positions after it, and recovery reads
 * only those. A slot is filled in one aligned buffer (header, key, value) and written with one write,
 * or with its neighbours' ({@link SlotRuns}), so putMany of n keys is at most n slot writes, batches of
 * {@link #MAX_CHUNKS_IN_FLIGHT} chunks of {@code batchSize} keys; over all threads, the positions in
 * flight span at most {@link RingBounds#MAX_AHEAD}. Every read checks both CRC32Cs and never returns
 * bytes that fail them.
 *
 * <p>Thread-safe: many threads may put and get at once. This class is the facade: it opens the parts
 * and passes every call through a lifecycle gate, so close waits for calls in progress and refuses new
 * ones. The parts (docs/ARCHITECTURE.md): {@link StoreFormatter}, {@link StoreFile}, {@link Recovery},
 * {@link RingState} (the index, the cursor and the one lock, held only to plan, look up and commit),
 * {@link RingBounds}, {@link EvictionPolicy}, {@link WritePipeline}, {@link ReadPath},
 * {@link Checkpointer} and {@link CheckpointIo}, {@link Checker}, {@link ScratchBuffers} and
 * {@link FailureLatch}.
 */
public final class SlotStore implements AutoCloseable {
    /** The largest key, in bytes. */
    public static final int MAX_KEY_LENGTH = 1024;
    /** The block every slot and region is aligned to. */
    public static final int BLOCK_SIZE = 4096;
    /**
     * Write chunks (of batchSize keys) one dispatcher batch carries at most. Over all threads, what may
     * be in flight is bounded in positions (see {@link RingBounds}), not in chunks.
     */
    public static final int MAX_CHUNKS_IN_FLIGHT = 16;

    private final StoreParts parts;
    // The parts the calls use, from parts.
    private final StoreFile file;
    private final RingState ring;
    private final FailureLatch failure;
    private final CallGate gate;
    private final Checkpointer checkpointer;
    private final WritePipeline writes;
    private final ReadPath reads;
    private final ValueCache cache;
    private final StoreRing onRing;

    // ------------------------------------------------------------------ format and open

    /**
     * Formats a new store with {@link Preallocation#WRITE_ZEROS}: see
     * {@link #format(Path, long, long, boolean, StoreOptions, Preallocation, FormatProgress)}.
     */
    public static void format(Path path, long sizeBytes, long slotSize, boolean force, StoreOptions options)
            throws IOException {
        format(path, sizeBytes, slotSize, force, options, Preallocation.WRITE_ZEROS, FormatProgress.NONE);
    }

    /**
     * Formats a new store: a regular file created and preallocated to {@code sizeBytes} (as
     * {@code prealloc} says), or a block device (its whole capacity; {@code sizeBytes} 0). Refuses an
     * existing file, or a device whose first blocks hold data, unless {@code force}.
     */
    public static void format(Path path, long sizeBytes, long slotSize, boolean force, StoreOptions options,
            Preallocation prealloc, FormatProgress progress) throws IOException {
        StoreFormatter.format(path, sizeBytes, slotSize, force, options, prealloc, progress);
    }

    /**
     * Formats a new store with several slot classes (see {@link SlotClasses}); otherwise as
     * {@link #format(Path, long, long, boolean, StoreOptions, Preallocation, FormatProgress)}.
     */
    public static void format(Path path, long sizeBytes, SlotClasses classes, boolean force, StoreOptions options,
            Preallocation prealloc, FormatProgress progress) throws IOException {
        StoreFormatter.format(path, sizeBytes, classes, force, options, prealloc, progress);
    }

    /**
     * Opens a store: loads the newest valid checkpoint, then reads the slots written after it.
     *
     * @throws StoreException.NotAStore when the path holds no rawio store
     * @throws StoreException.InUse when another process has it open
     */
    public static SlotStore open(Path path, StoreOptions options) throws IOException {
        StringBuilder notice = new StringBuilder();
        IoEngine engine = StoreFile.createEngine(options, notice::append);
        return open(path, options, engine, notice.toString());
    }

    /**
     * Opens a store on an engine the caller made (a wrapper such as a fault-injecting engine); the
     * store owns the engine from then on and closes it.
     */
    public static SlotStore open(Path path, StoreOptions options, IoEngine engine) throws IOException {
        return open(path, options, engine, "");
    }

    private static SlotStore open(Path path, StoreOptions options, IoEngine engine, String notice)
            throws IOException {
        return new SlotStore(StoreParts.open(path, options, engine, notice));
    }

    private SlotStore(StoreParts parts) {
        this.parts = parts;
        this.file = parts.file();
        this.ring = parts.ring();
        this.failure = parts.failure();
        this.gate = parts.gate();
        this.checkpointer = parts.checkpointer();
        this.writes = parts.writes();
        this.reads = parts.reads();
        this.cache = parts.cache();
        this.onRing = new StoreRing(gate, file, writes, reads);
    }

    // ------------------------------------------------------------------ writes

    /** The outcome of one key of a batch: its status, and what went wrong (null when OK). */
    public record Result(Status status, String error) {
        static final Result OK = new Result(Status.OK, null);

        static Result fail(Status status, String error) {
            return new Result(status, error);
        }

        public boolean ok() {
            return status == Status.OK;
        }
    }

    /** How a put or delete of one key ended. Nothing is written for any status but OK and FAILED. */
    public enum Status {
        /** Acknowledged under the store's durability. */
        OK,
        /** The caller's mistake: an empty or too long key, a value larger than a slot holds. */
        INVALID,
        /** Eviction is off and the next slot of the ring holds a live key. */
        FULL,
        /** A write or flush failed, now or earlier: the store refuses writes until it is reopened. */
        FAILED
    }

    /** The largest value a key of {@code keyLength} bytes can have. */
    public long maxValueLength(int keyLength) {
        return writes.maxValueLength(keyLength);
    }

    public void put(byte[] key, byte[] value) throws IOException {
        put(key, MemorySegment.ofArray(value));
    }

    /** Stores a value; returns when acknowledged under the store's durability. */
    public void put(byte[] key, MemorySegment value) throws IOException {
        put(key, value, 0);
    }

    /** Stores a value that expires at {@code expiresAtMs} (0: never); see {@link #putMany(List, List, long)}. */
    public void put(byte[] key, MemorySegment value, long expiresAtMs) throws IOException {
        Result r = putMany(List.of(key), List.of(value), expiresAtMs).getFirst();
        if (!r.ok()) {
            throw StoreException.of(r, failure);
        }
    }

    /**
     * Stores many values: windows of up to {@link #MAX_CHUNKS_IN_FLIGHT} chunks of {@code batchSize} keys,
     * each ONE dispatcher batch of a write per key (and one fdatasync after them all when durable: group
     * commit); chunks are committed to the index in order as they are acknowledged.
     * One result per key. A key given twice keeps its last value.
     *
     * @throws IllegalStateException when the store is closed
     */
    public List<Result> putMany(List<byte[]> keys, List<MemorySegment> values) throws IOException {
        return putMany(keys, values, 0);
    }

    /**
     * Stores many values that expire at {@code expiresAtMs} (milliseconds since the epoch, by the
     * store's clock; 0 for never): from then on the keys are absent, their slots free, and a restart
     * does not bring them back. Otherwise as {@link #putMany(List, List)}.
     */
    public List<Result> putMany(List<byte[]> keys, List<MemorySegment> values, long expiresAtMs) throws IOException {
        if (expiresAtMs < 0) {
            throw new IllegalArgumentException("expiry must be 0 (never) or a time: expiresAtMs=" + expiresAtMs);
        }
        StoreRing.checkPuts(keys, values, null);
        return putMany(keys, values, WriteWindow.expiring(expiresAtMs));
    }

    /**
     * Stores many values, key i's to expire at {@code expiresAtMs[i]} (0 for never; see
     * {@link #putMany(List, List, long)}): the SETs of many clients, each with its own expiry, in one batch.
     */
    public List<Result> putMany(List<byte[]> keys, List<MemorySegment> values, long[] expiresAtMs) throws IOException {
        StoreRing.checkPuts(keys, values, expiresAtMs);
        return putMany(keys, values, WriteWindow.expiring(expiresAtMs.clone()));
    }

    private List<Result> putMany(List<byte[]> keys, List<MemorySegment> values, IntToLongFunction expiryOf)
            throws IOException {
        gate.enter();
        try {
            Result[] results = new Result[keys.size()];
            writes.writeAll(keys, values, results, SlotDescriptor.FLAG_LIVE, expiryOf);
            return Arrays.asList(results);
        } finally {
            gate.exit();
        }
    }

    /** Removes a key (a tombstone write, so the delete survives restart). Returns false when absent. */
    public boolean delete(byte[] key) throws IOException {
        return deleteMany(List.of(key)) == 1;
    }

    /**
     * Removes many keys, their tombstones written in batches as putMany writes values; returns how many
     * were present (a key listed twice counts once).
     *
     * @throws StoreException for a key that could not be deleted (keys before and after it may be gone)
     * @throws IllegalStateException when the store is closed
     */
    public int deleteMany(List<byte[]> keys) throws IOException {
        gate.enter();
        try {
            return writes.deleteAll(keys);
        } finally {
            gate.exit();
        }
    }

    /**
     * When the key expires, in milliseconds since the epoch: 0 when it has no expiry, -1 when it is absent.
     * The time itself, not rebuilt from {@link #ttlMillis} and a second reading of the clock (Redis's
     * EXPIRE GT and LT compare with it).
     */
    public long expiresAtMillis(byte[] key) {
        return gate.get(() -> ring.expiresAtMillis(key));
    }

    /**
     * Milliseconds until the key expires: -1 when it has no expiry, -2 when it is absent (Redis's PTTL).
     */
    public long ttlMillis(byte[] key) {
        return gate.get(() -> ring.ttlMillis(key));
    }

    /**
     * Sets when an existing key expires (0: never) by writing its value again with the new expiry, so
     * the change survives a restart. Returns false when the key is absent. Not atomic with other writes
     * of the key: a put between this call's read and its write is overwritten with the value read. The
     * rewrite takes a new slot, like any put (it may evict, or be refused when eviction is off).
     */
    public boolean expireAt(byte[] key, long expiresAtMs) throws IOException {
        if (expiresAtMs < 0) {
            throw new IllegalArgumentException("expiry must be 0 (never) or a time: expiresAtMs=" + expiresAtMs);
        }
        byte[] v = get(key);
        if (v == null) {
            return false;
        }
        put(key, MemorySegment.ofArray(v), expiresAtMs);
        return true;
    }

    /** Removes a key's expiry (Redis's PERSIST); false when the key is absent or has none. */
    public boolean persist(byte[] key) throws IOException {
        return ttlMillis(key) >= 0 && expireAt(key, 0);
    }

    // ------------------------------------------------------------------ reads

    public boolean contains(byte[] key) {
        return gate.get(() -> ring.contains(key));
    }

    /** The value as a copy, or null when the key is absent. */
    public byte[] get(byte[] key) throws IOException {
        if (cache.enabled()) {
            ValueLease hit = gate.get(() -> reads.tierHit(key));
            if (hit == ReadPath.ABSENT) {
                return null;
            }
            if (hit != null) {
                try (hit) {
                    return hit.toArray();
                }
            }
        }
        return readOne(key);
    }

    /** A get that reads the device (the DRAM tier, if any, was asked already). */
    private byte[] readOne(byte[] key) throws IOException {
        GetResult r = gate.call(() -> reads.getMany(List.of(key), false)).getFirst();
        if (r.corrupt() != null) {
            throw new StoreException.Corrupt(r.corrupt());
        }
        return r.value();
    }

    /**
     * Reads a value into {@code into}; returns its length, or -1 when absent.
     *
     * @throws IllegalArgumentException when {@code into} is too small
     * @throws StoreException.Corrupt when the slot fails its CRC (the key is dropped)
     */
    public long get(byte[] key, MemorySegment into) throws IOException {
        if (cache.enabled()) {
            // A DRAM tier hit is copied straight into the caller's memory: no I/O, nothing on the heap.
            gate.enter();
            try {
                long r = reads.copyCached(key, into);
                if (r != RingState.NOT_CACHED) {
                    return r;
                }
            } finally {
                gate.exit();
            }
        }
        byte[] v = readOne(key);
        if (v == null) {
            return -1;
        }
        if (into.byteSize() < v.length) {
            throw new IllegalArgumentException("buffer too small: value=" + v.length + ", buffer=" + into.byteSize());
        }
        MemorySegment.copy(v, 0, into, ValueLayout.JAVA_BYTE, 0, v.length);
        return v.length;
    }

    /** {@link #getIfCached}'s answer for a key that is live but not in the DRAM tier (or there is no tier). */
    public static final long NOT_CACHED = RingState.NOT_CACHED;

    /**
     * A get answered from memory only, never waiting for the device: the DRAM tier's copy of the value
     * copied into {@code into}, with no object made. Returns the length; -1 when the key is absent or
     * expired; {@link #NOT_CACHED} when it is live but only on the device (or the store has no tier:
     * read it with getMany); or {@code -2 - length} when {@code into} is too small (nothing copied).
     */
    public long getIfCached(byte[] key, MemorySegment into) {
        if (!cache.enabled()) {
            return NOT_CACHED;
        }
        gate.enter();
        try {
            return ring.copyCached(key, into);
        } finally {
            gate.exit();
        }
    }

    /**
     * Reads many keys, keeping up to {@code batchSize} reads in flight. Each read is checked and its
     * value copied out as it completes, while the reads after it are in flight, and its buffer goes to
     * the next read issued. One result per key. A block-aligned value is read alone and checked
     * against the data CRC the index holds; any other is read with its header and key, and both
     * CRC32Cs are checked.
     */
    public List<GetResult> getMany(List<byte[]> keys) throws IOException {
        return gate.call(() -> reads.getMany(keys));
    }

    /**
     * A page of keys and the cursor of the next page (0 when the scan is done); start with cursor 0.
     * A key present for the whole scan is returned at least once (Redis SCAN's guarantee); one may be
     * returned twice. {@code count} is how many index entries a page covers, about the keys it returns;
     * {@code prefix} (null for all) keeps only keys that start with it. The index is not copied.
     */
    public ScanPage scan(long cursor, int count, byte[] prefix) {
        if (cursor < 0 || cursor > 0xffffffffL) {
            throw new IllegalArgumentException("not a scan cursor: cursor=" + cursor);
        }
        if (count < 1) {
            throw new IllegalArgumentException("count must be positive: count=" + count);
        }
        return gate.get(() -> ring.scan(cursor, count, prefix));
    }

    /** Live keys (keys that expired and were not yet found expired may be counted). */
    public long keyCount() {
        return ring.keyCount();
    }

    /**
     * The length of the key's value, from the index (nothing is read), or -1 when it is absent: for a
     * caller that bounds what it reads at once by bytes.
     */
    public long valueLength(byte[] key) {
        return gate.get(() -> ring.valueLength(key));
    }

    /**
     * The calling thread makes no more calls on this store: the engine lets go of what it keeps for the
     * thread (an io_uring engine's ring, and with it a descriptor), as a thread per connection must before
     * it ends. A later call from the thread works, and takes them again.
     */
    public void releaseThread() {
        gate.get(() -> {
            file.engine().releaseThread();
            return null;
        });
    }

    /**
     * Drops the keys whose expiry has passed among the next {@code visit} keys that have an expiry (a
     * cursor goes round them call after call); returns how many. A key is also dropped when a lookup
     * finds it expired: this finds those nobody looks up (Redis's active expiry), so that
     * {@link #keyCount()} comes down. Nothing is written. {@code Integer.MAX_VALUE} visits them all.
     */
    public int dropExpired(int visit) {
        if (visit <= 0) {
            throw new IllegalArgumentException("visit must be positive: visit=" + visit);
        }
        return gate.get(() -> ring.dropExpired(visit));
    }

    /**
     * Why {@link #put} would refuse {@code key} with {@code value} as given (an empty or too long key, a
     * value larger than a slot holds), in the words of its {@link Result#error()}; null when it would
     * take them. For a caller that must check several puts before it makes any (MSET).
     */
    public String invalidPut(byte[] key, MemorySegment value) {
        return writes.validate(key, value);
    }

    /** Live keys that carry an expiry (one that expired and was not yet found expired may be counted). */
    public long keysWithExpiry() {
        return gate.get(() -> ring.keysWithExpiry());
    }

    /** Per slot class: slots, live keys, their value bytes, evictions since open. */
    public List<ClassStats> classStats() {
        return gate.get(() -> ring.classStats());
    }

    /**
     * The value without a copy, or null when the key is absent: a {@link ValueLease} on the buffer its
     * CRC-checked read landed in (or on the DRAM tier's copy), to be closed by the caller.
     *
     * @throws StoreException.Corrupt when the slot fails its CRC (the key is dropped)
     */
    public ValueLease getLease(byte[] key) throws IOException {
        if (cache.enabled()) {
            ValueLease hit = gate.get(() -> reads.tierHit(key));
            if (hit != null) {
                return hit == ReadPath.ABSENT ? null : hit;
            }
        }
        LeaseResult r = gate.call(() -> reads.getManyLeases(List.of(key), false)).getFirst();
        if (r.corrupt() != null) {
            throw new StoreException.Corrupt(r.corrupt());
        }
        return r.lease();
    }

    /**
     * Reads many keys without copying their values: one {@link LeaseResult} per key, its lease null when
     * the key is absent or corrupt. The caller closes every lease. When a read fails, the leases made so
     * far are closed and the failure is thrown.
     */
    public List<LeaseResult> getManyLeases(List<byte[]> keys) throws IOException {
        return gate.call(() -> reads.getManyLeases(keys));
    }

    /** The store's I/O on a ring the calling thread drives (an event loop's): {@link StoreRing}. */
    public StoreRing onRing() {
        return onRing;
    }


    /** Every key with its value length, in no particular order. */
    public List<KeyInfo> keys() {
        return gate.get(() -> ring.keys());
    }

    // ------------------------------------------------------------------ checkpoint and check

    /**
     * Writes the index to the older checkpoint region (payload and header, then one fdatasync). Returns
     * false when the index does not fit the region; recovery then scans from the previous checkpoint.
     */
    public boolean checkpoint() throws IOException {
        return gate.call(() -> checkpointer.write());
    }

    /** Reads every key's slot, every slot header, both superblocks and both checkpoints; writes nothing. */
    public CheckReport check() throws IOException {
        return gate.call(() -> parts.checker().check());
    }

    // ------------------------------------------------------------------ misc

    /** The index's mean probe length, for tests. */
    double indexMeanProbeLength() {
        return ring.meanProbeLength();
    }

    /** Zero-copy read buffers lent to callers and not yet given back, for tests. */
    long leasesOutstanding() {
        return parts.leaseBuffers().lent();
    }

    /**
     * The store's value buffers: a value received straight into one ({@link ValueBuffers#take}) is written
     * by a put from that buffer, with no copy of it. Bounded by {@link ValueBuffers#budget()}.
     */
    public ValueBuffers valueBuffers() {
        return writes.inPlace.buffers;
    }

    /** Slots written from a value buffer with no copy of the value, since the store was opened. */
    public long inPlaceWrites() {
        return writes.inPlace.count();
    }

    /** Chunks one write batch carries here, for tests. */
    int windowChunks() {
        return writes.windowChunks();
    }

    public StoreStats stats() {
        return ring.stats(parts.openMillis()).withCache(cache.stats());
    }

    public Superblock superblock() {
        return file.superblock();
    }

    /** What a write does when its class's ring has no free slot (the options it was opened with). */
    public StoreOptions.Eviction eviction() {
        return parts.options().eviction();
    }

    /** When a write is acknowledged (the options it was opened with). */
    public StoreOptions.Durability durability() {
        return parts.options().durability();
    }

    public Path path() {
        return file.path();
    }

    /** The engine the store runs on. */
    public String engineName() {
        return file.engine().name();
    }

    /** What replaced the asked-for engine, and why, or null. */
    public String engineNotice() {
        return file.engineNotice();
    }

    /** Whether a write or flush failed and the store refuses writes. */
    public boolean isFailed() {
        return failure.isSet();
    }

    // ------------------------------------------------------------------ close

    /** Closes without writing anything (no checkpoint): for read-only tools such as check. */
    public void closeWithoutCheckpoint() throws IOException {
        abandon();
    }

    /**
     * Closes without a checkpoint, as if the process had been killed: what a restart then finds is
     * what was on the device. Waits for calls in progress, as close does. For crash tests.
     */
    void abandon() throws IOException {
        file.engine().awaitStarted(); // this thread's started putManys, or close would wait for them forever
        parts.close(false);
    }

    /**
     * Refuses new calls, waits for the calls in progress, writes a final checkpoint when anything
     * changed since the last one (and the store has not failed), then closes. Idempotent.
     */
    @Override
    public void close() throws IOException {
        file.engine().awaitStarted(); // this thread's started putManys, or close would wait for them forever
        parts.close(true);
    }
}
