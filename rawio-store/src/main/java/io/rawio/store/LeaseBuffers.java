package io.rawio.store;

import io.rawio.memory.AlignedMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Aligned read buffers that outlive the read: a zero-copy get reads into one and hands the caller a
 * {@link ValueLease} on it, which gives it back here when closed. Buffers are whole powers of two of
 * 4 KiB blocks, kept per size between uses, up to {@link #RETAINED_MAX_BYTES} in all; one given back
 * past that is freed. Thread-safe.
 */
final class LeaseBuffers implements AutoCloseable {
    /** Bytes of idle buffers kept for reuse, over all sizes. */
    static final long RETAINED_MAX_BYTES = 64L << 20;

    private final Object monitor = new Object();
    /** Idle buffers by size. GUARDED_BY(monitor). */
    private final Map<Long, ArrayDeque<Buffer>> idle = new HashMap<>();
    /** Bytes of idle buffers. GUARDED_BY(monitor). */
    private long idleBytes;
    /** Buffers lent out and not yet given back, for tests. GUARDED_BY(monitor). */
    private long lent;
    /** GUARDED_BY(monitor). */
    private boolean closed;

    /** One buffer and the arena that owns it (one each: a buffer is freed on its own). */
    record Buffer(MemorySegment segment, Arena arena) {
    }

    /** A buffer of at least {@code bytes} (whole blocks, a power of two of them). */
    Buffer take(long bytes) {
        long size = sizeFor(bytes);
        synchronized (monitor) {
            if (closed) {
                throw new IllegalStateException("store is closed");
            }
            lent++;
            ArrayDeque<Buffer> q = idle.get(size);
            Buffer b = q == null ? null : q.poll();
            if (b != null) {
                idleBytes -= size;
                return b;
            }
        }
        Arena arena = Arena.ofShared();
        return new Buffer(AlignedMemory.allocate(arena, size, SlotStore.BLOCK_SIZE), arena);
    }

    /** Takes a buffer back: kept for the next take of its size, or freed. */
    void give(Buffer b) {
        long size = b.segment().byteSize();
        synchronized (monitor) {
            lent--;
            if (!closed && idleBytes + size <= RETAINED_MAX_BYTES) {
                idle.computeIfAbsent(size, k -> new ArrayDeque<>()).push(b);
                idleBytes += size;
                return;
            }
        }
        b.arena().close();
    }

    static long sizeFor(long bytes) {
        long blocks = Math.max(1, Blocks.roundUp(bytes, SlotStore.BLOCK_SIZE) / SlotStore.BLOCK_SIZE);
        return Long.highestOneBit(blocks - 1 == 0 ? 1 : (blocks - 1) << 1) * SlotStore.BLOCK_SIZE;
    }

    /** Buffers lent out now. */
    long lent() {
        synchronized (monitor) {
            return lent;
        }
    }

    /** Frees the idle buffers; buffers still lent are freed when given back. Idempotent. */
    @Override
    public void close() {
        synchronized (monitor) {
            closed = true;
            for (ArrayDeque<Buffer> q : idle.values()) {
                for (Buffer b : q) {
                    b.arena().close();
                }
            }
            idle.clear();
            idleBytes = 0;
        }
    }
}
