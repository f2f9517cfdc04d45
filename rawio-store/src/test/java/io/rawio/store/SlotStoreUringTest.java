package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.uring.IoUring;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The store on its default engines, io_uring with and without registered buffers, O_DIRECT. */
class SlotStoreUringTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void available() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    /** With uring-fixed, a zero-copy get reads into registered memory: READ_FIXED, no bounce. */
    @Test
    @Timeout(60)
    void zeroCopyGetsOnUringFixedReadIntoRegisteredBuffers() throws IOException {
        Path p = dir.resolve("fixed.store");
        StoreOptions o = StoreOptions.defaults().withEngine("uring-fixed");
        SlotStore.format(p, 32L << 20, 65536, false, o);
        io.rawio.engine.UringEngine engine = (io.rawio.engine.UringEngine) io.rawio.engine.IoEngines.create("uring-fixed");
        try (SlotStore s = SlotStore.open(p, o, engine)) {
            List<byte[]> keys = new ArrayList<>();
            List<MemorySegment> values = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                keys.add(StoreTesting.key("f" + i));
                values.add(MemorySegment.ofArray(StoreTesting.valueFor("f" + i, 50_000)));
            }
            assertTrue(s.putMany(keys, values).stream().allMatch(SlotStore.Result::ok));
            long before = engine.fixedBufferOps();
            List<LeaseResult> got = s.getManyLeases(keys);
            for (int i = 0; i < keys.size(); i++) {
                try (ValueLease l = got.get(i).lease()) {
                    assertArrayEquals(StoreTesting.valueFor("f" + i, 50_000), l.toArray());
                }
            }
            assertTrue(engine.notices().stream().noneMatch(n -> n.contains("refused")), engine.notices().toString());
            assertEquals(before + keys.size(), engine.fixedBufferOps(), "every lease read went out as READ_FIXED");
        }
    }

    /**
     * On io_uring a getMany looks its keys up as their reads are issued, a chunk at a time, so the later
     * lookups overlap the reads in flight: when the batch starts only the first chunk has been looked
     * up. Absent keys and DRAM tier hits met in later chunks are settled without a read; every value is
     * still the one stored, across slot classes.
     */
    @Test
    @Timeout(60)
    void aGetManyLooksItsKeysUpAsItsReadsAreIssued() throws IOException {
        Path p = dir.resolve("lazy.store");
        StoreOptions o = StoreOptions.defaults().withEngine("uring").withCache(8L << 20);
        SlotStore.format(p, 48L << 20, SlotClasses.of(List.of(4096L, 16384L, 65536L)), false, o,
                Preallocation.WRITE_ZEROS, FormatProgress.NONE);
        SlotStore[] store = new SlotStore[1];
        List<Long> lookedUpAtStart = new ArrayList<>();
        io.rawio.engine.IoEngine engine = new io.rawio.engine.ForwardingIoEngine(io.rawio.engine.IoEngines.create("uring")) {
            @Override
            public void execute(io.rawio.engine.IoBatch batch) {
                if (store[0] != null && batch.size() > 0 && batch.op(0) == io.rawio.engine.IoOp.READ
                        && batch.preparer() != null) {
                    StoreStats st = store[0].stats();
                    lookedUpAtStart.add(st.hits() + st.misses());
                }
                super.execute(batch);
            }
        };
        try (SlotStore s = SlotStore.open(p, o, engine)) {
            int n = 7 * ReadPath.LOOKUP_CHUNK + 5;
            List<byte[]> keys = new ArrayList<>();
            List<byte[]> stored = new ArrayList<>();
            List<byte[]> putKeys = new ArrayList<>();
            List<MemorySegment> putValues = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] k = StoreTesting.key("lazy" + i);
                keys.add(k);
                // Every third key absent; the others 100 B to 40 KB, across the three classes.
                byte[] v = i % 3 == 2 ? null : StoreTesting.valueFor("lazy" + i, 100 + (i * 997) % 40_000);
                stored.add(v);
                if (v != null) {
                    putKeys.add(k);
                    putValues.add(MemorySegment.ofArray(v));
                }
            }
            assertTrue(s.putMany(putKeys, putValues).stream().allMatch(SlotStore.Result::ok));
            store[0] = s;
            for (int pass = 0; pass < 2; pass++) { // the second pass finds the values in the DRAM tier
                StoreStats before = s.stats();
                lookedUpAtStart.clear();
                List<GetResult> got = s.getMany(keys);
                for (int i = 0; i < n; i++) {
                    if (stored.get(i) == null) {
                        assertTrue(!got.get(i).found(), "absent key " + i + " pass " + pass);
                    } else {
                        assertArrayEquals(stored.get(i), got.get(i).value(), "key " + i + " pass " + pass);
                    }
                }
                StoreStats after = s.stats();
                assertEquals(n, after.hits() + after.misses() - before.hits() - before.misses(), "each key looked up once");
                if (pass == 0) {
                    assertEquals(1, lookedUpAtStart.size(), "one dispatcher batch");
                    assertEquals(ReadPath.LOOKUP_CHUNK, lookedUpAtStart.getFirst() - before.hits() - before.misses(),
                            "only the first chunk looked up when the reads start");
                }
            }
            assertTrue(s.stats().cacheHits() > 0, "the second pass was answered by the tier: " + s.stats());
        }
    }

    @Test
    @Timeout(120)
    void durableBatchesRoundTripAndSurviveACrashOnUring() throws IOException {
        for (String engine : List.of("uring", "uring-fixed")) {
            Path p = dir.resolve(engine + ".store");
            StoreOptions o = StoreOptions.defaults().withEngine(engine).withDurability(StoreOptions.Durability.DURABLE);
            SlotStore.format(p, 32L << 20, 65536, false, o);
            SlotStore s = SlotStore.open(p, o);
            assertEquals(engine, s.engineName());
            List<byte[]> keys = new ArrayList<>();
            List<MemorySegment> values = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                keys.add(StoreTesting.key("u" + i));
                values.add(MemorySegment.ofArray(StoreTesting.valueFor("u" + i, 60_000)));
            }
            assertTrue(s.putMany(keys, values).stream().allMatch(SlotStore.Result::ok));
            for (GetResult g : s.getMany(keys)) {
                assertTrue(g.found());
            }
            s.abandon();
            try (SlotStore t = SlotStore.open(p, o)) {
                List<GetResult> got = t.getMany(keys);
                for (int i = 0; i < keys.size(); i++) {
                    assertArrayEquals(StoreTesting.valueFor("u" + i, 60_000), got.get(i).value(), engine + " u" + i);
                }
                assertTrue(t.delete(StoreTesting.key("u7")));
                assertTrue(t.check().healthy());
            }
        }
    }
}
