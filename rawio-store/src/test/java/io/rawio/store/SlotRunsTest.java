package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rawio.store.WriteWindow.Planned;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

/** Runs of adjacent slot writes: where a run ends. */
class SlotRunsTest {
    /** A ring of {@code slots} slots of {@code slotSize} bytes from offset 4096. */
    private static LongUnaryOperator ring(long slots, long slotSize) {
        return p -> 4096 + Long.remainderUnsigned(p, slots) * slotSize;
    }

    private static List<Planned> positions(long... ps) {
        List<Planned> l = new ArrayList<>();
        for (int i = 0; i < ps.length; i++) {
            l.add(new Planned(i, ps[i], 0, i + 1));
        }
        return l;
    }

    private static int length(List<Planned> planned, int from, LongUnaryOperator offsets, long slotSize,
            ToLongFunction<Planned> bytes) {
        return SlotRuns.length(planned, from, planned.size(), offsets, p -> slotSize, bytes);
    }

    @Test
    void wholeSlotsNextToEachOtherAreOneRun() {
        List<Planned> p = positions(10, 11, 12, 13);
        assertEquals(4, length(p, 0, ring(100, 8192), 8192, pl -> 8192));
        assertEquals(2, length(p, 2, ring(100, 8192), 8192, pl -> 8192));
    }

    @Test
    void aRunEndsAtTheEndOfTheGivenRange() {
        List<Planned> p = positions(10, 11, 12, 13);
        assertEquals(2, SlotRuns.length(p, 0, 2, ring(100, 8192), x -> 8192, pl -> 8192));
    }

    @Test
    void aSlotWrittenOnlyInPartEndsItsRun() {
        List<Planned> p = positions(10, 11, 12, 13);
        // Slot 11 is written up to its first block only: a gap lies between it and slot 12.
        assertEquals(2, length(p, 0, ring(100, 8192), 8192, pl -> pl.position() == 11 ? 4096 : 8192));
        assertEquals(2, length(p, 2, ring(100, 8192), 8192, pl -> pl.position() == 11 ? 4096 : 8192));
    }

    @Test
    void theRingsWrapAndAGapInPositionsEndARun() {
        // Slots 98, 99, then 100 = slot 0 at the ring's start: not next to slot 99 on the device.
        List<Planned> wrap = positions(98, 99, 100, 101);
        assertEquals(2, length(wrap, 0, ring(100, 8192), 8192, pl -> 8192));
        assertEquals(2, length(wrap, 2, ring(100, 8192), 8192, pl -> 8192));
        List<Planned> gap = positions(10, 11, 13);
        assertEquals(2, length(gap, 0, ring(100, 8192), 8192, pl -> 8192));
        List<Planned> backwards = positions(11, 10);
        assertEquals(1, length(backwards, 0, ring(100, 8192), 8192, pl -> 8192));
    }

    @Test
    void aRunIsBoundedInSlotsAndBytes() {
        long[] ps = new long[100];
        for (int i = 0; i < ps.length; i++) {
            ps[i] = i;
        }
        List<Planned> p = positions(ps);
        assertEquals(SlotRuns.MAX_RUN_SLOTS, length(p, 0, ring(1000, 4096), 4096, pl -> 4096));
        int bySize = (int) (SlotRuns.MAX_RUN_BYTES / 16384);
        assertEquals(bySize, length(p, 0, ring(1000, 16384), 16384, pl -> 16384));
        // A slot larger than the byte bound is a run of its own.
        long big = 2 * SlotRuns.MAX_RUN_BYTES;
        assertEquals(1, length(p, 0, ring(1000, big), big, pl -> big));
    }
}
