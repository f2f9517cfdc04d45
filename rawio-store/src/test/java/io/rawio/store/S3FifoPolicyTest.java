package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The policy alone, on a capacity of ten minimum charges (S holds one of them): which queue an entry
 * goes to, which one leaves, the ghost keys. No table, no lock, no leases.
 */
class S3FifoPolicyTest {
    private static final long UNIT = ValueCache.MIN_CHARGE_BYTES;
    private static final long CAPACITY = 10 * UNIT;

    private final CacheMemory memory = new CacheMemory();
    private final List<CacheEntry> evicted = new ArrayList<>();
    private final S3FifoPolicy policy = new S3FifoPolicy(CAPACITY, e -> {
        evicted.add(e);
        e.kill();
    });

    @AfterEach
    void freeEverything() {
        policy.drain(CacheEntry::kill);
        assertEquals(0, memory.liveAllocations());
    }

    private CacheEntry entry(int hash) {
        return entry(hash, UNIT);
    }

    private CacheEntry entry(int hash, long size) {
        MemorySegment block = memory.allocate(size);
        return new CacheEntry(new byte[] {(byte) hash}, hash, block.asReadOnly(), memory);
    }

    private List<CacheEntry> fill(int firstHash, int n) {
        List<CacheEntry> added = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CacheEntry e = entry(firstHash + i);
            policy.admit(e);
            added.add(e);
        }
        return added;
    }

    @Test
    void aNewKeyGoesToSmallAndTheOldestUnreadOneLeavesFirst() {
        List<CacheEntry> first = fill(1, 10);
        assertEquals(CAPACITY, policy.chargedBytes());
        assertEquals(10, policy.entries());
        first.forEach(e -> assertEquals(S3FifoPolicy.SMALL, e.queue));
        fill(11, 1);
        assertEquals(List.of(first.getFirst()), evicted);
        assertEquals(0, first.getFirst().queue);
        assertEquals(CAPACITY, policy.chargedBytes());
        assertEquals(10, policy.entries());
    }

    @Test
    void anEntryReadWhileInSmallMovesToMainInsteadOfLeaving() {
        List<CacheEntry> first = fill(1, 10);
        first.getFirst().touch();
        fill(11, 1);
        assertEquals(List.of(first.get(1)), evicted);
        assertEquals(S3FifoPolicy.MAIN, first.getFirst().queue);
        assertEquals(UNIT, policy.mainBytes());
        assertEquals(9 * UNIT, policy.smallBytes());
    }

    @Test
    void aKeyMissedAgainWhileAGhostGoesToMain() {
        List<CacheEntry> first = fill(1, 10);
        fill(11, 1); // evicts hash 1 to the ghosts
        assertSame(first.getFirst(), evicted.getFirst());
        CacheEntry again = entry(1);
        policy.admit(again);
        assertEquals(S3FifoPolicy.MAIN, again.queue);
        CacheEntry third = entry(1); // the ghost was forgotten when it was taken
        policy.remove(again);
        again.kill();
        policy.admit(third);
        assertEquals(S3FifoPolicy.SMALL, third.queue);
    }

    @Test
    void aOneTimeScanStreamsThroughSmallAndNeverTouchesMain() {
        List<CacheEntry> hot = fill(1, 9);
        hot.forEach(CacheEntry::touch);
        fill(100, 1);
        fill(101, 1); // S's head moves the nine read entries to M, then 100 leaves to the ghosts
        hot.forEach(e -> assertEquals(S3FifoPolicy.MAIN, e.queue));
        assertEquals(List.of(100), evicted.stream().map(e -> e.hash).toList());
        fill(200, 20); // S is at its target: each admission evicts S's head, read once
        assertEquals(21, evicted.size());
        hot.forEach(e -> assertEquals(S3FifoPolicy.MAIN, e.queue));
        assertEquals(9 * UNIT, policy.mainBytes());
        assertEquals(UNIT, policy.smallBytes());
    }

    @Test
    void mainEvictsLikeClockGivingAReadEntryAnotherRound() {
        List<CacheEntry> m = fill(1, 9);
        m.forEach(CacheEntry::touch);
        fill(100, 1);
        CacheEntry inSmall = fill(101, 1).getFirst(); // the nine go to M with frequency 1; 100 leaves
        policy.remove(inSmall);
        inSmall.kill();
        evicted.clear();
        m.getFirst().touch(); // frequency 2 for M's oldest
        // S is empty, so room comes from M: every entry goes round with its frequency lowered (m0 to 1,
        // the others to 0), then m0 goes round again (to 0) and m1 leaves.
        CacheEntry big = entry(500, 2 * UNIT);
        policy.admit(big);
        assertEquals(List.of(m.get(1)), evicted);
        assertEquals(0, m.getFirst().freq());
        assertEquals(S3FifoPolicy.MAIN, m.getFirst().queue);
        assertEquals(S3FifoPolicy.SMALL, big.queue);
        assertEquals(CAPACITY, policy.chargedBytes());
        assertEquals(9, policy.entries());
    }

    @Test
    void theFrequencyStopsCountingAtItsMaximum() {
        CacheEntry e = fill(1, 1).getFirst();
        for (int i = 0; i < 10; i++) {
            e.touch();
        }
        assertEquals(CacheEntry.FREQ_MAX, e.freq());
    }
}
