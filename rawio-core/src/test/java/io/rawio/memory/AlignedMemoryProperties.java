package io.rawio.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class AlignedMemoryProperties {
    @Property(tries = 200)
    void blocksAreAlignedSizedAndUsable(@ForAll @LongRange(min = 1, max = 3 << 20) long size,
            @ForAll @IntRange(min = 0, max = 16) int alignShift) {
        long alignment = 1L << alignShift;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = AlignedMemory.allocate(arena, size, alignment);
            assertEquals(0, s.address() % alignment, "address aligned to " + alignment);
            assertEquals(size, s.byteSize());
            s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, size - 1, (byte) 7);
            s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 9);
        }
    }

    @Property(tries = 20)
    void badArgumentsAreRefused(@ForAll @LongRange(min = -100, max = 0) long size) {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> AlignedMemory.allocate(arena, size, 4096));
            assertThrows(IllegalArgumentException.class, () -> AlignedMemory.allocate(arena, 4096, 3000));
        }
    }
}
