package io.rawio.store;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

/** The DRAM tier alone: admission, bounds, leases, the token rule; no store, no device. */
class ValueCacheTest {
    private final Arena arena = Arena.ofAuto();

    private static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private MemorySegment bytes(int size, int seed) {
        MemorySegment s = arena.allocate(Math.max(1, size)).asSlice(0, size);
        for (int i = 0; i < size; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) (seed + i * 31));
        }
        return s;
    }

    private static boolean put(ValueCache c, byte[] key, MemorySegment value) {
        return c.put(key, value, c.readToken(key));
    }

    private static byte[] read(ValueCache.Lease lease) {
        return lease.value().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void aHitAfterAPutReturnsTheSameBytesReadOnlyAndCopiedIn() {
        try (ValueCache c = new ValueCache(1 << 20)) {
            MemorySegment v = bytes(4096, 7);
            byte[] expected = v.toArray(ValueLayout.JAVA_BYTE);
            byte[] k = key("k1");
            assertTrue(put(c, k, v));
            v.fill((byte) 0); // the cache copied the value
            k[0] = 'x'; // and the key
            try (ValueCache.Lease lease = c.get(key("k1"))) {
                assertNotNull(lease);
                assertArrayEquals(expected, read(lease));
                assertTrue(lease.value().isReadOnly());
                assertThrows(IllegalArgumentException.class, () -> lease.value().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            }
            assertNull(c.get(key("k2")));
            ValueCache.Stats s = c.stats();
            assertEquals(1, s.hits());
            assertEquals(1, s.misses());
            assertEquals(1, s.admissions());
            assertEquals(4096, s.bytes());
            assertEquals(1, s.entries());
        }
    }

    @Test
    void aPutOfAnotherValueReplacesTheCachedOne() {
        try (ValueCache c = new ValueCache(1 << 20)) {
            assertTrue(put(c, key("k"), bytes(100, 1)));
            assertTrue(put(c, key("k"), bytes(200, 2)));
            try (ValueCache.Lease lease = c.get(key("k"))) {
                assertArrayEquals(bytes(200, 2).toArray(ValueLayout.JAVA_BYTE), read(lease));
            }
            assertEquals(1, c.stats().entries());
            assertEquals(200, c.stats().bytes());
            assertEquals(1, c.liveAllocations());
        }
    }

    @Test
    void aGetAfterAnInvalidateMisses() {
        try (ValueCache c = new ValueCache(1 << 20)) {
            assertTrue(put(c, key("k"), bytes(64, 1)));
            c.invalidate(key("k"));
            assertNull(c.get(key("k")));
            assertEquals(0, c.stats().entries());
            assertEquals(0, c.liveAllocations());
        }
    }

    @Test
    void theValuesNeverExceedTheCapacityAndNothingLeaks() {
        long capacity = 64 << 10;
        try (ValueCache c = new ValueCache(capacity)) {
            SplittableRandom r = new SplittableRandom(11);
            for (int i = 0; i < 20_000; i++) {
                byte[] k = key("k" + r.nextInt(500));
                if (r.nextInt(10) == 0) {
                    c.invalidate(k);
                } else if (r.nextInt(3) == 0) {
                    try (ValueCache.Lease lease = c.get(k)) {
                        if (lease != null) {
                            assertTrue(lease.value().byteSize() <= c.maxValueBytes());
                        }
                    }
                } else {
                    put(c, k, bytes(r.nextInt((int) c.maxValueBytes() + 1), i));
                }
                ValueCache.Stats s = c.stats();
                assertTrue(s.bytes() <= capacity, "bytes=" + s.bytes() + " capacity=" + capacity);
                assertTrue(s.entries() <= capacity / ValueCache.MIN_CHARGE_BYTES, "entries=" + s.entries());
                assertTrue(c.liveAllocations() <= s.entries(), "one block per entry (none for empty values)");
            }
            assertTrue(c.stats().evictions() > 1000, "the loop evicted: " + c.stats());
        }
    }

    @Test
    void aValueLargerThanAnEighthOfTheCapacityIsNotAdmitted() {
        try (ValueCache c = new ValueCache(80_000)) {
            assertEquals(10_000, c.maxValueBytes());
            assertFalse(put(c, key("big"), bytes(10_001, 1)));
            assertNull(c.get(key("big")));
            assertTrue(put(c, key("fits"), bytes(10_000, 1)));
            assertEquals(1, c.stats().admissions());
        }
    }

    @Test
    void anInvalidatedEntryStaysReadableUnderItsLeaseAndIsFreedWhenItCloses() {
        try (ValueCache c = new ValueCache(1 << 20)) {
            byte[] expected = bytes(1000, 3).toArray(ValueLayout.JAVA_BYTE);
            put(c, key("k"), bytes(1000, 3));
            ValueCache.Lease lease = c.get(key("k"));
            c.invalidate(key("k"));
            assertNull(c.get(key("k")), "no new lease on an invalidated entry");
            assertEquals(1, c.liveAllocations(), "still held by the lease");
            assertArrayEquals(expected, read(lease));
            lease.close();
            assertEquals(0, c.liveAllocations());
            lease.close(); // harmless
            assertEquals(0, c.liveAllocations());
            assertThrows(IllegalStateException.class, lease::value);
        }
    }

    @Test
    void anEvictedEntryStaysReadableUnderItsLeaseAndIsFreedWhenItCloses() {
        try (ValueCache c = new ValueCache(64 << 10)) {
            byte[] expected = bytes(4096, 9).toArray(ValueLayout.JAVA_BYTE);
            put(c, key("leased"), bytes(4096, 9));
            ValueCache.Lease lease = c.get(key("leased"));
            lease.close();
            // Read once while in S, so it moves to M; then hold a lease while a flood evicts everything.
            lease = c.get(key("leased"));
            for (int i = 0; i < 200; i++) {
                put(c, key("flood" + i), bytes(4096, i));
                try (ValueCache.Lease again = c.get(key("flood" + i))) {
                    assertNotNull(again); // read in S: these go to M too, and push the leased one out
                }
            }
            assertNull(c.get(key("leased")), "evicted");
            long entries = c.stats().entries();
            assertEquals(entries + 1, c.liveAllocations());
            assertArrayEquals(expected, read(lease));
            lease.close();
            assertEquals(entries, c.liveAllocations());
        }
    }

    @Test
    void aStalePutAfterAnInvalidateIsRefused() {
        try (ValueCache c = new ValueCache(1 << 20)) {
            byte[] k = key("k");
            long token = c.readToken(k); // a reader, before its index lookup
            // it reads the old value from the device; meanwhile a writer makes a new one visible, then:
            long writerToken = c.invalidate(k);
            assertFalse(c.put(k, bytes(64, 1), token), "the reader's old value is not reinstated");
            assertNull(c.get(k));
            // A reader that starts after the invalidate fills the cache.
            assertTrue(c.put(k, bytes(64, 2), c.readToken(k)));
            try (ValueCache.Lease lease = c.get(k)) {
                assertArrayEquals(bytes(64, 2).toArray(ValueLayout.JAVA_BYTE), read(lease));
            }
            // The writer's own token is good until the next invalidate of the key.
            assertTrue(c.put(k, bytes(64, 3), writerToken));
            c.invalidate(k);
            assertFalse(c.put(k, bytes(64, 4), writerToken));
            assertNull(c.get(k));
        }
    }

    @Test
    void aStalePutRacingAnInvalidateIsRemovedByIt() {
        try (ValueCache c = new ValueCache(1 << 20)) {
            byte[] k = key("k");
            long token = c.readToken(k);
            assertTrue(c.put(k, bytes(64, 1), token)); // the old value lands before the invalidate
            c.invalidate(k);
            assertNull(c.get(k));
        }
    }

    /**
     * Writers make a new version of a key visible, invalidate, then acknowledge; readers fill the cache
     * with the token rule. No reader may see a version older than the one acknowledged before its get.
     */
    @Test
    void underRacingWritersAndReadersNoGetSeesAValueOlderThanTheLastInvalidate() throws Exception {
        int keys = 64;
        AtomicLongArray visible = new AtomicLongArray(keys); // the store's index: the newest version
        AtomicLongArray acked = new AtomicLongArray(keys);
        byte[][] names = new byte[keys][];
        for (int k = 0; k < keys; k++) {
            names[k] = key("key-" + k);
        }
        // Room for about 32 of the 64 keys, so evictions race too.
        try (ValueCache c = new ValueCache(32 * ValueCache.MIN_CHARGE_BYTES)) {
            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicLong hits = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            threads.add(Thread.ofPlatform().start(() -> {
                SplittableRandom r = new SplittableRandom(1);
                while (!stop.get()) {
                    int k = r.nextInt(keys);
                    long v = visible.incrementAndGet(k);
                    c.invalidate(names[k]);
                    acked.accumulateAndGet(k, v, Math::max);
                }
            }));
            for (int t = 0; t < 2; t++) {
                long seed = 100 + t;
                threads.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment value = a.allocate(16);
                        while (!stop.get()) {
                            int k = r.nextInt(keys);
                            long floor = acked.get(k);
                            try (ValueCache.Lease lease = c.get(names[k])) {
                                if (lease != null) {
                                    hits.incrementAndGet();
                                    long version = lease.value().get(JAVA_LONG, 0);
                                    long owner = lease.value().get(JAVA_LONG, 8);
                                    if (version < floor || owner != k) {
                                        failures.add("key=" + k + " version=" + version + " acked=" + floor + " owner=" + owner);
                                    }
                                    continue;
                                }
                            }
                            long token = c.readToken(names[k]);
                            long version = visible.get(k); // the device read
                            if (r.nextInt(4) == 0) {
                                Thread.yield(); // a slow read: invalidates get in between
                            }
                            value.set(JAVA_LONG, 0, version);
                            value.set(JAVA_LONG, 8, k);
                            if (!c.put(names[k], value, token)) {
                                refused.incrementAndGet();
                            }
                        }
                    }
                }));
            }
            Thread.sleep(1000);
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(failures.isEmpty(), failures.size() + " stale reads, first: " + failures.peek());
            assertTrue(hits.get() > 0, "some gets hit");
            assertTrue(refused.get() > 0, "some puts were refused as stale");
            assertEquals(c.stats().entries(), c.liveAllocations(), "no lease left, no leak");
        }
    }

    @Test
    void aDisabledCacheMissesAndKeepsNothing() {
        for (long capacity : new long[] {0, -1}) {
            try (ValueCache c = new ValueCache(capacity)) {
                assertFalse(put(c, key("k"), bytes(10, 1)));
                assertNull(c.get(key("k")));
                c.invalidate(key("k"));
                assertEquals(new ValueCache.Stats(0, 0, 0, 0, 0, 0), c.stats());
                assertEquals(0, c.liveAllocations());
            }
        }
    }

    @Test
    void closeFreesEverythingAndALeasedValueWhenItsLeaseCloses() {
        ValueCache c = new ValueCache(1 << 20);
        for (int i = 0; i < 100; i++) {
            put(c, key("k" + i), bytes(1000, i));
        }
        put(c, key("empty"), bytes(0, 0));
        assertEquals(100, c.liveAllocations());
        byte[] expected = bytes(1000, 5).toArray(ValueLayout.JAVA_BYTE);
        ValueCache.Lease lease = c.get(key("k5"));
        try (ValueCache.Lease empty = c.get(key("empty"))) {
            assertEquals(0, empty.value().byteSize());
        }
        c.close();
        assertEquals(1, c.liveAllocations());
        assertArrayEquals(expected, read(lease));
        lease.close();
        assertEquals(0, c.liveAllocations());
        assertNull(c.get(key("k1")));
        assertFalse(put(c, key("k1"), bytes(10, 1)));
        assertEquals(0, c.liveAllocations());
        c.close(); // idempotent
    }
}
