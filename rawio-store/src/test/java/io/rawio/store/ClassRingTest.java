package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SuperblockDescriptor.SlotClass;
import io.rawio.store.SuperblockDescriptor.Superblock;
import org.junit.jupiter.api.Test;

class ClassRingTest {
    /** Class 1 of a store: 64 slots, store-wide slots 100 to 163; its budget is min(4096, 64/2) = 32. */
    private static ClassRing ring(long cursorInClass) {
        SlotClass c = new SlotClass(1, 16384, 64, 1 << 20, 100);
        long cursor = Superblock.position(1, cursorInClass);
        return new ClassRing(c, cursor, cursor);
    }

    @Test
    void aBusySlotAheadOfTheCursorWithinTheBudgetKeepsWindowsOut() {
        ClassRing r = ring(10);
        assertTrue(r.fits(1));
        r.busy.add(100 + 30); // 20 slots ahead
        assertTrue(r.busyAhead());
        assertFalse(r.fits(1));
        r.busy.remove(100 + 30);
        assertTrue(r.fits(1));
    }

    @Test
    void aBusySlotBehindTheCursorOrPastTheBudgetDoesNot() {
        ClassRing r = ring(10);
        r.busy.add(100 + 5);       // behind: written over only a lap later
        r.busy.add(100 + 10 + 40); // past the 32 positions a window may reach
        assertFalse(r.busyAhead());
        assertTrue(r.fits(1));
    }

    @Test
    void theSpanWrapsRoundTheEndOfTheRing() {
        ClassRing r = ring(64 * 3 + 50); // slot 50 of the fourth lap: the span runs to slot 63, then 0..17
        r.busy.add(100 + 3);
        assertTrue(r.busyAhead());
        r.busy.clear();
        r.busy.add(100 + 20);
        assertFalse(r.busyAhead());
    }
}
