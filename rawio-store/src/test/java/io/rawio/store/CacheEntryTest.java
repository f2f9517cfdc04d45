package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** An entry's lease count and its memory: freed once, by kill or by the last lease of a dead entry. */
class CacheEntryTest {
    private final CacheMemory memory = new CacheMemory();

    private CacheEntry entry(long size) {
        return new CacheEntry(new byte[] {1}, 1, memory.allocate(size).asReadOnly(), memory);
    }

    @Test
    void aKilledEntryWithNoLeaseIsFreedAtOnceAndTakesNoLease() {
        CacheEntry e = entry(100);
        assertEquals(1, memory.liveAllocations());
        e.kill();
        assertEquals(0, memory.liveAllocations());
        assertFalse(e.retain());
    }

    @Test
    void aKilledEntryIsFreedWhenItsLastLeaseIsGivenBack() {
        CacheEntry e = entry(100);
        assertTrue(e.retain());
        assertTrue(e.retain());
        e.kill();
        assertFalse(e.retain());
        assertEquals(1, memory.liveAllocations());
        e.release();
        assertEquals(1, memory.liveAllocations());
        e.release();
        assertEquals(0, memory.liveAllocations());
    }

    @Test
    void aLiveEntryIsNotFreedByItsLeases() {
        CacheEntry e = entry(100);
        assertTrue(e.retain());
        e.release();
        assertEquals(1, memory.liveAllocations());
        e.kill();
        assertEquals(0, memory.liveAllocations());
    }

    @Test
    void theChargeIsTheValuesBytesAtLeastTheMinimum() {
        CacheEntry small = entry(1);
        CacheEntry large = entry(1000);
        assertEquals(ValueCache.MIN_CHARGE_BYTES, small.charge());
        assertEquals(1000, large.charge());
        small.kill();
        large.kill();
    }

    @Test
    void memoryOfZeroBytesIsNotAllocatedAndAMallocedBlockIsUsable() {
        assertEquals(MemorySegment.NULL, memory.allocate(0));
        assertEquals(0, memory.liveAllocations());
        MemorySegment block = memory.allocate(4096);
        assertEquals(4096, block.byteSize());
        block.set(ValueLayout.JAVA_LONG_UNALIGNED, 4088, 42);
        assertEquals(42, block.get(ValueLayout.JAVA_LONG_UNALIGNED, 4088));
        memory.free(block);
        assertEquals(0, memory.liveAllocations());
        memory.free(MemorySegment.NULL); // nothing
        assertEquals(0, memory.liveAllocations());
    }
}
