package io.rawio.store;

import io.rawio.memory.AlignedMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Buffers a caller receives a value into that a put then writes from without copying it: each is laid
 * out as the slot the value will be written as, the value where that slot has it (after the header and
 * the key, or at the first block boundary after them: {@link SlotDescriptor#valueOffset}) and whole blocks
 * behind it. A put whose value is exactly a lent buffer's {@link Buffer#value()} writes the slot from the
 * buffer itself: the store fills the header, the key and the padding around the value, and the value is
 * never copied ({@link WritePipeline}). Where the slot it is planned in puts the value elsewhere (another
 * key length than the buffer was taken for) the value is copied as any other. A server that receives a
 * large value straight into such a buffer saves a copy of every byte of it (the Redis server's SET of
 * 1 MiB: the socket's bytes go to the buffer, and the buffer to the device).
 *
 * <p>Memory is bounded: buffers lent and kept idle never pass {@link #budget()} bytes in all, and
 * {@link #take} returns null when one would (the caller then receives the value as it would without
 * them). Buffers are rounded up to one of four sizes per power of two and kept by size for reuse.
 *
 * <p>A buffer is safe to give back at any time: a put that was given its value holds it ({@link #pin})
 * until the put is over, and a buffer given back meanwhile is reused or freed only then. Thread-safe:
 * every field below is GUARDED_BY(monitor), except {@link #byValue}, a concurrent map read without it.
 */
public final class ValueBuffers implements AutoCloseable {
    /** Where in a buffer taken without a key length the value starts: one block for the slot's header and key. */
    public static final long VALUE_AT = SlotDescriptor.BLOCK;

    /** Where the store puts a value of these lengths in its slot ({@link SlotDescriptor#valueOffset}). */
    @FunctionalInterface
    interface Layout {
        long valueOffset(int keyLength, int valueLength);
    }

    /** The store's layout of slots; for a pool on its own, the value after one block. */
    private final Layout layout;

    /** A pool on its own: a value is always one block into its buffer. */
    public ValueBuffers() {
        this((k, v) -> VALUE_AT);
    }

    ValueBuffers(Layout layout) {
        this.layout = layout;
    }
    /** The default bound on the bytes of all buffers, lent and idle. */
    public static final long DEFAULT_BUDGET = 64L << 20;
    /**
     * One buffer is at most this share of the budget (a quarter: 16 MiB of the default): a caller that
     * takes one for a value announced and never sent holds no more than that.
     */
    static final long MAX_SHARE = 4;

    private final Object monitor = new Object();
    /** Idle buffers by capacity. GUARDED_BY(monitor). */
    private final Map<Long, ArrayDeque<Block>> idle = new HashMap<>();
    /** Bytes of every buffer allocated and not yet freed (lent, pinned or idle). GUARDED_BY(monitor). */
    private long heldBytes;
    /** GUARDED_BY(monitor). */
    private long budget = DEFAULT_BUDGET;
    /** Buffers lent and not given back. GUARDED_BY(monitor). */
    private long lent;
    /** GUARDED_BY(monitor). */
    private boolean closed;
    /** Lent buffers by the address of their value: how a put recognizes one. */
    private final Map<Long, Buffer> byValue = new ConcurrentHashMap<>();

    /** Memory for one slot, lent again and again. Its fields are GUARDED_BY(monitor) of its pool. */
    private static final class Block {
        final Arena arena;
        final MemorySegment slot;
        /** The lending it is in, or null. */
        Buffer lentAs;
        /** Puts holding it ({@link #pin}). */
        int pins;
        /** A put is writing its slot from it: its header block may not be touched by another. */
        boolean writing;

        Block(Arena arena, MemorySegment slot) {
            this.arena = arena;
            this.slot = slot;
        }

        long capacity() {
            return slot.byteSize();
        }
    }

    /**
     * One lending of a buffer ({@link #take} to {@link #give}): a whole slot's memory, of which
     * {@link #value()} is the caller's part. A handle given back once is given back for good, even when its
     * memory is lent again.
     */
    public static final class Buffer {
        private final Block block;
        private final MemorySegment value;
        private final long valueAt;

        private Buffer(Block block, MemorySegment value, long valueAt) {
            this.block = block;
            this.value = value;
            this.valueAt = valueAt;
        }

        /** Where in the slot the value lies. */
        long valueAt() {
            return valueAt;
        }

        /** Where the caller puts the value: its length in bytes, where the slot has it. */
        public MemorySegment value() {
            return value;
        }

        /** The whole slot this buffer is: header block, value, whole blocks after it. */
        MemorySegment slot() {
            return block.slot;
        }

        long capacity() {
            return block.capacity();
        }
    }

    /** The bound on the bytes of all buffers, lent and idle. */
    public long budget() {
        synchronized (monitor) {
            return budget;
        }
    }

    /** Sets the bound (0: {@link #take} lends nothing); idle buffers past it are freed. */
    public void budget(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("budget must not be negative: " + bytes);
        }
        synchronized (monitor) {
            budget = bytes;
            freeIdleLocked(0);
        }
    }

    /**
     * A buffer for a value of {@code valueLength} bytes (at least one), or null when the budget has no room
     * for it (or it would take more than a quarter of the budget). Its {@link Buffer#value()} is not zeroed;
     * give it back with {@link #give}.
     */
    public Buffer take(int valueLength) {
        return take(valueLength, VALUE_AT);
    }

    /**
     * A buffer for the value of a key of {@code keyLength} bytes, of {@code valueLength} bytes (at least one),
     * laid out as the store writes that key's slot; null when the budget has no room for it. A put of that
     * key (or of any key of that length) writes it with no copy.
     */
    public Buffer take(int keyLength, int valueLength) {
        if (keyLength < 1) {
            throw new IllegalArgumentException("key length must be positive: " + keyLength);
        }
        return take(valueLength, valueLength < 1 ? VALUE_AT : layout.valueOffset(keyLength, valueLength));
    }

    private Buffer take(int valueLength, long valueAt) {
        if (valueLength < 1) {
            throw new IllegalArgumentException("value length must be positive: " + valueLength);
        }
        // Rounded as the lease buffers are: one of four sizes per power of two, whole blocks.
        long capacity = LeaseBuffers.sizeFor(valueAt + valueLength);
        Buffer b;
        synchronized (monitor) {
            if (closed) {
                return null;
            }
            ArrayDeque<Block> q = idle.get(capacity);
            Block k = q == null ? null : q.poll();
            if (k == null) {
                if (capacity > budget / MAX_SHARE) {
                    return null;
                }
                freeIdleLocked(capacity);
                if (heldBytes + capacity > budget) {
                    return null;
                }
                Arena arena = Arena.ofShared();
                try {
                    k = new Block(arena, AlignedMemory.allocate(arena, capacity, SlotDescriptor.BLOCK));
                } catch (OutOfMemoryError e) {
                    arena.close();
                    return null;
                }
                heldBytes += capacity;
            }
            b = new Buffer(k, k.slot.asSlice(valueAt, valueLength), valueAt);
            k.lentAs = b;
            lent++;
        }
        byValue.put(b.value.address(), b);
        return b;
    }

    /**
     * Gives {@code b} back. Its value must not be used after this by the caller; a put that holds it
     * still writes it, and it is reused only once that put is over.
     */
    public void give(Buffer b) {
        synchronized (monitor) {
            Block k = b.block;
            if (k.lentAs != b) {
                throw new IllegalStateException("value buffer given back twice");
            }
            k.lentAs = null;
            lent--;
            byValue.remove(b.value.address(), b);
            if (k.pins == 0) {
                idleLocked(k);
            }
        }
    }

    /** {@code k} is neither lent nor pinned: kept for reuse, or freed when closed or past the budget. */
    private void idleLocked(Block k) {
        if (closed || heldBytes > budget) {
            freeLocked(k);
            return;
        }
        idle.computeIfAbsent(k.capacity(), x -> new ArrayDeque<>()).push(k);
    }

    private void freeLocked(Block k) {
        heldBytes -= k.capacity();
        k.arena.close();
    }

    /** Frees idle buffers until {@code room} more bytes fit in the budget (or none is idle). */
    private void freeIdleLocked(long room) {
        var it = idle.values().iterator();
        while (heldBytes + room > budget && it.hasNext()) {
            ArrayDeque<Block> q = it.next();
            while (heldBytes + room > budget && !q.isEmpty()) {
                freeLocked(q.poll());
            }
            if (q.isEmpty()) {
                it.remove();
            }
        }
    }

    /** The lent buffer whose value {@code value} is exactly, or null. */
    Buffer lentFor(MemorySegment value) {
        if (!value.isNative() || byValue.isEmpty()) {
            return null;
        }
        Buffer b = byValue.get(value.address());
        return b != null && b.value.byteSize() == value.byteSize() ? b : null;
    }

    /** What {@link #pin} held: released with {@link #unpin}. */
    record Pins(Block[] blocks) {
        /** How many buffers it holds. */
        int count() {
            return blocks.length;
        }
    }

    /**
     * Holds the lent buffers among {@code values} until {@link #unpin}: a buffer given back meanwhile is not
     * reused. Null when none of them is one.
     */
    Pins pin(List<MemorySegment> values) {
        if (byValue.isEmpty()) {
            return null;
        }
        Block[] found = null;
        int n = 0;
        for (MemorySegment v : values) {
            Buffer b = lentFor(v);
            if (b == null) {
                continue;
            }
            synchronized (monitor) {
                if (b.block.lentAs != b) {
                    continue; // given back since the lookup: the caller broke the contract; copied as any value
                }
                b.block.pins++;
            }
            if (found == null) {
                found = new Block[Math.min(values.size(), 16)];
            } else if (n == found.length) {
                found = java.util.Arrays.copyOf(found, n * 2);
            }
            found[n++] = b.block;
        }
        return found == null ? null : new Pins(java.util.Arrays.copyOf(found, n));
    }

    /** The put that pinned these is over. */
    void unpin(Pins pins) {
        if (pins == null) {
            return;
        }
        synchronized (monitor) {
            for (Block k : pins.blocks()) {
                if (--k.pins == 0 && k.lentAs == null) {
                    idleLocked(k);
                }
            }
        }
    }

    /**
     * A write of {@code value}'s slot from its own buffer begins: the buffer, or null when {@code value} is
     * not a pinned buffer's value or another write of it is under way (then the value is copied).
     */
    Buffer beginWrite(MemorySegment value) {
        Buffer b = lentFor(value);
        if (b == null) {
            return null;
        }
        synchronized (monitor) {
            Block k = b.block;
            if (k.pins == 0 || k.writing || (k.lentAs != b && k.lentAs != null)) {
                return null;
            }
            k.writing = true;
            return b;
        }
    }

    /** The write {@link #beginWrite} began is over. */
    void endWrite(Buffer b) {
        synchronized (monitor) {
            b.block.writing = false;
        }
    }

    /** Buffers lent and not given back. */
    public long lent() {
        synchronized (monitor) {
            return lent;
        }
    }

    /** Bytes of all buffers allocated, lent or idle. */
    public long heldBytes() {
        synchronized (monitor) {
            return heldBytes;
        }
    }

    /** Frees the idle buffers; those lent or pinned are freed as they come back. */
    @Override
    public void close() {
        synchronized (monitor) {
            closed = true;
            for (ArrayDeque<Block> q : idle.values()) {
                while (!q.isEmpty()) {
                    freeLocked(q.poll());
                }
            }
            idle.clear();
        }
    }
}
