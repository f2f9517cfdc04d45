package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The DRAM tier through the store, and zero-copy gets: hits cost no I/O and are never stale. */
class DramTierTest {
    @TempDir
    Path dir;

    SlotStore open(String name, StoreOptions o) throws Exception {
        Path p = dir.resolve(name);
        SlotStore.format(p, 32L << 20, SlotClasses.of(List.of(4096L, 65536L)), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        return SlotStore.open(p, o);
    }

    static byte[] value(String tag, int n) {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
            v[i] = (byte) (tag.hashCode() * 31 + i);
        }
        return v;
    }

    @Test
    void aSecondGetIsAHitAndAWriteIsVisibleAtOnce() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions().withCache(4L << 20);
        try (SlotStore s = open("tier.store", o)) {
            s.put(key("k"), value("v1", 3000));
            assertArrayEquals(value("v1", 3000), s.get(key("k")));
            assertEquals(1, s.stats().cacheMisses(), "one get, one miss (the tier is asked once)");
            assertEquals(1, s.stats().hits(), "one lookup of a present key");
            long readsBefore = s.stats().cacheHits();
            assertArrayEquals(value("v1", 3000), s.get(key("k")));
            assertEquals(readsBefore + 1, s.stats().cacheHits(), "the second get came from memory");
            assertTrue(s.stats().cacheBytes() >= 3000);
            s.put(key("k"), value("v2", 20_000)); // another class, too
            assertArrayEquals(value("v2", 20_000), s.get(key("k")), "never the cached old value");
            assertArrayEquals(value("v2", 20_000), s.get(key("k")));
            assertTrue(s.delete(key("k")));
            assertNull(s.get(key("k")));
            s.put(key("e"), MemorySegment.ofArray(value("e", 100)), System.currentTimeMillis() - 1);
            assertNull(s.get(key("e")), "already expired");
        }
    }

    @Test
    void aHitCopiesIntoTheCallersMemory() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions().withCache(4L << 20);
        try (SlotStore s = open("into.store", o)) {
            s.put(key("k"), value("v", 4096));
            MemorySegment into = MemorySegment.ofArray(new byte[8192]);
            assertEquals(4096, s.get(key("k"), into)); // from the device, then kept
            assertEquals(4096, s.get(key("k"), into)); // from the tier
            assertEquals(1, s.stats().cacheHits());
            assertArrayEquals(value("v", 4096), into.asSlice(0, 4096).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(-1, s.get(key("absent"), into));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.get(key("k"), MemorySegment.ofArray(new byte[100])));
            assertTrue(e.getMessage().contains("buffer too small"), e.getMessage());
        }
    }

    @Test
    void writeThroughServesTheFirstGetFromMemory() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions().withCache(4L << 20).withCacheWrites(true);
        try (SlotStore s = open("through.store", o)) {
            s.put(key("k"), value("w", 5000));
            assertArrayEquals(value("w", 5000), s.get(key("k")));
            assertEquals(1, s.stats().cacheHits());
        }
    }

    /**
     * One writer rewrites 16 keys with increasing versions (the value's first int) while two readers
     * get them; a reader never sees a version older than one already acknowledged when its get began.
     */
    @Test
    @Timeout(60)
    void readersNeverSeeAValueOlderThanTheLastAcknowledgedWrite() throws Exception {
        for (boolean through : new boolean[] {false, true}) {
            StoreOptions o = StoreTesting.psyncOptions().withCache(1L << 20).withCacheWrites(through);
            try (SlotStore s = open("race-" + through + ".store", o)) {
                int keys = 16;
                AtomicIntegerArray acked = new AtomicIntegerArray(keys);
                for (int k = 0; k < keys; k++) {
                    s.put(key("r" + k), versioned(0, 2000));
                }
                int[] writes = {0};
                List<Throwable> errors = StoreTesting.hammer(3, 1000, t -> {
                    if (t == 0) {
                        return () -> {
                            int k = writes[0] % keys;
                            int v = writes[0]++ / keys + 1;
                            s.put(key("r" + k), versioned(v, 2000 + (v % 3) * 20_000));
                            acked.set(k, v);
                        };
                    }
                    int[] i = {t};
                    return () -> {
                        int k = i[0]++ % keys;
                        int floor = acked.get(k);
                        byte[] got = s.get(key("r" + k));
                        int seen = ByteBuffer.wrap(got).getInt();
                        assertTrue(seen >= floor, "key r" + k + ": saw version " + seen + " after " + floor
                                + " was acknowledged");
                    };
                });
                assertTrue(errors.isEmpty(), errors.toString());
                assertTrue(s.stats().cacheHits() > 0, "the tier served some gets");
            }
        }
    }

    static byte[] versioned(int v, int n) {
        byte[] b = new byte[n];
        ByteBuffer.wrap(b).putInt(v);
        return b;
    }

    @Test
    void aZeroCopyGetLendsTheCheckedValueUntilItIsClosed() throws Exception {
        for (long cache : new long[] {0, 4L << 20}) {
            StoreOptions o = StoreTesting.psyncOptions().withCache(cache);
            try (SlotStore s = open("lease-" + cache + ".store", o)) {
                List<byte[]> ks = new ArrayList<>();
                List<MemorySegment> vs = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    ks.add(key("z" + i));
                    vs.add(MemorySegment.ofArray(value("z" + i, i % 2 == 0 ? 4000 : 40_000)));
                }
                s.putMany(ks, vs);
                for (int round = 0; round < 2; round++) { // the second round hits the tier when there is one
                    List<byte[]> ask = new ArrayList<>(ks);
                    ask.add(key("absent"));
                    List<LeaseResult> got = s.getManyLeases(ask);
                    for (int i = 0; i < 50; i++) {
                        try (ValueLease l = got.get(i).lease()) {
                            assertArrayEquals(value("z" + i, i % 2 == 0 ? 4000 : 40_000), l.toArray());
                            assertTrue(l.value().isReadOnly());
                            assertThrows(IllegalArgumentException.class,
                                    () -> l.value().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
                        }
                    }
                    assertNull(got.get(50).lease());
                    assertEquals(0, s.leasesOutstanding(), "every buffer given back");
                }
                ValueLease one = s.getLease(key("z1"));
                one.close();
                one.close();
                assertThrows(IllegalStateException.class, one::value);
                assertNull(s.getLease(key("absent")));
            }
        }
    }
}
