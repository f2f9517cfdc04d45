package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.uring.CqeStash;
import io.rawio.uring.IoUring;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ring without eviction (REJECT) where every slot but one holds a live key: puts of those keys made one
 * after another each free the slot the next one needs, so they all succeed. The same puts as one
 * putMany, or several in flight at once, must succeed too: a slot whose resident's newer write is in
 * flight is free once that write commits, and the planner waits for it instead of answering "store
 * full". A put whose next slot holds a key nothing is rewriting stays refused.
 */
@Timeout(120)
class NoEvictionRewritesTest {
    private static final long SIZE = 8L << 20;
    private static final int SLOT = 16384;

    @TempDir
    Path dir;

    private StoreOptions options() {
        return StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.REJECT).withBatchSize(4);
    }

    private static MemorySegment value(String key, int round) {
        return MemorySegment.ofArray(StoreTesting.valueFor(key + "/" + round, 3000));
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** A store whose one class has every slot but the last holding key k0, k1, ... in slot order; the keys. */
    private List<byte[]> fullButOne(Path p, StoreOptions o) throws IOException {
        SlotStore.format(p, SIZE, SLOT, false, o);
        List<byte[]> keys = new ArrayList<>();
        try (SlotStore s = SlotStore.open(p, o)) {
            long slots = s.superblock().slotCount();
            for (int i = 0; i < slots - 1; i++) {
                byte[] k = key("k" + i);
                s.put(k, value("k" + i, 0));
                keys.add(k);
            }
        }
        return keys;
    }

    private static List<MemorySegment> values(List<byte[]> keys, int round) {
        List<MemorySegment> v = new ArrayList<>();
        for (byte[] k : keys) {
            v.add(value(new String(k), round));
        }
        return v;
    }

    @Test
    void aPutManyRewritesEveryKeyOfAFullRingLikePutsOneAfterAnother() throws IOException {
        StoreOptions o = options();
        Path p = dir.resolve("s");
        List<byte[]> keys = fullButOne(p, o);
        try (SlotStore s = SlotStore.open(p, o)) {
            for (int round = 1; round <= 3; round++) {
                List<SlotStore.Result> r = s.putMany(keys, values(keys, round));
                for (int i = 0; i < r.size(); i++) {
                    assertTrue(r.get(i).ok(), "round " + round + ", key " + i + ": " + r.get(i));
                }
            }
            assertEquals(keys.size(), s.stats().keys());
            s.put(key("new"), new byte[1]); // the one slot still free
            assertThrows(StoreException.Full.class, () -> s.put(key("newer"), new byte[1]),
                    "now full: no slot is free for a key more");
        }
        try (SlotStore s = SlotStore.open(p, o)) {
            for (byte[] k : keys) {
                assertArrayEquals(bytes(value(new String(k), 3)), s.get(k), new String(k));
            }
        }
    }

    @Test
    void aPutManyOfOneKeyTwiceTakesTheSlotItsFirstPutFrees() throws IOException {
        StoreOptions o = options();
        Path p = dir.resolve("s");
        List<byte[]> keys = fullButOne(p, o);
        try (SlotStore s = SlotStore.open(p, o)) {
            byte[] k0 = keys.getFirst(); // its slot comes right after the free one
            List<SlotStore.Result> r = s.putMany(List.of(k0, k0), List.of(value("k0", 1), value("k0", 2)));
            assertTrue(r.get(0).ok() && r.get(1).ok(), r.toString());
            assertArrayEquals(bytes(value("k0", 2)), s.get(k0));
            // Next comes k1's slot, and nothing rewrites k1: refused, as one put after another would be.
            List<SlotStore.Result> third = s.putMany(List.of(k0), List.of(value("k0", 3)));
            assertEquals(SlotStore.Status.FULL, third.getFirst().status());
            assertArrayEquals(bytes(value("k0", 2)), s.get(k0), "a refused put changes nothing");
        }
    }

    @Test
    void aPutOfTheKeyWhoseOwnSlotIsNextIsStillRefusedWhenNoSlotIsFree() throws IOException {
        StoreOptions o = options();
        Path p = dir.resolve("s");
        List<byte[]> keys = fullButOne(p, o);
        try (SlotStore s = SlotStore.open(p, o)) {
            s.put(key("last"), value("last", 0)); // the free slot: now the cursor is on k0's slot
            byte[] k0 = keys.getFirst();
            assertThrows(StoreException.Full.class, () -> s.put(k0, value("k0", 1)),
                    "overwriting a key's only copy before its new one is written would lose it in a crash");
            assertArrayEquals(bytes(value("k0", 0)), s.get(k0));
        }
    }

    @Test
    void aPutWaitsForAnotherThreadsRewriteOfTheNextSlotsKey() throws Exception {
        Path p = dir.resolve("s");
        List<byte[]> keys = fullButOne(p, options());
        Thread[] parked = new Thread[1];
        ParkingEngine engine = new ParkingEngine(b -> Thread.currentThread() == parked[0] && CrashDefectsTest.hasWrite(b));
        try (SlotStore s = SlotStore.open(p, options(), engine)) {
            byte[] k0 = keys.getFirst();
            CompletableFuture<Void> rewrite = new CompletableFuture<>();
            Thread a = new Thread(() -> {
                try {
                    s.put(k0, value("k0", 1)); // into the free slot; k0's old slot is next
                    rewrite.complete(null);
                } catch (Throwable t) {
                    rewrite.completeExceptionally(t);
                }
            });
            parked[0] = a;
            a.start();
            assertTrue(engine.parked.await(30, TimeUnit.SECONDS), "the rewrite's write was parked");
            AtomicReference<List<SlotStore.Result>> other = new AtomicReference<>();
            CompletableFuture<Void> put = CompletableFuture.runAsync(() -> {
                try {
                    other.set(s.putMany(List.of(key("x")), List.of(value("x", 1))));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                Thread.sleep(200);
                assertFalse(put.isDone(), "the put waits for the rewrite in flight, not refused: " + other.get());
            } finally {
                engine.release.countDown(); // else closing the store would wait for the parked writer
            }
            rewrite.get(30, TimeUnit.SECONDS);
            put.get(30, TimeUnit.SECONDS);
            assertTrue(other.get().getFirst().ok(), other.get().toString());
            assertArrayEquals(bytes(value("k0", 1)), s.get(k0));
            assertArrayEquals(bytes(value("x", 1)), s.get(key("x")));
        }
    }

    @Test
    void startedPutManysInFlightTogetherRewriteAFullRing() throws IOException {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
        StoreOptions o = StoreOptions.defaults().withEngine("uring").withBatchSize(4)
                .withEviction(StoreOptions.Eviction.REJECT);
        Path p = dir.resolve("s");
        List<byte[]> keys = fullButOne(p, o);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(64));
             SlotStore s = SlotStore.open(p, o)) {
            assertTrue(s.onRing().share(ring, new CqeStash()));
            // Calls of ten keys each, in ring order: each call's first slot is the old slot of the call
            // before it's keys, whose writes are still in flight when it plans.
            List<AtomicReference<List<SlotStore.Result>>> outcomes = new ArrayList<>();
            for (int from = 0; from < keys.size(); from += 10) {
                List<byte[]> part = keys.subList(from, Math.min(keys.size(), from + 10));
                AtomicReference<List<SlotStore.Result>> out = new AtomicReference<>();
                outcomes.add(out);
                s.onRing().startPutMany(part, values(part, 1), (r, f) -> {
                    assertNull(f);
                    out.set(r);
                });
            }
            s.onRing().awaitStarted();
            for (AtomicReference<List<SlotStore.Result>> out : outcomes) {
                assertTrue(out.get() != null && out.get().stream().allMatch(SlotStore.Result::ok), String.valueOf(out.get()));
            }
            for (byte[] k : keys) {
                assertArrayEquals(bytes(value(new String(k), 1)), s.get(k), new String(k));
            }
            s.onRing().unshare();
        }
    }
}
