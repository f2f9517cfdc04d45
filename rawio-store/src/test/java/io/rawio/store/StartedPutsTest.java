package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.uring.CqeStash;
import io.rawio.uring.IoUring;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * putManys started on a ring the thread shares ({@link StoreRing#startPutMany}): they return before their
 * writes complete, their results come as the ring's owner reaps and hands the store its completions,
 * several can be in flight (a later one's value of a key wins, and stays after a reopen), and a ring
 * too small for the next window waits for the thread's own started ones instead of for itself.
 */
@Timeout(60)
class StartedPutsTest {
    private static final long SLOT = 8192;

    @TempDir
    Path dir;

    @BeforeAll
    static void available() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    private static byte[] key(int i) {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(int i, int round) {
        byte[] v = new byte[3000 + i % 2000];
        java.util.Arrays.fill(v, (byte) (i * 31 + round));
        return v;
    }

    /** One started putMany's outcome. */
    private static final class Outcome {
        final AtomicReference<List<SlotStore.Result>> results = new AtomicReference<>();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        int calls;

        StoreRing.PutsDone done() {
            return (r, f) -> {
                calls++;
                results.set(r);
                failure.set(f);
            };
        }
    }

    private static void start(SlotStore store, int from, int to, int round, Outcome o) {
        List<byte[]> keys = new ArrayList<>();
        List<MemorySegment> values = new ArrayList<>();
        for (int i = from; i < to; i++) {
            keys.add(key(i));
            values.add(MemorySegment.ofArray(value(i, round)));
        }
        store.onRing().startPutMany(keys, values, o.done());
    }

    /** Reaps the ring as an event loop does until every outcome is in; returns the owner's completions. */
    private static List<Long> drive(SlotStore store, IoUring ring, Outcome... outcomes) {
        List<Long> owners = new ArrayList<>();
        for (int round = 0; round < 100_000; round++) {
            // What a batch of the thread's own kept for the started ones first: waiting for the ring
            // before that could wait for completions already reaped.
            store.onRing().runStarted();
            boolean all = true;
            for (Outcome o : outcomes) {
                all &= o.calls > 0;
            }
            if (all) {
                return owners;
            }
            ring.submitAndWait(1);
            ring.reap((userData, res, flags) -> {
                if (!store.onRing().completion(userData, res)) {
                    owners.add(userData);
                }
            });
        }
        throw new AssertionError("started putManys never ended");
    }

    private static void assertValues(SlotStore store, int from, int to, int round) throws IOException {
        for (int i = from; i < to; i++) {
            assertArrayEquals(value(i, round), store.get(key(i)), "key " + i);
        }
    }

    private void format(Path p, long slots, StoreOptions o) throws IOException {
        SlotStore.format(p, slots * SLOT + (8L << 20), SLOT, true, o);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void startedPutManysCompleteAsTheOwnerReaps(boolean durable) throws IOException {
        StoreOptions o = StoreOptions.defaults().withEngine("uring").withBatchSize(16)
                .withDurability(durable ? StoreOptions.Durability.DURABLE : StoreOptions.Durability.NONE);
        Path p = dir.resolve("s");
        format(p, 4096, o);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(256))) {
            try (SlotStore store = SlotStore.open(p, o)) {
                assertTrue(store.onRing().share(ring, new CqeStash()));
                store.put(key(5000), value(5000, 3));
                Outcome a = new Outcome();
                Outcome b = new Outcome();
                start(store, 0, 600, 1, a); // several windows of 16 chunks
                assertEquals(0, a.calls, "returns before its writes complete");
                // A second one, in flight with the first, overwriting half of its keys.
                start(store, 300, 700, 2, b);
                assertEquals(0, b.calls);
                // A get of the thread's own meanwhile (a batch on the same ring): its reaps keep the started
                // ones' completions, which the owner's next runStarted handles.
                assertArrayEquals(value(5000, 3), store.get(key(5000)));
                assertEquals(0, a.calls);
                drive(store, ring, a, b);
                assertEquals(1, a.calls);
                assertEquals(1, b.calls);
                assertNull(a.failure.get());
                assertNull(b.failure.get());
                assertEquals(600, a.results.get().size());
                assertTrue(a.results.get().stream().allMatch(SlotStore.Result::ok), a.results.get().toString());
                assertTrue(b.results.get().stream().allMatch(SlotStore.Result::ok), b.results.get().toString());
                assertValues(store, 0, 300, 1);
                assertValues(store, 300, 700, 2); // the later call's value wins
                assertArrayEquals(value(5000, 3), store.get(key(5000)));
                store.onRing().unshare();
            }
            try (SlotStore store = SlotStore.open(p, o)) {
                assertValues(store, 0, 300, 1);
                assertValues(store, 300, 700, 2);
            }
        }
    }

    @Test
    void aRingTooSmallForTheNextWindowWaitsForTheThreadsOwnStartedOnes() throws IOException {
        // A small ring: half its positions may be in flight, so the calls after the first ones find
        // those holding them, and wait for them.
        StoreOptions o = StoreOptions.defaults().withEngine("uring").withBatchSize(4);
        Path p = dir.resolve("small");
        SlotStore.format(p, 64 * SLOT + (3L << 20), SLOT, true, o);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(64));
             SlotStore store = SlotStore.open(p, o)) {
            assertTrue(store.onRing().share(ring, new CqeStash()));
            long slots = store.superblock().classes().getFirst().slotCount();
            int calls = (int) (slots * 3 / 4 / 5); // keys for three quarters of the ring: no eviction
            assertTrue(calls * 5L > slots / 2, "more keys than may be in flight: slots=" + slots);
            List<Outcome> all = new ArrayList<>();
            for (int call = 0; call < calls; call++) {
                Outcome x = new Outcome();
                all.add(x);
                start(store, call * 5, call * 5 + 5, call, x);
            }
            store.onRing().awaitStarted();
            for (Outcome x : all) {
                assertEquals(1, x.calls);
                assertNull(x.failure.get());
                assertTrue(x.results.get().stream().allMatch(SlotStore.Result::ok), x.results.get().toString());
            }
            for (int call = 0; call < calls; call++) {
                assertValues(store, call * 5, call * 5 + 5, call);
            }
            store.onRing().unshare();
        }
    }

    @Test
    void aSynchronousPutOfTheThreadComesAfterItsStartedOnes() throws IOException {
        StoreOptions o = StoreOptions.defaults().withEngine("uring").withBatchSize(16);
        Path p = dir.resolve("order");
        format(p, 1024, o);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(64));
             SlotStore store = SlotStore.open(p, o)) {
            assertTrue(store.onRing().share(ring, new CqeStash()));
            Outcome a = new Outcome();
            start(store, 0, 100, 1, a);
            assertEquals(0, a.calls);
            store.put(key(5), value(5, 9)); // made after the started call: it waits for it, then wins
            assertEquals(1, a.calls, "the started call ended before the put ran");
            assertArrayEquals(value(5, 9), store.get(key(5)));
            assertValues(store, 6, 100, 1);
            store.onRing().unshare();
        }
    }

    @Test
    void withoutASharedRingAStartedPutManyRunsAtOnce() throws IOException {
        for (String engine : List.of("uring", "psync")) {
            StoreOptions o = StoreOptions.defaults().withEngine(engine);
            Path p = dir.resolve(engine);
            format(p, 256, o);
            try (SlotStore store = SlotStore.open(p, o)) {
                Outcome x = new Outcome();
                start(store, 0, 50, 7, x);
                assertEquals(1, x.calls, engine + ": done before it returned");
                assertNotNull(x.results.get());
                assertValues(store, 0, 50, 7);
            }
        }
    }

    @Test
    void aValueTheStoreRefusesGetsItsOwnResult() throws IOException {
        StoreOptions o = StoreOptions.defaults().withEngine("uring");
        Path p = dir.resolve("refuse");
        format(p, 256, o);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(64));
             SlotStore store = SlotStore.open(p, o)) {
            assertTrue(store.onRing().share(ring, new CqeStash()));
            Outcome x = new Outcome();
            store.onRing().startPutMany(List.of(key(1), key(2)),
                    List.of(MemorySegment.ofArray(value(1, 0)), MemorySegment.ofArray(new byte[(int) SLOT * 2])), x.done());
            drive(store, ring, x);
            assertTrue(x.results.get().get(0).ok());
            assertEquals(SlotStore.Status.INVALID, x.results.get().get(1).status());
            assertArrayEquals(value(1, 0), store.get(key(1)));
            assertNull(store.get(key(2)));
            store.onRing().unshare();
        }
    }
}
