package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.store.StoreOptions.Durability;
import io.rawio.store.SuperblockDescriptor.Superblock;
import io.rawio.store.WriteWindow.Planned;
import io.rawio.store.WriteWindow.Reinsert;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.IntToLongFunction;

/**
 * The write path: a putMany (or a delete's tombstone) as windows of chunks, each window ONE dispatcher
 * batch of one write per key (header, key and value in one aligned buffer; the slots of a chunk that
 * lie next to each other on the device go as one write, {@link SlotRuns}) plus, when durable, ONE
 * fdatasync after all of them (the window's group commit). Each slot is filled as the engine issues
 * its write, into a buffer a completed write gave back; chunks commit to the ring state in order as
 * their last operation completes (when durable, the window's fdatasync is the last operation of every
 * chunk). A failed write fails its chunk, every chunk after it, and the store; a failed fdatasync
 * fails every chunk of its window, and the store.
 */
final class WritePipeline {
    /** Chunks one dispatcher batch carries at most. */
    static final int MAX_WINDOW_CHUNKS = SlotStore.MAX_CHUNKS_IN_FLIGHT;
    /** refOf of the window's fdatasync (durable). */
    private static final int WINDOW_SYNC = Integer.MIN_VALUE;

    private final StoreFile f;
    private final Superblock sb;
    private final StoreOptions options;
    private final RingState ring;
    private final RingBounds bounds;
    private final FailureLatch failure;
    private final ScratchBuffers scratch;
    private final Checkpointer checkpointer;
    private final ValueCache cache;
    /** Values written from the caller's own buffer, without a copy. */
    final InPlaceWrites inPlace;
    /** By slot class: the most keys of it one window may plan (its ring's budget, a quarter of its ring). */
    private final long[] classCaps;

    WritePipeline(StoreFile f, StoreOptions options, RingState ring, RingBounds bounds, FailureLatch failure,
            ScratchBuffers scratch, Checkpointer checkpointer) {
        this(f, options, ring, bounds, failure, scratch, checkpointer, new ValueCache(0));
    }

    WritePipeline(StoreFile f, StoreOptions options, RingState ring, RingBounds bounds, FailureLatch failure,
            ScratchBuffers scratch, Checkpointer checkpointer, ValueCache cache) {
        this.cache = cache;
        this.classCaps = new long[f.superblock().classes().size()];
        for (SuperblockDescriptor.SlotClass c : f.superblock().classes()) {
            classCaps[c.id()] = new RingBounds(c.slotCount()).windowKeys(Long.MAX_VALUE);
        }
        this.f = f;
        this.sb = f.superblock();
        this.inPlace = new InPlaceWrites(sb);
        this.options = options;
        this.ring = ring;
        this.bounds = bounds;
        this.failure = failure;
        this.scratch = scratch;
        this.checkpointer = checkpointer;
    }

    /** Puts (or, with FLAG_TOMBSTONE, deletes) every key; one result per key into {@code results}. */
    void writeAll(List<byte[]> keys, List<MemorySegment> values, SlotStore.Result[] results, short flags)
            throws IOException {
        writeAll(keys, values, results, flags, WriteWindow.NEVER);
    }

    /**
     * Puts (or deletes) every key, key i's value to expire at {@code expiryOf(i)} (ms since the epoch; 0 for
     * never); one result per key into {@code results}.
     */
    void writeAll(List<byte[]> keys, List<MemorySegment> values, SlotStore.Result[] results, short flags,
            IntToLongFunction expiryOf) throws IOException {
        f.engine().awaitStarted(); // this thread's started calls come first, as they were made first
        ValueBuffers.Pins pins = inPlace.pin(values);
        try {
            for (int from = 0; from < keys.size(); ) {
                from = writeWindow(keys, values, from, keys.size(), results, flags, expiryOf);
            }
        } finally {
            inPlace.unpin(pins);
        }
    }

