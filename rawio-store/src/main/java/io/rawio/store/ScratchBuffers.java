package io.rawio.store;

import io.rawio.engine.IoEngine;
import io.rawio.memory.AlignedMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * Slot buffers for the store's batches: a bounded pool of growable aligned regions, lent to one call
 * at a time, and a {@link Recycler} that hands a batch's buffers out and takes each back as its
 * operation completes. Reusing regions across calls means a put does not map and fault fresh memory;
 * bounding the pool means many short-lived (or virtual) threads do not each keep a region.
 *
 * <p>At most {@link #RETAINED_MAX} regions of at most {@link #REGION_MAX} bytes are kept between calls;
 * a region given back when that many are already kept is freed. A region is used by one thread at a
 * time (the call that borrowed it).
 */
final class ScratchBuffers implements AutoCloseable {
    /** The most one region grows to. */
    static final long REGION_MAX = 64L << 20;
    /** Regions kept between calls, over all threads. */
    static final int RETAINED_MAX = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private final long blockSize;
    private final Object monitor = new Object();
    /** Regions not lent out. GUARDED_BY(monitor). */
    private final ArrayDeque<Region> idle = new ArrayDeque<>();
    /** Set by close: regions given back afterwards are freed. GUARDED_BY(monitor). */
    private boolean closed;

    ScratchBuffers(long blockSize) {
        this.blockSize = blockSize;
    }

    /** A region for one call; give it back with {@link #release}. */
    Region acquire() {
        synchronized (monitor) {
            Region r = idle.poll();
            return r != null ? r : new Region();
        }
    }

    void release(Region r) {
        synchronized (monitor) {
            if (!closed && idle.size() < RETAINED_MAX) {
                idle.push(r);
                return;
            }
        }
        r.free();
    }

    /** Regions kept between calls now, for tests. */
    int retained() {
        synchronized (monitor) {
            return idle.size();
        }
    }

    /** Frees the kept regions; regions still lent out are freed when given back. Idempotent. */
    @Override
    public void close() {
        synchronized (monitor) {
            closed = true;
            for (Region r : idle) {
                r.free();
            }
            idle.clear();
        }
    }

    /** A growable aligned region a batch carves its buffers from. */
    final class Region {
        private Arena arena;
        private MemorySegment region = MemorySegment.NULL;
        private long used;
        /** The most a batch asked for since the region was last sized; the next reset grows to it. */
        private long peak;
        /** Which of the region's bytes may be non-zero (see {@link SlotPadding}). */
        private SlotPadding padding = new SlotPadding(0);

        /** Starts a batch that expects to take about {@code expected} bytes. */
        void reset(long expected) {
            used = 0;
            peak = Math.max(peak, expected);
            if (peak > region.byteSize() && region.byteSize() < REGION_MAX) {
                long want = Math.min(REGION_MAX, Math.max(peak, region.byteSize() * 2));
                free();
                arena = Arena.ofShared();
                // Transparent huge pages where the kernel allows them: O_DIRECT pins a buffer's pages
                // for every I/O, and a 2 MiB page is one entry to pin instead of 512.
                region = AlignedMemory.mapAnonymous(arena, Blocks.roundUp(want, AlignedMemory.HUGE_PAGE_SIZE), true);
                padding = new SlotPadding(region.byteSize()); // a fresh mapping is all zeros
            }
            peak = 0;
        }

        /**
         * A slice of the region, or memory of {@code fallback} when the region is too small for this
         * batch; the region grows to what the batch needed (up to {@link #REGION_MAX}) at the next
         * {@link #reset}, so a caller doing batches of one size stops allocating after the first.
         */
        MemorySegment take(long size, Arena fallback) {
            peak = Math.max(peak, used + size);
            if (used + size > region.byteSize()) {
                return AlignedMemory.allocate(fallback, size, blockSize);
            }
            MemorySegment s = region.asSlice(used, size);
            used += size;
            return s;
        }

        long capacity() {
            return region.byteSize();
        }

        /** The tracker of which bytes of the region may be non-zero. */
        SlotPadding padding() {
            return padding;
        }

        /** Where {@code s} starts in the region, or -1 when it is not the region's memory (a fallback). */
        long offsetOf(MemorySegment s) {
            long off = s.address() - region.address();
            return region.byteSize() > 0 && off >= 0 && off + s.byteSize() <= region.byteSize() ? off : -1;
        }

        private void free() {
            if (arena != null) {
                arena.close();
                arena = null;
                region = MemorySegment.NULL;
                padding = new SlotPadding(0);
            }
        }
    }

    /**
     * Buffers of one size for one batch of slot writes: {@link #take()} gives a buffer back from a
     * completed operation when there is one, else a new slice of the region. Its buffers are written only
     * by {@link SlotDescriptor#fill(MemorySegment, byte[], MemorySegment, short, long, long, long, long,
     * long, int, SlotPadding, long)} with the region's padding tracker, which keeps the region's
     * {@link SlotPadding} itself. Single-threaded (the batch's thread).
     */
    static final class Recycler {
        private final Region region;
        private final Arena fallback;
        private final long bufferSize;
        private final ArrayDeque<MemorySegment> free = new ArrayDeque<>();

        private Recycler(Region region, Arena fallback, long bufferSize) {
            this.region = region;
            this.fallback = fallback;
            this.bufferSize = bufferSize;
        }

        static Recycler forSlotFills(Region region, Arena fallback, long bufferSize) {
            return new Recycler(region, fallback, bufferSize);
        }

        MemorySegment take() {
            MemorySegment b = free.poll();
            return b != null ? b : region.take(bufferSize, fallback);
        }

        /** The region the buffers are carved from. */
        Region region() {
            return region;
        }

        void giveBack(MemorySegment b) {
            free.push(b);
        }
    }

    /**
     * Buffers of any size for one batch of reads whose sizes are known only as each is issued (a getMany
     * looks its keys up as the ring refills): {@link #take(long)} gives back a buffer of exactly that
     * size from a completed read when there is one, else a new slice of the region. Every buffer is
     * marked dirty in the region as it is taken (a read writes anything). A batch's reads come in few
     * sizes (one per slot class and value shape), so the free lists are searched in order, with no map
     * and no boxing. Single-threaded (the batch's thread).
     */
    static final class SizedRecycler {
        private final Region region;
        private final Arena fallback;
        private long[] sizes = new long[4];
        @SuppressWarnings("unchecked")
        private ArrayDeque<MemorySegment>[] free = new ArrayDeque[4];
        private int lists;

        SizedRecycler(Region region, Arena fallback) {
            this.region = region;
            this.fallback = fallback;
        }

        MemorySegment take(long size) {
            ArrayDeque<MemorySegment> list = listOf(size, false);
            MemorySegment b = list == null ? null : list.poll();
            if (b == null) {
                b = region.take(size, fallback);
            }
            long at = region.offsetOf(b);
            if (at >= 0) {
                region.padding().dirty(at, b.byteSize());
            }
            return b;
        }

        void giveBack(MemorySegment b) {
            listOf(b.byteSize(), true).push(b);
        }

        private ArrayDeque<MemorySegment> listOf(long size, boolean make) {
            for (int i = 0; i < lists; i++) {
                if (sizes[i] == size) {
                    return free[i];
                }
            }
            if (!make) {
                return null;
            }
            if (lists == sizes.length) {
                sizes = java.util.Arrays.copyOf(sizes, lists * 2);
                free = java.util.Arrays.copyOf(free, lists * 2);
            }
            sizes[lists] = size;
            free[lists] = new ArrayDeque<>();
            return free[lists++];
        }
    }

    /**
     * Operations of {@code bufferSize} bytes one batch may carry, from {@code min} to {@code max}: all of
     * them when the buffers the engine holds at once fit a region, or when the engine holds a bounded
     * number whatever the batch's size (more operations then cost no more memory); else as many as fit.
     */
    static int batchOps(IoEngine engine, long bufferSize, int max, int min) {
        long held = engine.buffersHeld(max);
        if (held * bufferSize <= REGION_MAX || held < max) {
            return max;
        }
        return (int) Math.max(min, Math.min(max, REGION_MAX / bufferSize));
    }

}
