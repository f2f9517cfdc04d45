package io.rawio.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BufferPoolTest {
    @Test
    void buffersAreDistinctAlignedAndInsideTheRegion() {
        try (BufferPool pool = BufferPool.create(8192, 16, 4096)) {
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 16; i++) {
                MemorySegment b = pool.acquire();
                assertEquals(8192, b.byteSize());
                assertEquals(0, b.address() % 4096);
                assertTrue(seen.add(b.address()), "distinct buffers");
                int index = pool.indexOf(b);
                assertEquals(b.address(), pool.buffer(index).address());
            }
            assertEquals(0, pool.available());
            assertNull(pool.tryAcquire());
            IllegalStateException e = assertThrows(IllegalStateException.class, pool::acquire);
            assertTrue(e.getMessage().contains("exhausted"));
            assertEquals(16L * 8192, pool.region().byteSize());
        }
    }

    @Test
    void releaseReturnsBuffersAndRejectsForeignOrDoubleRelease() {
        try (BufferPool pool = BufferPool.create(4096, 2, 4096); Arena arena = Arena.ofConfined()) {
            MemorySegment a = pool.acquire();
            pool.release(a);
            assertEquals(2, pool.available());
            assertThrows(IllegalStateException.class, () -> pool.release(a), "double release");
            MemorySegment foreign = arena.allocate(4096, 4096);
            assertThrows(IllegalArgumentException.class, () -> pool.release(foreign));
            MemorySegment b = pool.acquire();
            assertThrows(IllegalArgumentException.class, () -> pool.release(b.asSlice(100)));
        }
    }

    @Test
    void closeFreesTheRegionAndIsIdempotent() {
        BufferPool pool = BufferPool.create(4096, 4, 4096);
        MemorySegment b = pool.acquire();
        b.set(ValueLayout.JAVA_LONG, 0, 42L);
        pool.close();
        pool.close();
        assertThrows(IllegalStateException.class, () -> b.get(ValueLayout.JAVA_LONG, 0));
        assertThrows(IllegalStateException.class, pool::acquire);
    }

    @Test
    void badGeometryIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> BufferPool.create(1000, 4, 4096));
        assertThrows(IllegalArgumentException.class, () -> BufferPool.create(4096, 0, 4096));
        assertThrows(IllegalArgumentException.class, () -> BufferPool.create(4096, 4, 3000));
    }

    @Test
    void hugePagePoolIsAlignedToTwoMegabytes() {
        try (BufferPool pool = BufferPool.create(1 << 20, 4, 4096, true)) {
            assertEquals(0, pool.region().address() % AlignedMemory.HUGE_PAGE_SIZE);
            MemorySegment b = pool.acquire();
            b.fill((byte) 1);
            assertNotEquals(0, b.get(ValueLayout.JAVA_BYTE, 4095));
        }
    }
}
