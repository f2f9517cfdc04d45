package io.rawio.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A fixed set of equal-size, aligned, non-zeroed buffers carved out of one contiguous region whose
 * {@link Arena} lives exactly as long as the pool.
 *
 * <p>One region makes the pool cheap to register with io_uring (IORING_REGISTER_BUFFERS) and lets a
 * large pool be backed by transparent huge pages. {@link #acquire()} and {@link #release} are
 * thread-safe and allocation-free: the buffer segments are created once, up front.
 */
public final class BufferPool implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment region;
    private final MemorySegment[] buffers;
    private final int bufferSize;
    private final int alignment;
    private final boolean hugePages;
    private final int[] free;
    private int freeCount;
    private boolean closed;

    private BufferPool(int bufferSize, int count, int alignment, boolean hugePages) {
        if (bufferSize <= 0 || count <= 0) {
            throw new IllegalArgumentException("buffer size and count must be positive: bufferSize="
                    + bufferSize + ", count=" + count);
        }
        if (Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: alignment=" + alignment);
        }
        if (bufferSize % alignment != 0) {
            throw new IllegalArgumentException("buffer size must be a multiple of the alignment: bufferSize="
                    + bufferSize + ", alignment=" + alignment);
        }
        this.bufferSize = bufferSize;
        this.alignment = alignment;
        this.hugePages = hugePages;
        this.arena = Arena.ofShared();
        long total = (long) bufferSize * count;
        try {
            this.region = hugePages
                    ? AlignedMemory.mapAnonymous(arena, total, true)
                    : AlignedMemory.allocate(arena, total, alignment);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        this.buffers = new MemorySegment[count];
        this.free = new int[count];
        for (int i = 0; i < count; i++) {
            buffers[i] = region.asSlice((long) i * bufferSize, bufferSize);
            free[i] = count - 1 - i;
        }
        this.freeCount = count;
    }

    /**
     * A pool of {@code count} buffers of {@code bufferSize} bytes, each aligned to {@code alignment}.
     *
     * @param hugePages back the pool with transparent huge pages (MADV_HUGEPAGE) where available
     */
    public static BufferPool create(int bufferSize, int count, int alignment, boolean hugePages) {
        return new BufferPool(bufferSize, count, alignment, hugePages);
    }

    public static BufferPool create(int bufferSize, int count, int alignment) {
        return new BufferPool(bufferSize, count, alignment, false);
    }

    /** A free buffer, or null when all are in use. */
    public synchronized MemorySegment tryAcquire() {
        checkOpen();
        return freeCount == 0 ? null : buffers[free[--freeCount]];
    }

    /**
     * A free buffer.
     *
     * @throws IllegalStateException when every buffer is in use
     */
    public MemorySegment acquire() {
        MemorySegment b = tryAcquire();
        if (b == null) {
            throw new IllegalStateException("buffer pool exhausted: count=" + buffers.length
                    + ", bufferSize=" + bufferSize);
        }
        return b;
    }

    /** Returns a buffer obtained from this pool. */
    public synchronized void release(MemorySegment buffer) {
        checkOpen();
        int index = indexOf(buffer);
        if (index < 0 || buffers[index].address() != buffer.address()) {
            throw new IllegalArgumentException("buffer does not belong to this pool: address=0x"
                    + Long.toHexString(buffer.address()));
        }
        if (freeCount == free.length) {
            throw new IllegalStateException("buffer released twice: index=" + index);
        }
        free[freeCount++] = index;
    }

    /** The index of the buffer that contains {@code segment}'s first byte, or -1. */
    public int indexOf(MemorySegment segment) {
        long off = segment.address() - region.address();
        if (off < 0 || off >= region.byteSize()) {
            return -1;
        }
        return (int) (off / bufferSize);
    }

    /** Buffer {@code index}, whether free or not. */
    public MemorySegment buffer(int index) {
        return buffers[index];
    }

    /** The whole region, all buffers back to back. */
    public MemorySegment region() {
        return region;
    }

    public int bufferSize() {
        return bufferSize;
    }

    public int count() {
        return buffers.length;
    }

    public int alignment() {
        return alignment;
    }

    public boolean hugePages() {
        return hugePages;
    }

    public synchronized int available() {
        return freeCount;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("buffer pool is closed");
        }
    }

    /** Frees the region; buffers handed out become inaccessible. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
