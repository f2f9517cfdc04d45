package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.engine.IoEngine;
import io.rawio.engine.IoEngines;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The store's buffer recycling, with no store and no file. */
class ScratchBuffersTest {
    @Test
    void regionsKeptBetweenCallsAreBoundedWhateverTheNumberOfThreads() throws Exception {
        try (ScratchBuffers s = new ScratchBuffers(4096)) {
            List<Thread> threads = new ArrayList<>();
            // 64 short-lived threads each borrow a region, use it and give it back.
            for (int t = 0; t < 64; t++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    ScratchBuffers.Region r = s.acquire();
                    r.reset(1 << 20);
                    try (Arena a = Arena.ofConfined()) {
                        r.take(1 << 20, a).fill((byte) 1);
                    }
                    s.release(r);
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(s.retained() <= ScratchBuffers.RETAINED_MAX, "retained " + s.retained());
            assertTrue(s.retained() >= 1);
        }
    }

    @Test
    void aRegionGrowsToWhatABatchNeededAndThenServesItWithoutFallback() {
        try (ScratchBuffers s = new ScratchBuffers(4096); Arena a = Arena.ofConfined()) {
            ScratchBuffers.Region r = s.acquire();
            r.reset(0);
            MemorySegment first = r.take(3 << 20, a); // too big for the empty region: from the fallback arena
            assertEquals(0, first.address() % 4096, "aligned");
            r.reset(0);
            assertTrue(r.capacity() >= 3 << 20, "grew to the peak: " + r.capacity());
            MemorySegment second = r.take(3 << 20, a);
            assertTrue(second.address() >= 0);
            s.release(r);
            assertEquals(1, s.retained());
            // The next borrower gets the grown region back.
            assertTrue(s.acquire().capacity() >= 3 << 20);
        }
    }

    @Test
    void theRecyclerHandsBackCompletedBuffersBeforeTakingNewOnes() {
        try (ScratchBuffers s = new ScratchBuffers(4096); Arena a = Arena.ofConfined()) {
            ScratchBuffers.Region r = s.acquire();
            r.reset(2 * 8192);
            ScratchBuffers.Recycler rec = ScratchBuffers.Recycler.forSlotFills(r, a, 8192);
            MemorySegment b1 = rec.take();
            MemorySegment b2 = rec.take();
            assertTrue(b1.address() != b2.address());
            rec.giveBack(b1);
            assertEquals(b1.address(), rec.take().address(), "the completed buffer is reused");
        }
    }

    @Test
    void theSizedRecyclerReusesABufferOnlyForItsOwnSizeAndMarksReadBuffersDirty() {
        try (ScratchBuffers s = new ScratchBuffers(4096); Arena a = Arena.ofConfined()) {
            ScratchBuffers.Region r = s.acquire();
            r.reset(64 * 1024);
            ScratchBuffers.SizedRecycler rec = new ScratchBuffers.SizedRecycler(r, a);
            MemorySegment small = rec.take(4096);
            MemorySegment big = rec.take(8192);
            assertEquals(4096, small.byteSize());
            assertEquals(8192, big.byteSize());
            assertTrue(r.offsetOf(big) >= 0, "carved from the region");
            for (long at = 0; at < 8192; at += SlotDescriptor.SECTOR) {
                assertEquals(SlotDescriptor.SECTOR, r.padding().dirtyPrefixAt(r.offsetOf(big) + at),
                        "a read buffer may hold anything: marked dirty at " + at);
            }
            rec.giveBack(small);
            rec.giveBack(big);
            assertEquals(big.address(), rec.take(8192).address(), "the 8 KiB buffer back for an 8 KiB read");
            MemorySegment other = rec.take(8192);
            assertTrue(other.address() != big.address() && other.address() != small.address(),
                    "no free 8 KiB buffer left: a new one, not the 4 KiB buffer");
            assertEquals(small.address(), rec.take(4096).address());
            // Sizes past the first few lists still find their own list.
            for (int k = 1; k <= 6; k++) {
                rec.giveBack(rec.take(k * 512L));
            }
            for (int k = 1; k <= 6; k++) {
                assertEquals(k * 512L, rec.take(k * 512L).byteSize());
            }
        }
    }

    @Test
    void batchSizeFollowsTheBuffersTheEngineHoldsAtOnce() {
        try (IoEngine psync = IoEngines.create("psync")) {
            // psync prepares every op first: one buffer per op, so big buffers mean fewer ops per batch.
            assertEquals(4096, ScratchBuffers.batchOps(psync, 4096, 4096, 64));
            assertEquals(64, ScratchBuffers.batchOps(psync, 1 << 20, 4096, 64));
            assertEquals(64, ScratchBuffers.batchOps(psync, 64L << 20, 4096, 64), "never fewer than min");
        }
    }
}
