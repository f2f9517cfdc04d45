package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ring state with no file and no I/O: planning positions, eviction and reinsertion, the budget of
 * positions in flight, commits in order, failures, and the checkpoint snapshot.
 */
class RingStateTest {
    final FailureLatch failure = new FailureLatch(Path.of("ring.store"));

    static Superblock ring(long slots) {
        return new Superblock(UUID.randomUUID(), 4096, 8192, slots, 8192, 8192 + (1 << 20), 1 << 20,
                8192 + (2 << 20), SlotStore.MAX_KEY_LENGTH, 0);
    }

    RingState state(long slots, StoreOptions.Eviction eviction) {
        Superblock sb = ring(slots);
        return new RingState(sb, new KeyIndex(slots), new Recovery.Result(0, 0, 0, 0, 0, false),
                EvictionPolicy.of(eviction), failure);
    }

    static WriteWindow window(int n, String prefix, int batch) {
        List<byte[]> keys = new ArrayList<>();
        List<MemorySegment> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            keys.add(key(prefix + i));
            values.add(MemorySegment.ofArray(new byte[100]));
        }
        return new WriteWindow(keys, values, new SlotStore.Result[n], SlotDescriptor.FLAG_LIVE, 0, n, batch);
    }

    /** What the pipeline does after the batch: every chunk completed and is committed in order. */
    static void commitAll(RingState s, WriteWindow w) {
        w.dataCrcs = new int[w.planned.size()];
        for (int c = 0; c < w.nChunks; c++) {
            if (w.hasWork[c]) {
                s.commit(w, c);
            }
        }
    }

    @Test
    void keysGetConsecutivePositionsAndAreVisibleOnlyOnceCommitted() {
        RingState s = state(64, StoreOptions.Eviction.FIFO);
        WriteWindow w = window(10, "k", 4);
        s.plan(w);
        assertEquals(3, w.nChunks);
        for (int i = 0; i < 10; i++) {
            assertEquals(i, w.planned.get(i).position());
        }
        assertFalse(s.contains(key("k0")), "not before its chunk committed");
        commitAll(s, w);
        for (int i = 0; i < 10; i++) {
            assertEquals(SlotStore.Result.OK, w.results[i]);
            assertTrue(s.mapsTo(key("k" + i), i));
        }
        assertEquals(10, s.positionsSinceCheckpoint());
        assertEquals(10, s.writesSinceCheckpoint());
    }

    @Test
    void theRingComesRoundAndEvictsTheOldestKeys() {
        RingState s = state(8, StoreOptions.Eviction.FIFO);
        for (int round = 0; round < 3; round++) {
            WriteWindow w = window(2, "r" + round + "-", 1);
            s.plan(w);
            commitAll(s, w);
        }
        WriteWindow w = window(4, "late", 4);
        s.plan(w); // positions 6..9: slots 6, 7, 0, 1
        commitAll(s, w);
        assertFalse(s.contains(key("r0-0")), "evicted from slot 0");
        assertFalse(s.contains(key("r0-1")), "evicted from slot 1");
        assertTrue(s.contains(key("r1-0")));
        assertEquals(2, s.stats(0).evictions());
    }

    @Test
    void rejectLeavesAFullRingAsItIs() {
        RingState s = state(4, StoreOptions.Eviction.REJECT);
        for (int i = 0; i < 2; i++) {
            WriteWindow w = window(1, "a" + i, 1);
            s.plan(w);
            commitAll(s, w);
        }
        WriteWindow w = window(2, "b", 1);
        s.plan(w);
        commitAll(s, w);
        WriteWindow full = window(1, "c", 1);
        s.plan(full);
        assertEquals(SlotStore.Status.FULL, full.results[0].status());
        assertFalse(full.hasWork());
        assertTrue(s.contains(key("a00")), "nothing was evicted");
        assertEquals(0, s.stats(0).evictions());
    }

    @Test
    void aHotResidentIsReinsertedWithinTheBudgetAndEvictedPastIt() {
        RingState s = state(8, StoreOptions.Eviction.FIFO_REINSERT);
        WriteWindow fill = window(8, "h", 8);
        s.plan(fill);
        commitAll(s, fill);
        long[] pos = new long[8];
        s.lookup(List.of(key("h0"), key("h1"), key("h2")), 0, 3, 0, pos, new int[8], new int[8]); // hot
        // A ring of 8 has a budget of 4 positions in flight: with nothing in flight the window may use
        // positions 8..11, and its one key needs the last, so at most 3 reinsertions (h0..h2, hot).
        WriteWindow w = window(1, "new", 1);
        s.plan(w);
        assertEquals(3, w.reinserts.size(), "h0..h2 reinserted");
        assertEquals(11, w.planned.get(0).position(), "the new key lands after them");
        commitAll(s, w);
        assertTrue(s.mapsTo(key("h0"), 8));
        assertTrue(s.mapsTo(key("h2"), 10));
        assertFalse(s.contains(key("h3")), "the cold resident of slot 3 was evicted");
        assertEquals(3, s.stats(0).reinsertions());

        // Now every resident of slots 4..7 is hot: a window of 1 key may reinsert up to 3, never 4.
        s.lookup(List.of(key("h4"), key("h5"), key("h6"), key("h7")), 0, 4, 0, pos, new int[8], new int[8]);
        WriteWindow w2 = window(1, "new2", 1);
        s.plan(w2);
        long span = w2.planned.get(0).position() + 1 - 12;
        assertTrue(span <= new RingBounds(8).aheadBudget(), "positions in flight within the budget: " + span);
        commitAll(s, w2);
    }

    @Test
    @Timeout(30)
    void aWindowWaitsUntilItFitsTheBudgetOfPositionsInFlight() throws Exception {
        RingState s = state(10_000, StoreOptions.Eviction.FIFO);
        WriteWindow first = window((int) RingBounds.MAX_AHEAD - 10, "a", 64);
        s.plan(first); // in flight, not committed
        WriteWindow second = window(20, "b", 20);
        CountDownLatch planned = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> {
            s.plan(second);
            planned.countDown();
        });
        assertFalse(planned.await(300, TimeUnit.MILLISECONDS), "planned while it would stretch the span past the budget");
        commitAll(s, first);
        assertTrue(planned.await(10, TimeUnit.SECONDS));
        t.join();
        assertEquals(RingBounds.MAX_AHEAD - 10, second.planned.get(0).position());
        commitAll(s, second);
    }

    @Test
    @Timeout(30)
    void aFailedStorePlansNothingAndWakesWaitingWriters() throws Exception {
        RingState s = state(10_000, StoreOptions.Eviction.FIFO);
        WriteWindow first = window((int) RingBounds.MAX_AHEAD, "a", 64);
        s.plan(first);
        WriteWindow waiting = window(1, "w", 1);
        Thread t = Thread.ofPlatform().start(() -> s.plan(waiting));
        Thread.sleep(100);
        failure.fail("write", "EIO", new IOException("EIO"));
        s.failed();
        t.join(10_000);
        assertFalse(t.isAlive(), "the waiting writer stopped");
        assertEquals(SlotStore.Status.FAILED, waiting.results[0].status());
        assertTrue(waiting.results[0].error().contains("refuses writes"), waiting.results[0].error());
        assertFalse(waiting.hasWork(), "nothing planned, nothing evicted");
    }

    @Test
    void aFailedChunkFailsItsKeysAndEveryLaterChunkAndTheStore() {
        RingState s = state(64, StoreOptions.Eviction.FIFO);
        WriteWindow w = window(8, "k", 4);
        s.plan(w);
        w.dataCrcs = new int[w.planned.size()];
        w.chunkError[0] = "EIO: Input/output error";
        s.commit(w, 0);
        s.commit(w, 1);
        for (int i = 0; i < 8; i++) {
            assertEquals(SlotStore.Status.FAILED, w.results[i].status(), "key " + i);
            assertFalse(s.contains(key("k" + i)));
        }
        assertTrue(failure.isSet());
        assertTrue(failure.get().getMessage().contains("EIO"), failure.get().getMessage());
        WriteWindow after = window(1, "later", 1);
        s.plan(after);
        assertEquals(SlotStore.Status.FAILED, after.results[0].status());
    }

    @Test
    void aSnapshotStartsAtTheOldestWriteInFlightAndHoldsTheCommittedKeys() {
        RingState s = state(64, StoreOptions.Eviction.FIFO);
        WriteWindow done = window(5, "d", 5);
        s.plan(done);
        commitAll(s, done);
        WriteWindow inFlight = window(3, "f", 3);
        s.plan(inFlight);
        IndexSnapshot snap = s.snapshot(1 << 20);
        assertEquals(5, snap.scanStart(), "a write acknowledged after the snapshot is found by the scan");
        assertEquals(5, snap.count());
        assertEquals(5, snap.writes());
        try (Arena arena = Arena.ofConfined()) {
            List<byte[]> keys = new ArrayList<>();
            CheckpointDescriptor.decodeEntries(snap.encode(arena), snap.count(), (k, p, l, c) -> keys.add(k));
            assertEquals(5, keys.size());
        }
        assertNull(s.snapshot(10), "an index larger than the region: no snapshot");
        assertEquals(1, s.nextGeneration(), "no snapshot takes a generation; the write does");
        commitAll(s, inFlight);
        s.checkpointWritten(snap, 8192);
        assertEquals(3, s.writesSinceCheckpoint(), "the writes after the snapshot still count toward the next");
    }

    @Test
    void aCorruptReadDropsTheKeyOnlyWhereItStillLives() {
        RingState s = state(64, StoreOptions.Eviction.FIFO);
        WriteWindow w = window(2, "k", 2);
        s.plan(w);
        commitAll(s, w);
        assertFalse(s.dropCorrupt(key("k0"), 7), "the key is elsewhere: a miss");
        assertTrue(s.contains(key("k0")));
        assertTrue(s.dropCorrupt(key("k0"), 0));
        assertFalse(s.contains(key("k0")));
        assertEquals(1, s.stats(0).corruptions());
        assertArrayEquals(key("k1"), s.keys().getFirst().key());
    }

    /**
     * A delete in place while a put of its key is in flight waits until the put is over, then deletes
     * the key where the put left it: the put, planned first, does not come back (its slot, at a later
     * position than the key's older one, would win in a recovery that goes by positions).
     */
    @Test
    @org.junit.jupiter.api.Timeout(30)
    void aDeleteInPlaceWaitsForAPutOfItsKeyInFlightAndDeletesAfterIt() throws Exception {
        RingState s = state(64, StoreOptions.Eviction.FIFO);
        WriteWindow first = window(1, "k", 1);
        s.plan(first);
        commitAll(s, first);
        WriteWindow second = window(1, "k", 1); // the same key, a newer value, in flight
        s.plan(second);
        long secondAt = second.planned.getFirst().position();
        java.util.concurrent.CompletableFuture<WindowPlanner.InPlace> taken =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> s.takeForDeleteInPlace(key("k0")),
                        r -> Thread.ofPlatform().start(r));
        Thread.sleep(200);
        assertFalse(taken.isDone(), "the delete waits while the put of its key is in flight");
        assertTrue(s.contains(key("k0")));
        commitAll(s, second);
        WindowPlanner.InPlace d = taken.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(d != null);
        assertEquals(secondAt, d.position(), "deleted where the put left it");
        s.releaseInPlace(d);
        assertFalse(s.contains(key("k0")), "the delete was the later change");
        assertEquals(SlotStore.Result.OK, second.results[0], "the put is acknowledged");
    }
}