    /** Deletes every key present; see {@link ManyDeletes}. Returns how many were present and are gone. */
    int deleteAll(List<byte[]> keys) throws IOException {
        return ManyDeletes.run(this, f, ring, failure, keys);
    }

    /**
     * The smallest slot class whose slot holds a key of {@code keyLength} bytes and a value of
     * {@code valueLength}, or -1 when none does.
     */
    int classFor(int keyLength, long valueLength) {
        for (SuperblockDescriptor.SlotClass c : sb.classes()) {
            if (SlotDescriptor.usedBytes(keyLength, valueLength, c.slotSize()) <= c.slotSize()) {
                return c.id();
            }
        }
        return -1;
    }

    /** The largest slot any class has. */
    private long largestSlot() {
        return sb.classes().getLast().slotSize();
    }

    /**
     * Chunks one dispatcher batch may carry: up to {@link #MAX_WINDOW_CHUNKS}, no more positions than the
     * ring's budget of positions in flight, and no more slot memory than a scratch region holds for the
     * buffers the engine holds at once.
     */
    int windowChunks() {
        int bs = options.batchSize();
        long chunks = Math.max(1, Math.min(MAX_WINDOW_CHUNKS, bounds.windowKeys(Long.MAX_VALUE) / bs));
        int keys = ScratchBuffers.batchOps(f.engine(), largestSlot(), (int) (chunks * bs), bs);
        return Math.max(1, keys / bs);
    }

    /**
     * Writes keys {@code [from, to)}, or the first chunks of them (or fewer: {@link WriteWindow#resumeAt}),
     * as one dispatcher batch; returns the index of the first key not handled.
     */
    private int writeWindow(List<byte[]> keys, List<MemorySegment> values, int from, int to,
            SlotStore.Result[] results, short flags, IntToLongFunction expiryOf) throws IOException {
        WriteWindow w = window(keys, values, from, to, results, flags, expiryOf);
        ring.plan(w);
        if (!w.hasWork()) {
            checkpointer.afterWrites();
            return w.resumeAt;
        }
        ScratchBuffers.Region region = scratch.acquire();
        Arena arena = Arena.ofConfined();
        RuntimeException thrown = null;
        try {
            IoBatch batch = batch(w, region, arena);
            if (batch != null) {
                f.execute(batch);
            }
        } catch (RuntimeException e) {
            thrown = e;
        }
        end(w, region, arena, thrown);
        return w.resumeAt;
    }

    /**
     * Plans a started window ({@link StartedWrites}): where it finds no room in the ring while this
     * thread's own started windows hold it, it waits for them ({@link io.rawio.engine.IoEngine#awaitStarted}),
     * not for itself.
     */
    void planStarted(WriteWindow w) {
        if (!ring.tryPlan(w)) {
            f.engine().awaitStarted();
            ring.plan(w);
        }
    }

    /** A window with nothing to write was planned: a checkpoint if one is due. */
    void nothingWritten() throws IOException {
        checkpointer.afterWrites();
    }

    /**
     * Starts a planned window's batch on the engine ({@link io.rawio.engine.IoEngine#start}); once it is
     * over and ended as {@link #writeWindow} ends one, {@code ended} gets null or what it threw. Where the
     * engine runs it at once, that is before this returns.
     */
    void startWindow(WriteWindow w, java.util.function.Consumer<Exception> ended) {
        ScratchBuffers.Region region = scratch.acquire();
        Arena arena = Arena.ofConfined();
        IoBatch batch;
        try {
            batch = batch(w, region, arena);
        } catch (RuntimeException e) {
            endStarted(w, region, arena, e, ended);
            return;
        }
        if (batch == null) {
            endStarted(w, region, arena, null, ended);
            return;
        }
        boolean[] over = new boolean[1];
        try {
            f.engine().start(batch, thrown -> {
                over[0] = true;
                endStarted(w, region, arena, thrown, ended);
            });
        } catch (RuntimeException e) {
            if (!over[0]) {
                endStarted(w, region, arena, e, ended); // refused (the ring failed): the window ends here
            } else {
                throw e;
            }
        }
    }

