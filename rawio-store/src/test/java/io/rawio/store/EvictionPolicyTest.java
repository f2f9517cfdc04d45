package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.EvictionPolicy.Decision;
import org.junit.jupiter.api.Test;

/** The eviction decision alone: no file, no lock, no index. */
class EvictionPolicyTest {
    @Test
    void fifoEvictsEveryResidentHotOrNot() {
        for (boolean hot : new boolean[] {false, true}) {
            assertEquals(Decision.EVICT, EvictionPolicy.FIFO.decide(hot, false, false, true));
        }
        assertFalse(EvictionPolicy.FIFO.tracksHotKeys());
    }

    @Test
    void rejectRefusesWhateverTheResident() {
        assertEquals(Decision.REJECT, EvictionPolicy.REJECT.decide(false, false, false, true));
        assertEquals(Decision.REJECT, EvictionPolicy.REJECT.decide(true, false, false, true));
        assertFalse(EvictionPolicy.REJECT.tracksHotKeys());
    }

    @Test
    void reinsertOnlyAHotKeyWithNoNewerWriteWithinTheBudget() {
        EvictionPolicy p = EvictionPolicy.FIFO_REINSERT;
        assertTrue(p.tracksHotKeys());
        assertEquals(Decision.REINSERT, p.decide(true, false, false, true));
        assertEquals(Decision.EVICT, p.decide(false, false, false, true), "cold");
        assertEquals(Decision.EVICT, p.decide(true, true, false, true), "a newer write of it is pending");
        assertEquals(Decision.EVICT, p.decide(true, false, true, true), "this window reinserts it already");
        assertEquals(Decision.EVICT, p.decide(true, false, false, false), "past the ring's budget in flight");
    }

    @Test
    void eachOptionMapsToItsPolicy() {
        assertEquals(EvictionPolicy.FIFO, EvictionPolicy.of(StoreOptions.Eviction.FIFO));
        assertEquals(EvictionPolicy.FIFO_REINSERT, EvictionPolicy.of(StoreOptions.Eviction.FIFO_REINSERT));
        assertEquals(EvictionPolicy.REJECT, EvictionPolicy.of(StoreOptions.Eviction.REJECT));
    }
}
