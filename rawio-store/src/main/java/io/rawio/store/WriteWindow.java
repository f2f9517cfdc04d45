package io.rawio.store;

import io.rawio.engine.IoBatch;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToLongFunction;

/**
 * One window of writes: the keys of up to {@code nChunks} chunks of a putMany (or one delete), what
 * the ring state planned for them (a position per key, the hot residents reinserted on the way), and
 * each chunk's progress through the dispatcher batch. Planned and committed by {@link RingState}
 * under its lock, run by {@link WritePipeline} outside it. Used by one thread (the caller's, which
 * also runs the batch's preparer and completer).
 */
final class WriteWindow {
    /**
     * A key of the window, the global position it was given, its version (the store-wide write order),
     * and the slot of another class its value was in when it was planned (-1: none), named in its header.
     */
    record Planned(int keyIndex, long position, int chunk, long version, int previousSlot) {
        Planned(int keyIndex, long position, int chunk, long version) {
            this(keyIndex, position, chunk, version, -1);
        }
    }

    /** A hot resident rewritten at {@code newPosition} (same class) instead of evicted; its version is kept. */
    record Reinsert(byte[] key, long oldPosition, long newPosition, int valueLength, int dataCrc, int chunk,
            long version) {
    }

    /** No key expires. */
    static final IntToLongFunction NEVER = i -> 0;

    /** Every key expires at {@code atMs} (0: never). */
    static IntToLongFunction expiring(long atMs) {
        return atMs == 0 ? NEVER : i -> atMs;
    }

    /** Key i expires at {@code atMs[i]} (0: never). */
    static IntToLongFunction expiring(long[] atMs) {
        return i -> atMs[i];
    }

    final List<byte[]> keys;
    final List<MemorySegment> values;
    final SlotStore.Result[] results;
    final short flags;
    /** By key index (of {@link #keys}): when its value expires (ms since the epoch), 0 for never. */
    final IntToLongFunction expiryOf;
    /** By key (index - from): its slot class. */
    final int[] classes;
    final int from;
    final int to;
    final int batchSize;
    final int nChunks;
    final List<Planned> planned = new ArrayList<>();
    final List<Reinsert> reinserts = new ArrayList<>();
    /**
     * Old slots in other classes of keys this window's commits moved or deleted: each marked busy in
     * the ring state until {@link SlotRetirement} rewrote it, and its chunk kept in flight till then.
     */
    final List<SlotRetirement.Stale> retires = new ArrayList<>();
    /** By chunk: committed with slots to retire, so it leaves flight only once they are retired. */
    boolean[] heldForRetire;
    /** Whether the ring state has released this window's retirements (busy slots, held chunks). */
    boolean retiresReleased;
    /** By chunk and class: the chunk's first position in that class's ring (its key in the ring's in-flight set), or -1. */
    final long[][] chunkStarts;
    /** By chunk: whether it planned any write (only those go in flight). */
    final boolean[] hasWork;
    final boolean[] committed;
    /** By chunk: operations not yet completed. */
    final int[] remaining;
    /** By chunk: the first failed operation's message, or null. */
    final String[] chunkError;
    /** By chunk: whether the engine canceled an operation of it (a failure before it). */
    final boolean[] canceled;
    /** The ring state's next version when the window was planned: orders it with removals ({@link RemovedKeys}). */
    long planStamp;
    /**
     * Where the call's next window starts: {@link #to}, or the key planning stopped at because the next
     * slot's resident, on a ring without eviction, is about to leave it (see {@link WindowPlanner#plan}).
     */
    int resumeAt;
    /** The slot whose resident stopped planning, or -1; and that resident as the index held it. */
    int blockedSlot = -1;
    byte[] blockedBy;
    /** The next chunk to commit: chunks commit in order. */
    int nextCommit;
    /** Set once a chunk failed: the chunks after it fail too. */
    boolean failedBefore;
    /** An exception a preparer caught (a value that cannot be read): rethrown after the batch. */
    RuntimeException thrown;
    /** Per planned write: the data CRC of its slot, set as the slot is filled. */
    int[] dataCrcs;
    /** Per planned write: the DRAM tier's token from its commit, for write-through (0: none). */
    long[] cacheTokens;

