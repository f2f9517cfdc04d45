package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The ring's budget of positions in flight, without a store: what the write path and recovery share. */
class RingBoundsUnitTest {
    @Test
    void theBudgetIsAFormatConstantOrHalfATinyRing() {
        assertEquals(RingBounds.MAX_AHEAD, new RingBounds(1_000_000).aheadBudget());
        assertEquals(4, new RingBounds(8).aheadBudget());
        assertEquals(1, new RingBounds(2).aheadBudget());
        assertThrows(IllegalArgumentException.class, () -> new RingBounds(1));
    }

    @Test
    void aWindowNeverExceedsTheBudgetNorAQuarterOfTheRing() {
        assertEquals(RingBounds.MAX_AHEAD, new RingBounds(1_000_000).windowKeys(100_000));
        assertEquals(64, new RingBounds(1_000_000).windowKeys(64));
        assertEquals(2, new RingBounds(8).windowKeys(64));
        assertEquals(1, new RingBounds(3).windowKeys(64));
    }

    @Test
    void aWindowWaitsWhileItWouldStretchTheSpanPastTheBudget() {
        RingBounds b = new RingBounds(1_000_000);
        assertTrue(b.fits(-1, 123, RingBounds.MAX_AHEAD), "nothing in flight");
        assertTrue(b.fits(1000, 1000 + 4000, 96));
        assertFalse(b.fits(1000, 1000 + 4000, 97));
        assertEquals(1000 + RingBounds.MAX_AHEAD, b.limit(1000, 5000));
        assertEquals(5000 + RingBounds.MAX_AHEAD, b.limit(-1, 5000));
    }

    /**
     * Allocation as the write path does it (reinsert while the keys still to place fit below the limit,
     * else take the position), across windows whose writes stay in flight: every unwritten run that a
     * crash can leave before a later window's positions is shorter than recovery's gap.
     */
    @Property(tries = 300)
    void holesAreShorterThanTheRecoveryGap(@ForAll @LongRange(min = 2, max = 50_000) long slots,
            @ForAll @IntRange(min = 1, max = 300) int keys, @ForAll @IntRange(min = 0, max = 10_000) int hot) {
        RingBounds b = new RingBounds(slots);
        long oldest = 0;
        long cursor = 0;
        // First window: its writes stay in flight (the hole); `hot` residents ask to be reinserted.
        long need = b.windowKeys(keys);
        assertTrue(b.fits(-1, cursor, need));
        long limit = b.limit(-1, cursor);
        int wantReinsert = hot;
        for (long placed = 0; placed < need; ) {
            long p = cursor++;
            if (wantReinsert > 0 && p < limit - (need - placed)) {
                wantReinsert--;
                continue;
            }
            placed++;
        }
        long holeEnd = cursor;
        // A second window is planned only when it fits; its first position follows the hole.
        long second = b.windowKeys(1);
        if (b.fits(oldest, cursor, second)) {
            assertTrue(holeEnd - oldest < b.recoveryGap(), "hole " + (holeEnd - oldest) + " >= gap " + b.recoveryGap());
        }
        assertTrue(cursor - oldest <= b.aheadBudget());
    }
}
