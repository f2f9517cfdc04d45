package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.FormatProgress;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The once-a-second sweep goes on while it finds many expired keys, within its time budget. */
class ExpirySweepTest {
    @TempDir
    Path dir;

    @Test
    void aSweepGoesOnWhileManyHaveExpiredAndStopsWhenFewHave() throws Exception {
        AtomicLong now = new AtomicLong(1_700_000_000_000L);
        StoreOptions o = StoreOptions.defaults().withEngine("psync").withClock(() -> Instant.ofEpochMilli(now.get()));
        Path p = dir.resolve("s.store");
        SlotStore.format(p, 64L << 20, SlotClasses.ofEqualSpace(List.of(4096L)), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        try (SlotStore store = SlotStore.open(p, o)) {
            for (int i = 0; i < 8_000; i++) {
                store.put(("e" + i).getBytes(), MemorySegment.ofArray(new byte[16]), now.get() + 10);
            }
            for (int i = 0; i < 100; i++) {
                store.put(("later" + i).getBytes(), MemorySegment.ofArray(new byte[16]), now.get() + 1_000_000);
            }
            now.addAndGet(10);
            // Without a budget, one call: 128 entries looked at (the budget is checked after each), 128 keys at most.
            long one = LoopCore.sweepExpired(store, 512, 128, 0);
            assertTrue(one > 0 && one <= 128, "one call: " + one);
            // With one, it goes on while one in 64 or more of the entries it looks at held an expired key.
            long more = LoopCore.sweepExpired(store, 512, 128, 10_000_000_000L);
            assertTrue(one + more >= 4_000, "dropped " + (one + more) + " of 8,000 expired keys in one sweep");
            // (Entries moved back by the deletions wait for the cursor's next round: a few more sweeps.)
            for (int sweep = 0; sweep < 5 && store.keyCount() > 100; sweep++) {
                LoopCore.sweepExpired(store, 512, 128, 10_000_000_000L);
            }
            assertEquals(100, store.keyCount(), "every expired key dropped");
            assertEquals(100, store.keysWithExpiry());
            for (int i = 0; i < 100; i++) {
                assertTrue(store.contains(("later" + i).getBytes()));
            }
        }
    }
}
