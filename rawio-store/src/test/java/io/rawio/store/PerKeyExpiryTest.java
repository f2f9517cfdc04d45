package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A putMany (and a started one) whose keys each carry their own expiry: kept by the index, the slots and a restart. */
class PerKeyExpiryTest {
    static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;

    final AtomicLong now = new AtomicLong(T0);

    StoreOptions options() {
        return StoreOptions.defaults().withEngine("psync").withClock(() -> Instant.ofEpochMilli(now.get()));
    }

    static byte[] k(String s) {
        return s.getBytes();
    }

    static MemorySegment v(int n) {
        return MemorySegment.ofArray(new byte[n]);
    }

    /** a..f: a and d expire at T0 + 100, b never, c and e at T0 + 10,000, f (given twice) last at T0 + 50. */
    static final List<byte[]> KEYS = List.of(k("a"), k("b"), k("c"), k("d"), k("e"), k("f"), k("f"));
    static final long[] AT = {T0 + 100, 0, T0 + 10_000, T0 + 100, T0 + 10_000, T0 + 20_000, T0 + 50};

    void checkAt(SlotStore s) {
        assertEquals(T0 + 100, s.expiresAtMillis(k("a")));
        assertEquals(0, s.expiresAtMillis(k("b")));
        assertEquals(T0 + 10_000, s.expiresAtMillis(k("c")));
        assertEquals(T0 + 100, s.expiresAtMillis(k("d")));
        assertEquals(T0 + 50, s.expiresAtMillis(k("f")), "a key given twice keeps its last value and expiry");
    }

    void checkAfter(SlotStore s) {
        now.set(T0 + 200);
        assertFalse(s.contains(k("a")));
        assertFalse(s.contains(k("d")));
        assertFalse(s.contains(k("f")));
        assertTrue(s.contains(k("b")));
        assertTrue(s.contains(k("c")));
        assertEquals(9_800, s.ttlMillis(k("e")));
        assertEquals(-1, s.ttlMillis(k("b")));
    }

    Path formatted() throws java.io.IOException {
        Path p = dir.resolve("s.store");
        SlotStore.format(p, 16L << 20, 4096, false, options());
        return p;
    }

    /** One value for each of {@link #KEYS}, of 10 bytes and up. */
    static List<MemorySegment> values() {
        List<MemorySegment> values = new ArrayList<>();
        for (int i = 0; i < KEYS.size(); i++) {
            values.add(v(10 + i));
        }
        return values;
    }

    @Test
    void putManyKeepsEachKeysExpiryAcrossARestart() throws Exception {
        Path p = formatted();
        List<MemorySegment> values = values();
        try (SlotStore s = SlotStore.open(p, options())) {
            long[] at = AT.clone();
            for (SlotStore.Result r : s.putMany(KEYS, values, at)) {
                assertTrue(r.ok(), r.toString());
            }
            at[0] = 0; // the store took its own copy
            checkAt(s);
            s.abandon(); // as if killed: the slots' headers, not a checkpoint, bring the expiries back
        }
        try (SlotStore s = SlotStore.open(p, options())) {
            checkAt(s);
            checkAfter(s);
        }
    }

    @Test
    void aStartedPutManyKeepsEachKeysExpiry() throws Exception {
        Path p = formatted();
        List<MemorySegment> values = values();
        try (SlotStore s = SlotStore.open(p, options())) {
            List<SlotStore.Result> got = new ArrayList<>();
            s.onRing().startPutMany(KEYS, values, AT.clone(), (results, failure) -> got.addAll(results));
            s.onRing().awaitStarted();
            assertEquals(KEYS.size(), got.size());
            checkAt(s);
            checkAfter(s);
        }
    }

    @Test
    void expiriesThatAreNotOnePerKeyOrNotATimeAreRefused() throws Exception {
        Path p = formatted();
        try (SlotStore s = SlotStore.open(p, options())) {
            List<byte[]> keys = List.of(k("x"), k("y"));
            List<MemorySegment> values = List.of(v(1), v(1));
            assertThrows(IllegalArgumentException.class, () -> s.putMany(keys, values, new long[] {0}));
            assertThrows(IllegalArgumentException.class, () -> s.putMany(keys, values, new long[] {0, -5}));
            assertThrows(IllegalArgumentException.class,
                    () -> s.onRing().startPutMany(keys, values, new long[] {1, 2, 3}, (r, f) -> { }));
            assertFalse(s.contains(k("x")), "nothing written");
        }
    }

    /**
     * 3,000 keys (500 of them twice) in windows of 4 keys: each key's expiry is found by its index in the
     * whole call, not in its window, through putMany and a started putMany, and after a restart.
     */
    @ParameterizedTest(name = "started {0}")
    @ValueSource(booleans = {false, true})
    void keysOfManyWindowsKeepTheirOwnExpiry(boolean started) throws Exception {
        StoreOptions o = options().withBatchSize(4); // windows of 16 chunks of 4 keys: about 47 of them
        Path p = dir.resolve("s.store");
        SlotStore.format(p, 64L << 20, 4096, false, o);
        int n = 3_000;
        List<byte[]> keys = new ArrayList<>();
        List<MemorySegment> values = new ArrayList<>();
        long[] at = new long[n];
        for (int i = 0; i < n; i++) {
            keys.add(k("k" + i % 2_500));
            values.add(v(10 + i % 7));
            at[i] = i % 3 == 0 ? 0 : T0 + 1_000 + i;
        }
        try (SlotStore s = SlotStore.open(p, o)) {
            List<SlotStore.Result> got = new ArrayList<>();
            if (started) {
                s.onRing().startPutMany(keys, values, at, (results, failure) -> got.addAll(results));
                s.onRing().awaitStarted();
            } else {
                got.addAll(s.putMany(keys, values, at));
            }
            assertEquals(n, got.size());
            assertTrue(got.stream().allMatch(SlotStore.Result::ok));
            for (int i = 500; i < n; i++) {
                assertEquals(at[i], s.expiresAtMillis(keys.get(i)), "key " + i);
            }
            s.abandon();
        }
        try (SlotStore s = SlotStore.open(p, o)) {
            for (int i = 500; i < n; i++) {
                assertEquals(at[i], s.expiresAtMillis(keys.get(i)), "after a restart, key " + i);
            }
        }
    }
}
