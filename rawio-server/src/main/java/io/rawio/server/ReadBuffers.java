package io.rawio.server;

import io.rawio.memory.AlignedMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * The io_uring loop's buffers for the store's reads ({@link RingGets}): aligned native memory (the
 * store's file may be open with O_DIRECT) that a read lands in and a send goes out from, recycled by
 * size (powers of two from 8 KiB), within a budget of bytes. When the budget is spent and no free
 * buffer fits, free buffers of other sizes are given back to make room; when every byte is in use,
 * {@link #take} says so (null) and the caller waits for buffers to come back.
 *
 * <p>With {@link Pins} each buffer is registered with the loop's ring as it is made (a READ_FIXED then
 * reads into it without pinning its pages per read) and unregistered before it is freed.
 *
 * <p>Single-threaded: the loop's thread only (each buffer's arena is confined to it). {@link #close()}
 * frees everything; call it only when no read or send can still use a buffer.
 */
final class ReadBuffers implements AutoCloseable {
    /** The smallest buffer: a 4 KiB value's read (header and value in two blocks) and its reply's tail. */
    static final int MIN_SIZE = 8 * 1024;
    private static final int CLASSES = 24;

    /** One buffer: its memory, the arena that frees it, and its registered slot (-1: none). */
    static final class Buffer {
        final MemorySegment memory;
        final Arena arena;
        final int sizeClass;
        /** Its index among the ring's registered buffers, for READ_FIXED; -1 when it is not registered. */
        final int slot;

        Buffer(MemorySegment memory, Arena arena, int sizeClass, int slot) {
            this.memory = memory;
            this.arena = arena;
            this.sizeClass = sizeClass;
            this.slot = slot;
        }
    }

    /** Registers buffers with the ring as they are made, and unregisters them before they are freed. */
    interface Pins {
        /** Registers {@code m}: its slot, or -1 when it cannot be (reads into it are then plain reads). */
        int pin(MemorySegment m);

        /** Unregisters the buffer of {@code slot}. */
        void unpin(int slot);

        /** Unregisters every buffer (before all are freed). */
        void unpinAll();

        Pins NONE = new Pins() {
            @Override
            public int pin(MemorySegment m) {
                return -1;
            }

            @Override
            public void unpin(int slot) {
            }

            @Override
            public void unpinAll() {
            }
        };
    }

    private final long budgetBytes;
    private final int alignment;
    private final Pins pins;
    @SuppressWarnings("unchecked")
    private final ArrayDeque<Buffer>[] free = new ArrayDeque[CLASSES];
    /** Bytes of every buffer made and not freed, in use or free. */
    private long allocatedBytes;
    private long freeBytes;
    private long inUse;
    private boolean closed;

    ReadBuffers(long budgetBytes, int alignment) {
        this(budgetBytes, alignment, Pins.NONE);
    }

    /** Buffers registered with {@code pins} as they are made. */
    ReadBuffers(long budgetBytes, int alignment, Pins pins) {
        if (budgetBytes < MIN_SIZE) {
            throw new IllegalArgumentException("read buffer budget too small: budgetBytes=" + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
        this.alignment = alignment;
        this.pins = pins;
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    static int sizeClass(long bytes) {
        long size = Math.max(MIN_SIZE, bytes);
        return 64 - Long.numberOfLeadingZeros(size - 1) - 13; // 8 KiB -> 0, 16 KiB -> 1, ...
    }

    static long classBytes(int sizeClass) {
        return (long) MIN_SIZE << sizeClass;
    }

    /**
     * A buffer of at least {@code bytes}, or null when the budget is spent on buffers in use (or
     * {@code bytes} is past the budget: the caller reads such a value another way).
     */
    Buffer take(long bytes) {
        if (closed) {
            throw new IllegalStateException("read buffers closed");
        }
        int c = sizeClass(bytes);
        if (c >= CLASSES || classBytes(c) > budgetBytes) {
            return null;
        }
        Buffer b = free[c].poll();
        if (b != null) {
            freeBytes -= classBytes(c);
            inUse++;
            return b;
        }
        long need = classBytes(c);
        // Room made from free buffers of other sizes, largest first.
        for (int k = CLASSES - 1; k >= 0 && allocatedBytes + need > budgetBytes; k--) {
            while (allocatedBytes + need > budgetBytes && !free[k].isEmpty()) {
                Buffer f = free[k].poll();
                if (f.slot >= 0) {
                    pins.unpin(f.slot);
                }
                f.arena.close();
                allocatedBytes -= classBytes(k);
                freeBytes -= classBytes(k);
            }
        }
        if (allocatedBytes + need > budgetBytes) {
            return null;
        }
        Arena arena = Arena.ofConfined(); // the loop's thread makes, recycles and frees every buffer
        MemorySegment m = AlignedMemory.allocate(arena, need, alignment);
        allocatedBytes += need;
        inUse++;
        return new Buffer(m, arena, c, pins.pin(m));
    }

    /** A buffer back from its read and send. */
    void give(Buffer b) {
        inUse--;
        if (closed) {
            b.arena.close();
            return;
        }
        free[b.sizeClass].push(b); // the most recently used first: still in the caches
        freeBytes += classBytes(b.sizeClass);
    }

    long budgetBytes() {
        return budgetBytes;
    }

    /** Buffers taken and not given back. */
    long inUse() {
        return inUse;
    }

    /** Bytes of buffers made, in use or free. */
    long allocatedBytes() {
        return allocatedBytes;
    }

    long freeBytes() {
        return freeBytes;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pins.unpinAll(); // before the memory goes
        for (ArrayDeque<Buffer> q : free) {
            for (Buffer b : q) {
                b.arena.close();
            }
            q.clear();
        }
    }
}