    private void endStarted(WriteWindow w, ScratchBuffers.Region region, Arena arena, RuntimeException thrown,
            java.util.function.Consumer<Exception> ended) {
        Exception failure = null;
        try {
            end(w, region, arena, thrown);
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
        ended.accept(failure);
    }

    /**
     * The window of keys {@code [from, to)}, or of the first chunks of them, that one dispatcher batch
     * carries: the keys validated, each given its slot class; not yet planned.
     */
    WriteWindow window(List<byte[]> keys, List<MemorySegment> values, int from, int to,
            SlotStore.Result[] results, short flags, IntToLongFunction expiryOf) {
        int bs = options.batchSize();
        int nChunks = (int) Math.min(windowChunks(), (to - from + (long) bs - 1) / bs);
        to = Math.min(to, from + nChunks * bs);
        // A tiny ring, or a batch larger than the positions in flight may span: a shorter window.
        to = (int) Math.min(to, from + bounds.windowKeys(to - from));
        int[] classes = new int[to - from];
        for (int i = from; i < to; i++) {
            String bad = validate(keys.get(i), values.get(i));
            if (bad != null) {
                results[i] = SlotStore.Result.fail(SlotStore.Status.INVALID, bad);
            } else {
                classes[i - from] = classFor(keys.get(i).length, values.get(i).byteSize());
            }
        }
        // No class gets more keys in one window than its ring's budget and a quarter of its ring allow:
        // the window ends before the first key that would pass that.
        long[] perClass = new long[sb.classes().size()];
        int end = from;
        for (int i = from; i < to; i++) {
            if (results[i] == null) {
                int c = classes[i - from];
                if (perClass[c] + 1 > classCaps[c] && end > from) {
                    break;
                }
                perClass[c]++;
            }
            end = i + 1;
        }
        return new WriteWindow(keys, values, results, flags, expiryOf, classes, sb.classes().size(), from, end, bs);
    }

    /**
     * A planned window's batch ran, or could not ({@code thrown}): the chunks not committed are failed
     * and committed, the old slots retired, the memory given back; then the values written are offered
     * to the DRAM tier, and a checkpoint is written if one is due.
     */
    private void end(WriteWindow w, ScratchBuffers.Region region, Arena arena, RuntimeException thrown)
            throws IOException {
        try {
            arena.close();
            scratch.release(region);
            // Chunks not committed (the engine threw): failed, their positions released.
            for (int c = 0; c < w.nChunks; c++) {
                if (w.hasWork[c] && !w.committed[c]) {
                    if (w.chunkError[c] == null) {
                        w.chunkError[c] = "write not completed";
                    }
                    ring.commit(w, c);
                }
            }
        } finally {
            // Whatever happened, the old slots are retired (or the store failed) and released.
            retire(w);
        }
        if (thrown != null) {
            throw thrown;
        }
        if (w.thrown != null) {
            throw w.thrown;
        }
        ring.addBytesWritten(w.bytesWritten);
        if (options.cacheWrites() && cache.enabled() && !w.isDelete()) {
            // Write-through: admitted only if no later write of the key came after this one's commit.
            for (int q = 0; q < w.planned.size(); q++) {
                WriteWindow.Planned pl = w.planned.get(q);
                if (w.results[pl.keyIndex()] == SlotStore.Result.OK && w.cacheTokens[q] != 0) {
                    cache.put(w.keys.get(pl.keyIndex()), w.values.get(pl.keyIndex()), w.cacheTokens[q]);
                }
            }
        }
        // Recovery reads the positions after the checkpoint: keep that range short.
        checkpointer.afterWrites();
    }

    /**
     * A planned window's dispatcher batch, with its preparer and completer; null when reading the
     * reinserted residents' heads failed (the window's chunks are then failed and committed).
     */
    private IoBatch batch(WriteWindow w, ScratchBuffers.Region region, Arena arena) {
        // Adjacent slots of a chunk go as one write; every buffer has the largest run's size.
        SlotRuns.Plan runs = SlotRuns.plan(w, sb, f.engine()::buffersHeld,
                pl -> inPlace.candidate(w, pl)); // written in place, alone
        long largest = runs.largest();
        boolean durable = options.durability() == Durability.DURABLE;
        int ops = runs.count() + w.reinserts.size() + 1;
        region.reset(f.engine().buffersHeld(runs.count()) * largest);
        IoBatch batch = new IoBatch(ops);
        w.batch = batch;
        w.dataCrcs = new int[w.planned.size()];
        w.cacheTokens = new long[w.planned.size()];
        MemorySegment[] heads = readReinsertedHeads(w, batch, arena);
        if (heads == null) {
            return null;
        }
        w.chunkOf = new int[ops];
        w.refOf = new int[ops];
        w.runOf = new int[ops];
        w.bufOf = new MemorySegment[ops];
        long written = 0;
        int k = 0;
        int r = 0;
        int lastWithWork = -1;
        for (int c = 0; c < w.nChunks; c++) {
            if (!w.hasWork[c]) {
                continue;
            }
            int first = batch.size();
            for (; k < runs.count() && w.planned.get(runs.start()[k]).chunk() == c; k++) {
                int from = runs.start()[k];
                written += SlotRuns.bytes(w, sb, from, runs.length()[k]);
                // The buffer is chosen and filled as the op is issued (see the preparer).
                int op = batch.write(f.file(), sb.positionOffset(w.planned.get(from).position()), MemorySegment.NULL);
                w.chunkOf[op] = c;
                w.refOf[op] = from;
                w.runOf[op] = runs.length()[k];
            }
            for (; r < w.reinserts.size() && w.reinserts.get(r).chunk() == c; r++) {
                int op = batch.write(f.file(), sb.positionOffset(w.reinserts.get(r).newPosition()), heads[r]);
                w.chunkOf[op] = c;
                w.refOf[op] = -1 - r;
                written += SlotStore.BLOCK_SIZE;
            }
            // When durable, the window's one fdatasync (below) is also an operation of this chunk.
            w.remaining[c] = batch.size() - first + (durable ? 1 : 0);
            lastWithWork = c;
        }
        if (durable && lastWithWork >= 0) {
            // One group commit for the window: the dispatcher issues it once every write before it
            // completed, and no chunk commits before it succeeded. (One per chunk drained the queue at
            // each chunk and flushed the device cache that many times more.)
            int op = batch.fdatasync(f.file());
            w.chunkOf[op] = lastWithWork; // unused: its completion settles every chunk with work
            w.refOf[op] = WINDOW_SYNC;
        }
        ScratchBuffers.Recycler buffers = ScratchBuffers.Recycler.forSlotFills(region, arena, largest);
        // Each slot is filled (copy, CRC32C, header) as the engine issues its write, into a buffer a
        // completed write gave back: on io_uring the next slots are prepared while the device writes
        // the previous ones, and buffers for the writes in flight are all the memory needed.
        batch.preparer(op -> prepare(w, op, buffers));
        batch.completer(op -> complete(w, op, buffers));
        w.bytesWritten = written;
        return batch;
    }

    /**
     * Reinserted slots: reads their first block and gives it the new sequence, to be written back in
     * place. Null when a read failed: the window's chunks are failed and committed.
     */
    private MemorySegment[] readReinsertedHeads(WriteWindow w, IoBatch batch, Arena arena) {
        MemorySegment[] heads = new MemorySegment[w.reinserts.size()];
        if (heads.length == 0) {
            return heads;
        }
        for (int i = 0; i < heads.length; i++) {
            heads[i] = AlignedMemory.allocate(arena, SlotStore.BLOCK_SIZE, SlotStore.BLOCK_SIZE);
            batch.read(f.file(), sb.positionOffset(w.reinserts.get(i).newPosition()), heads[i]);
        }
        f.execute(batch);
        for (int i = 0; i < heads.length; i++) {
            if (batch.result(i) < SlotStore.BLOCK_SIZE) {
                String m = batch.result(i) < 0 ? batch.failure(i).getMessage() : "short read";
                fail(m, new IOException(m));
                for (int c = 0; c < w.nChunks; c++) {
                    if (w.hasWork[c]) {
                        w.chunkError[c] = m;
                        ring.commit(w, c);
                    }
                }
                return null;
            }
            Reinsert ri = w.reinserts.get(i);
            heads[i].set(Le.U64, SlotDescriptor.SEQUENCE_OFFSET, ri.newPosition());
            SlotDescriptor.sealHeader(heads[i]);
        }
        batch.clear();
        return heads;
    }

    private void prepare(WriteWindow w, int op, ScratchBuffers.Recycler buffers) {
        IoBatch batch = w.batch;
        if (w.refOf[op] == WINDOW_SYNC) {
            // Issued even after a failure (this window's or another caller's): the chunks before the
            // failed write, whose writes completed, are then durable and acknowledged, as they would be
            // had the failure come a window later. Not when no write of the window was issued.
            if (w.writesIssued == 0) {
                batch.cancel(op);
            }
            return;
        }
        if (failure.isSet() || w.thrown != null) {
            batch.cancel(op);
            return;
        }
        int ref = w.refOf[op];
        if (ref < 0) {
            w.writesIssued++; // a reinsert's head, filled before the batch
            return;
        }
        try {
            if (w.runOf[op] == 1 && inPlace.prepare(w, op, ref)) {
                w.writesIssued++;
                return;
            }
        } catch (RuntimeException e) {
            unreadable(w, op, e);
            return;
        }
        MemorySegment b = buffers.take();
        w.bufOf[op] = b;
        long base = sb.positionOffset(w.planned.get(ref).position());
        long end = 0;
        // Where the buffer lies in its region: its padding is zeroed only where dirty (SlotPadding).
        long inRegion = buffers.region().offsetOf(b);
        SlotPadding padding = inRegion >= 0 && inRegion % SlotDescriptor.SECTOR == 0 ? buffers.region().padding() : null;
        try {
            for (int q = ref; q < ref + w.runOf[op]; q++) {
                Planned pl = w.planned.get(q);
                long at = q == ref ? 0 : sb.positionOffset(pl.position()) - base;
                end = at + w.slotBytes(pl, sb);
                w.dataCrcs[q] = SlotDescriptor.fill(b.asSlice(at, end - at), w.keys.get(pl.keyIndex()),
                        w.values.get(pl.keyIndex()), w.flags, pl.position(), sb.storeId(), sb.slotSizeAt(pl.position()),
                        pl.version(), w.expiryOf.applyAsLong(pl.keyIndex()), pl.previousSlot(), padding, inRegion + at);
            }
        } catch (RuntimeException e) {
            unreadable(w, op, e);
            return;
        }
        batch.buffer(op, b.asSlice(0, end));
        w.writesIssued++;
    }

    /**
     * The value became unreadable after it was validated (its arena closed meanwhile). This write and the
     * ones after it are canceled, and their positions stay unwritten: the store fails, as for a failed
     * write, or a later acknowledged write could lie past a hole longer than recovery reads across
     * (RingBounds).
     */
    private void unreadable(WriteWindow w, int op, RuntimeException e) {
        w.thrown = e;
        w.batch.cancel(op);
        fail("a value could not be read: " + e, e);
    }


    private void complete(WriteWindow w, int op, ScratchBuffers.Recycler buffers) {
        IoBatch batch = w.batch;
        if (w.bufOf[op] != null) {
            buffers.giveBack(w.bufOf[op]);
            w.bufOf[op] = null;
        }
        inPlace.complete(w, op);
        long res = batch.result(op);
        String error = null;
        if (res < 0 && res != -Errno.ECANCELED) {
            NativeIoException e = batch.failure(op);
            error = e.getMessage();
            // At once, so the writes not yet issued are canceled.
            fail(e.getMessage(), e);
        }
        if (w.refOf[op] == WINDOW_SYNC) {
            // The group commit: every chunk with work was waiting for it.
            for (int c = 0; c < w.nChunks; c++) {
                if (w.hasWork[c]) {
                    settle(w, c, res, error);
                }
            }
        } else {
            settle(w, w.chunkOf[op], res, error);
        }
        while (w.nextCommit < w.nChunks && (!w.hasWork[w.nextCommit] || w.remaining[w.nextCommit] == 0)) {
            if (w.hasWork[w.nextCommit] && !w.committed[w.nextCommit]) {
                ring.commit(w, w.nextCommit);
            }
            w.nextCommit++;
        }
    }

    /** One operation of chunk {@code c} completed with {@code res} ({@code error}: its failure, or null). */
    private static void settle(WriteWindow w, int c, long res, String error) {
        if (res == -Errno.ECANCELED) {
            w.canceled[c] = true;
        } else if (error != null && w.chunkError[c] == null) {
            w.chunkError[c] = error;
        }
        w.remaining[c]--;
    }

    /**
     * Rewrites the old slots of the keys this window moved to another class (or deleted there), now
     * that their new slots are written, then releases them and the chunks held for them. A failed
     * rewrite fails the store (the old slots stay valid, and the versions still decide).
     */
    private void retire(WriteWindow w) {
        try {
            if (!w.retires.isEmpty() && !failure.isSet()) {
                String err = SlotRetirement.retireAll(f, w.retires, options.durability() == Durability.DURABLE);
                if (err != null) {
                    fail("retiring an old slot: " + err, new IOException(err));
                }
            }
        } catch (RuntimeException e) {
            fail("retiring an old slot: " + e, e);
            throw e;
        } finally {
            ring.retired(w);
        }
    }

    /** Fails the store: it refuses writes from now on, and writers waiting for room stop. */
    private void fail(String message, Throwable cause) {
        failure.fail("write", message, cause);
        ring.failed();
    }

    /** Why a key and value cannot be put as given, or null. */
    String validate(byte[] key, MemorySegment value) {
        if (key == null || key.length == 0) {
            return "empty key";
        }
        if (key.length > SlotStore.MAX_KEY_LENGTH) {
            return "key too long: length=" + key.length + ", max=" + SlotStore.MAX_KEY_LENGTH;
        }
        // Checked before a position is planned: a value that cannot be read once its write is issued
        // leaves positions unwritten, which fails the store (see prepare).
        if (!value.scope().isAlive()) {
            return "value cannot be read: its memory was freed (arena closed)";
        }
        if (!value.isAccessibleBy(Thread.currentThread())) {
            return "value cannot be read: its memory is confined to another thread";
        }
        long max = maxValueLength(key.length);
        if (value.byteSize() > max) {
            return "value larger than a slot holds: value=" + value.byteSize() + ", max=" + max
                    + " (slot=" + largestSlot() + ")";
        }
        return null;
    }

    /** The largest value a key of {@code keyLength} bytes can have. */
    long maxValueLength(int keyLength) {
        // Packed, a value of this length fills the slot exactly, and a packed value always fits.
        return largestSlot() - SlotDescriptor.HEADER_SIZE - keyLength;
    }

    /** A delete in place, when the ring has no slot for a tombstone: see {@link InPlaceDelete}. */
    boolean deleteInPlace(byte[] key) throws IOException {
        return InPlaceDelete.delete(f, ring, failure, checkpointer, key);
    }
}
