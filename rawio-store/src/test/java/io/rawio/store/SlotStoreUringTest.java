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
            for (SlotStore.GetResult g : s.getMany(keys)) {
                assertTrue(g.found());
            }
            s.abandon();
            try (SlotStore t = SlotStore.open(p, o)) {
                List<SlotStore.GetResult> got = t.getMany(keys);
                for (int i = 0; i < keys.size(); i++) {
                    assertArrayEquals(StoreTesting.valueFor("u" + i, 60_000), got.get(i).value(), engine + " u" + i);
                }
                assertTrue(t.delete(StoreTesting.key("u7")));
                assertTrue(t.check().healthy());
            }
        }
    }
}