    IoBatch batch;
    /** Bytes the window's batch writes (counted once it ran). */
    long bytesWritten;
    /** Writes of the window the preparer let through (not canceled): the group commit needs one. */
    int writesIssued;
    /** Per op: its chunk. */
    int[] chunkOf;
    /** Per op: the planned writes it carries, from refOf on (a run of adjacent slots, {@link SlotRuns}). */
    int[] runOf;
    /** Per op: the planned write's index, -1 - the reinsert's index, or Integer.MIN_VALUE (the window's sync). */
    int[] refOf;
    /** Per op: the recycled buffer it holds until it completes, or null. */
    MemorySegment[] bufOf;
    /** Per op: the value buffer its slot is written from in place ({@link ValueBuffers}), or null. */
    ValueBuffers.Buffer[] inPlaceOf;

    WriteWindow(List<byte[]> keys, List<MemorySegment> values, SlotStore.Result[] results, short flags, int from,
            int to, int batchSize) {
        this(keys, values, results, flags, NEVER, new int[to - from], 1, from, to, batchSize);
    }

    /**
     * Keys [from, to) of a call; {@code classes[i - from]} is key i's slot class, of {@code classCount}.
     */
    WriteWindow(List<byte[]> keys, List<MemorySegment> values, SlotStore.Result[] results, short flags,
            IntToLongFunction expiryOf, int[] classes, int classCount, int from, int to, int batchSize) {
        this.keys = keys;
        this.values = values;
        this.results = results;
        this.flags = flags;
        this.expiryOf = expiryOf;
        this.classes = classes;
        this.from = from;
        this.to = to;
        this.batchSize = batchSize;
        this.resumeAt = to;
        this.nChunks = (to - from + batchSize - 1) / batchSize;
        chunkStarts = new long[nChunks][classCount];
        for (long[] c : chunkStarts) {
            java.util.Arrays.fill(c, -1);
        }
        hasWork = new boolean[nChunks];
        committed = new boolean[nChunks];
        remaining = new int[nChunks];
        chunkError = new String[nChunks];
        canceled = new boolean[nChunks];
        heldForRetire = new boolean[nChunks];
    }

    /** Key {@code i}'s slot class. */
    int classOf(int i) {
        return classes[i - from];
    }

    /** Keys [lo, hi) of chunk {@code c}. */
    int chunkFrom(int c) {
        return from + c * batchSize;
    }

    int chunkTo(int c) {
        return Math.min(to, from + (c + 1) * batchSize);
    }

    boolean isDelete() {
        return flags == SlotDescriptor.FLAG_TOMBSTONE;
    }

    boolean hasWork() {
        return !planned.isEmpty() || !reinserts.isEmpty();
    }

    /** The planned writes of chunk {@code c}: indexes [lo, hi) of {@link #planned}. */
    int[] chunkRange(int c) {
        int lo = 0;
        while (lo < planned.size() && planned.get(lo).chunk() < c) {
            lo++;
        }
        int hi = lo;
        while (hi < planned.size() && planned.get(hi).chunk() == c) {
            hi++;
        }
        return new int[] {lo, hi};
    }

    /** Bytes the slot write of a planned key covers: whole blocks up to the end of its value. */
    long slotBytes(Planned pl, SuperblockDescriptor.Superblock sb) {
        return SlotDescriptor.usedBlocks(keys.get(pl.keyIndex()).length, values.get(pl.keyIndex()).byteSize(),
                sb.slotSizeAt(pl.position()));
    }

    /** Whether this window already reinserts {@code key} (the same array: the index's own). */
    boolean reinserting(byte[] key) {
        for (Reinsert r : reinserts) {
            if (r.key() == key) {
                return true;
            }
        }
        return false;
    }
}
