package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class LeaseBuffersTest {
    private static boolean inside(MemorySegment region, MemorySegment b) {
        return b.address() >= region.address() && b.address() + b.byteSize() <= region.address() + region.byteSize();
    }

    /** The whole slab taken as 1 MiB buffers. */
    private static List<LeaseBuffers.Buffer> fillSlab(LeaseBuffers lb) {
        List<LeaseBuffers.Buffer> taken = new ArrayList<>();
        for (long used = 0; used < LeaseBuffers.SLAB_BYTES; used += 1 << 20) {
            taken.add(lb.take(1 << 20));
        }
        return taken;
    }

    @Test
    void theSlabIsOfferedOnceAndBuffersAreCarvedFromItThenReused() {
        List<MemorySegment> offered = new ArrayList<>();
        try (LeaseBuffers lb = new LeaseBuffers(offered::add)) {
            LeaseBuffers.Buffer a = lb.take(5000); // two blocks
            LeaseBuffers.Buffer b = lb.take(4096);
            assertEquals(1, offered.size(), "the slab is offered once");
            assertEquals(LeaseBuffers.SLAB_BYTES, offered.getFirst().byteSize());
            assertTrue(inside(offered.getFirst(), a.segment()) && inside(offered.getFirst(), b.segment()));
            assertEquals(8192, a.segment().byteSize());
            assertTrue(a.segment().address() % 4096 == 0 && b.segment().address() % 4096 == 0);
            lb.give(a);
            assertEquals(a.segment().address(), lb.take(8000).segment().address(), "reused");
            assertEquals(1, offered.size());
        }
    }

    @Test
    void aBufferThatCannotBeAllocatedIsNotCountedAsLent() {
        try (LeaseBuffers lb = new LeaseBuffers(null)) {
            LeaseBuffers.Buffer a = lb.take(4096);
            // 4 PiB: past any address space, so the allocation fails
            assertThrows(OutOfMemoryError.class, () -> lb.take(1L << 52));
            assertEquals(1, lb.lent());
            lb.give(a);
            assertEquals(0, lb.lent());
        }
    }

    @Test
    void pastTheSlabBuffersHaveTheirOwnMemory() {
        List<MemorySegment> offered = new ArrayList<>();
        try (LeaseBuffers lb = new LeaseBuffers(offered::add)) {
            List<LeaseBuffers.Buffer> taken = fillSlab(lb);
            LeaseBuffers.Buffer past = lb.take(1 << 20);
            assertFalse(past.fromSlab());
            assertFalse(inside(offered.getFirst(), past.segment()));
            assertEquals(taken.size() + 1, lb.lent());
            taken.forEach(lb::give);
            lb.give(past);
            assertEquals(0, lb.lent());
        }
    }

    @Test
    void theSlabIsCarvedAgainForOtherSizesOnceNoneOfItIsLent() {
        List<MemorySegment> offered = new ArrayList<>();
        try (LeaseBuffers lb = new LeaseBuffers(offered::add)) {
            List<LeaseBuffers.Buffer> taken = fillSlab(lb);
            LeaseBuffers.Buffer held = taken.removeLast();
            taken.forEach(lb::give);
            // One slab buffer still lent: the slab is not carved again, a new size goes past it.
            LeaseBuffers.Buffer other = lb.take(320 << 10);
            assertFalse(other.fromSlab());
            assertEquals(0, lb.recarved());
            lb.give(other);
            lb.give(held);
            // None lent: the idle buffer of that size goes first, then the size is carved from the slab's
            // start, and 1 MiB buffers are carved anew.
            assertEquals(other.segment().address(), lb.take(320 << 10).segment().address(), "the idle one first");
            List<LeaseBuffers.Buffer> again = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                again.add(lb.take(320 << 10));
            }
            assertEquals(1, lb.recarved());
            for (LeaseBuffers.Buffer b : again) {
                assertTrue(b.fromSlab() && inside(offered.getFirst(), b.segment()));
                assertEquals(320 << 10, b.segment().byteSize());
            }
            assertEquals(offered.getFirst().address(), again.getFirst().segment().address(), "from the start");
            LeaseBuffers.Buffer mib = lb.take(1 << 20);
            assertTrue(mib.fromSlab(), "the old 1 MiB buffers were forgotten, not handed out over the new ones");
            assertEquals(again.getLast().segment().address() + (320 << 10), mib.segment().address(),
                    "carved right after the new buffers (an old idle one would sit elsewhere)");
            // No two lent buffers overlap.
            again.add(mib);
            for (LeaseBuffers.Buffer x : again) {
                for (LeaseBuffers.Buffer y : again) {
                    if (x != y) {
                        assertTrue(x.segment().address() + x.segment().byteSize() <= y.segment().address()
                                || y.segment().address() + y.segment().byteSize() <= x.segment().address());
                    }
                }
            }
            again.forEach(lb::give);
            lb.give(other);
            assertEquals(0, lb.lent());
            assertEquals(1, offered.size(), "the same slab: offered once");
        }
    }

    @Test
    void aLeaseStillOpenAtCloseKeepsTheSlabUntilItIsGivenBack() {
        List<MemorySegment> offered = new ArrayList<>();
        LeaseBuffers lb = new LeaseBuffers(offered::add);
        LeaseBuffers.Buffer held = lb.take(4096);
        lb.give(lb.take(4096 * 4));
        lb.close();
        held.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 7); // still valid memory
        assertTrue(offered.getFirst().scope().isAlive());
        lb.give(held);
        assertFalse(offered.getFirst().scope().isAlive(), "freed with the last slab buffer");
        assertNotNull(held);
    }

    @Test
    void aBufferGivenBackTwiceIsRefusedAndNeverLentToTwoTakers() {
        try (LeaseBuffers lb = new LeaseBuffers()) {
            for (long bytes : new long[] {8192, LeaseBuffers.SLAB_BYTES + 4096}) { // from the slab; its own arena
                LeaseBuffers.Buffer b = lb.take(bytes);
                lb.give(b);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> lb.give(b));
                assertTrue(e.getMessage().contains("given back twice"), e.getMessage());
                assertEquals(0, lb.lent(), "the refused give changed no count");
                LeaseBuffers.Buffer first = lb.take(bytes);
                LeaseBuffers.Buffer second = lb.take(bytes);
                assertNotSame(first.segment(), second.segment());
                assertFalse(first.segment().address() == second.segment().address(), "two takers, two buffers");
                lb.give(first);
                lb.give(second);
            }
        }
    }

    /** A lease buffer is whole blocks, at least the read, and at most a quarter (or one block) above it. */
    @Property
    void aBufferIsAtMostAQuarterAboveTheReadItHolds(@ForAll @LongRange(min = 1, max = 64L << 20) long bytes) {
        long size = LeaseBuffers.sizeFor(bytes);
        long need = Blocks.roundUp(bytes, 4096);
        assertEquals(0, size % 4096, "whole blocks");
        assertTrue(size >= need, size + " holds " + bytes);
        assertTrue(size <= need + need / 4, size + " wastes more than a quarter of " + need);
    }

    @Test
    void sizesAreFourPerPowerOfTwo() {
        java.util.TreeSet<Long> sizes = new java.util.TreeSet<>();
        for (long b = (64L << 10) + 1; b <= 128L << 10; b += 512) {
            sizes.add(LeaseBuffers.sizeFor(b));
        }
        assertEquals(java.util.List.of(80L << 10, 96L << 10, 112L << 10, 128L << 10), List.copyOf(sizes));
        assertEquals(320L << 10, LeaseBuffers.sizeFor((256L << 10) + 100), "a 256 KiB value's read: 320 KiB, not 512");
    }
}
