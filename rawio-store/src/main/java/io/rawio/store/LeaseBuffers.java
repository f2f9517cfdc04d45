package io.rawio.store;

import io.rawio.memory.AlignedMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Aligned read buffers that outlive the read: a zero-copy get reads into one and hands the caller a
 * {@link ValueLease} on it, which gives it back here when closed. Buffers are whole 4 KiB blocks,
 * rounded up to one of four sizes per power of two (a quarter of it apart: at most a quarter above what
 * the read needs, where a power of two wasted up to half of the buffer: 512 KiB for a 260 KiB slot),
 * kept per size between uses. The first {@link #SLAB_BYTES} of them are carved from one
 * slab, allocated at the first take and offered to the engine once ({@link
 * io.rawio.engine.IoEngine#registerMemory}: with uring-fixed, a lease is then read with READ_FIXED
 * into pinned memory); slab buffers are kept for reuse and the slab is freed once the store is closed
 * and every one of them is back. When a take finds no room left in the slab and none of its buffers is
 * lent, the slab is carved again from its start, so sizes that come later get it too. Past the slab a
 * buffer has an arena of its own, kept for reuse up to
 * {@link #RETAINED_MAX_BYTES} of idle buffers in all and freed past that. Thread-safe.
 */
final class LeaseBuffers implements AutoCloseable {
    /** Bytes of idle buffers with an arena of their own kept for reuse, over all sizes. */
    static final long RETAINED_MAX_BYTES = 64L << 20;
    /** Bytes of the slab lease buffers are carved from first. */
    static final long SLAB_BYTES = 32L << 20;

    private final Object monitor = new Object();
    /** Given the slab once it is allocated (the engine's registerMemory), or null. */
    private final java.util.function.Consumer<MemorySegment> register;
    /** Idle buffers by size. GUARDED_BY(monitor). */
    private final Map<Long, ArrayDeque<Buffer>> idle = new HashMap<>();
    /** Bytes of idle buffers with their own arena. GUARDED_BY(monitor). */
    private long idleBytes;
    /** Buffers lent out and not yet given back, for tests. GUARDED_BY(monitor). */
    private long lent;
    /** Slab buffers lent out: the slab is freed only when none is. GUARDED_BY(monitor). */
    private long slabLent;
    /** The slab and its arena, once allocated; bytes of it carved so far. GUARDED_BY(monitor). */
    private MemorySegment slab;
    private Arena slabArena;
    private long slabUsed;
    /** Times the slab was carved again ({@link #recarveLocked}), for tests. GUARDED_BY(monitor). */
    private long recarved;
    /** GUARDED_BY(monitor). */
    private boolean closed;

    /** Buffers with no slab offered to an engine (for tests). */
    LeaseBuffers() {
        this(null);
    }

    /** Buffers whose slab is given to {@code register} once allocated (null: to nobody). */
    LeaseBuffers(java.util.function.Consumer<MemorySegment> register) {
        this.register = register;
    }

    /**
     * One buffer and the arena that owns it (one each: a buffer is freed on its own); a null arena for
     * a buffer carved from the slab.
     */
    static final class Buffer {
        private final MemorySegment segment;
        private final Arena arena;
        /** Taken and not yet given back: a second give is refused. GUARDED_BY(the LeaseBuffers' monitor). */
        private boolean lent;

        Buffer(MemorySegment segment, Arena arena) {
            this.segment = segment;
            this.arena = arena;
        }

        MemorySegment segment() {
            return segment;
        }

        Arena arena() {
            return arena;
        }

        boolean fromSlab() {
            return arena == null;
        }
    }

    /** A buffer of at least {@code bytes} ({@link #sizeFor}). */
    Buffer take(long bytes) {
        long size = sizeFor(bytes);
        synchronized (monitor) {
            if (closed) {
                throw new IllegalStateException("store is closed");
            }
            ArrayDeque<Buffer> q = idle.get(size);
            Buffer b = q == null ? null : q.poll();
            if (b != null) {
                b.lent = true;
                lent++;
                if (b.fromSlab()) {
                    slabLent++;
                } else {
                    idleBytes -= size;
                }
                return b;
            }
            if (size <= SLAB_BYTES) {
                slabLocked();
                if (slabUsed + size > SLAB_BYTES && slabLent == 0) {
                    recarveLocked();
                }
            }
            if (slab != null && slabUsed + size <= SLAB_BYTES) {
                Buffer carved = new Buffer(slab.asSlice(slabUsed, size), null);
                carved.lent = true;
                lent++;
                slabUsed += size;
                slabLent++;
                return carved;
            }
        }
        Arena arena = Arena.ofShared();
        Buffer own;
        try {
            own = new Buffer(AlignedMemory.allocate(arena, size, SlotStore.BLOCK_SIZE), arena);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close(); // nothing lent: the count stays as it was
            throw e;
        }
        synchronized (monitor) {
            own.lent = true;
            lent++; // counted once it exists (an allocation that fails lends nothing)
        }
        return own;
    }

    /**
     * Allocates the slab and offers it to the engine, if not done yet: called before a batch of lease
     * reads goes to the engine, which takes up registrations as a batch starts.
     */
    void prepare() {
        synchronized (monitor) {
            if (!closed) {
                slabLocked();
            }
        }
    }

    /** The slab, allocated and offered once. GUARDED_BY(monitor). */
    private void slabLocked() {
        if (slab == null && slabArena == null) {
            slabArena = Arena.ofShared();
            slab = AlignedMemory.allocate(slabArena, SLAB_BYTES, SlotStore.BLOCK_SIZE);
            if (register != null) {
                register.accept(slab);
            }
        }
    }

    /**
     * The slab is carved again from its start: every buffer carved from it is idle (none lent), and a
     * take found no room in it, as the sizes the reads need have moved on from those it was carved for.
     * The idle slab buffers are forgotten (their memory is the slab's); idle buffers with their own arena
     * stay. GUARDED_BY(monitor).
     */
    private void recarveLocked() {
        for (ArrayDeque<Buffer> q : idle.values()) {
            q.removeIf(Buffer::fromSlab);
        }
        idle.values().removeIf(ArrayDeque::isEmpty);
        slabUsed = 0;
        recarved++;
    }

    long recarved() {
        synchronized (monitor) {
            return recarved;
        }
    }

    /**
     * Takes a buffer back: kept for the next take of its size, or freed. A buffer given back twice would
     * be handed to two takers at once: refused with {@link IllegalStateException}, nothing changed.
     */
    void give(Buffer b) {
        long size = b.segment().byteSize();
        synchronized (monitor) {
            if (!b.lent) {
                throw new IllegalStateException("lease buffer given back twice (" + size + " bytes)");
            }
            b.lent = false;
            lent--;
            if (b.fromSlab()) {
                slabLent--;
                if (closed) {
                    freeSlabIfIdle();
                } else {
                    idle.computeIfAbsent(size, k -> new ArrayDeque<>()).push(b);
                }
                return;
            }
            if (!closed && idleBytes + size <= RETAINED_MAX_BYTES) {
                idle.computeIfAbsent(size, k -> new ArrayDeque<>()).push(b);
                idleBytes += size;
                return;
            }
        }
        b.arena().close();
    }

    /** Frees the slab once the store is closed and no slab buffer is lent. GUARDED_BY(monitor). */
    private void freeSlabIfIdle() {
        if (slabArena != null && slabLent == 0) {
            slabArena.close();
            slabArena = null;
            slab = null;
        }
    }

    static long sizeFor(long bytes) {
        long blocks = Math.max(1, Blocks.roundUp(bytes, SlotStore.BLOCK_SIZE) / SlotStore.BLOCK_SIZE);
        // Steps of a quarter of the power of two below: 4, 5, 6, 7, 8, 10, 12, 14, 16, 20 ... blocks.
        long step = Math.max(1, Long.highestOneBit(blocks - 1 == 0 ? 1 : blocks - 1) / 4);
        return Blocks.roundUp(blocks, step) * SlotStore.BLOCK_SIZE;
    }

    /** Buffers lent out now. */
    long lent() {
        synchronized (monitor) {
            return lent;
        }
    }

    /**
     * Frees the idle buffers, and the slab when none of it is lent; buffers still lent are freed when
     * given back (the slab with the last of its own). Idempotent. The store closes its engine first,
     * so the slab is never freed while an engine still has it registered.
     */
    @Override
    public void close() {
        synchronized (monitor) {
            closed = true;
            for (ArrayDeque<Buffer> q : idle.values()) {
                for (Buffer b : q) {
                    if (!b.fromSlab()) {
                        b.arena().close();
                    }
                }
            }
            idle.clear();
            idleBytes = 0;
            freeSlabIfIdle();
        }
    }
}
