package io.rawio.store;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.rawio.nativeio.Libc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The DRAM tier's off-heap value memory: each cached value is one block from the C heap ({@code malloc}
 * and {@code free} through FFM), not an arena's, so that a value can be freed alone, by whichever thread
 * closes its last lease, and the tier's bytes do not count against the Java heap. The blocks are
 * plain memory with no owner: {@link CacheEntry}'s lease count decides when one is freed, once.
 *
 * <p>Thread-safe and lock-free (the count of live blocks is atomic); takes no Java lock, so it may be
 * called with {@code ValueCache.lock} held (free is) or not (malloc is, before the lock is taken).
 */
final class CacheMemory {
    private static final MethodHandle MALLOC = Libc.plainCall("malloc",
            FunctionDescriptor.of(ADDRESS, JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle FREE = Libc.plainCall("free",
            FunctionDescriptor.ofVoid(ADDRESS), Linker.Option.critical(false));

    /** Blocks malloced and not yet freed; for tests. */
    private final AtomicLong liveAllocations = new AtomicLong();

    /** A malloced block of {@code size} bytes, or null when malloc failed. */
    @SuppressWarnings("restricted") // the block is exactly size bytes; it is freed once (CacheEntry's state)
    MemorySegment allocate(long size) {
        if (size == 0) {
            return MemorySegment.NULL; // nothing to free; its size is 0
        }
        MemorySegment p;
        try {
            p = (MemorySegment) MALLOC.invokeExact(size);
        } catch (Throwable t) {
            throw new IllegalStateException("malloc: size=" + size, t);
        }
        if (p.equals(MemorySegment.NULL)) {
            return null;
        }
        liveAllocations.incrementAndGet();
        return p.reinterpret(size);
    }

    /** Frees a block {@link #allocate} returned (or a read-only view of one); a block of 0 bytes is not freed. */
    void free(MemorySegment block) {
        if (block.byteSize() == 0) {
            return;
        }
        try {
            FREE.invokeExact(block);
        } catch (Throwable t) {
            throw new IllegalStateException("free: address=" + block.address(), t);
        }
        liveAllocations.decrementAndGet();
    }

    /** Blocks allocated and not yet freed. */
    long liveAllocations() {
        return liveAllocations.get();
    }
}
