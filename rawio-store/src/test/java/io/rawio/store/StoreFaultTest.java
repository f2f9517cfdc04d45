package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.engine.EngineConfig;
import io.rawio.engine.FaultConfig;
import io.rawio.engine.FaultInjectingEngine;
import io.rawio.engine.IoEngines;
import io.rawio.engine.PsyncEngine;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The store under injected faults: write errors, ENOSPC, torn writes, flush errors and lost unflushed
 * writes. Whatever happens, every acknowledged durable key reads back exactly after a restart, and no
 * key ever reads back wrong.
 */
class StoreFaultTest {
    static final int MAX_VALUE = 12_000;

    @TempDir
    Path dir;

    enum Fault { WRITE_EIO, ENOSPC, TORN, FLUSH_EIO, CRASH }

    private static FaultConfig config(Fault f, long seed) {
        FaultConfig c = FaultConfig.none(seed).withTrackUnflushed(true);
        return switch (f) {
            case WRITE_EIO -> c.withWriteErrorOneIn(40);
            case ENOSPC -> c.withEnospcOneIn(40);
            case TORN -> c.withTornWriteOneIn(30);
            case FLUSH_EIO -> c.withFlushErrorOneIn(8);
            case CRASH -> c;
        };
    }

    /**
     * Every fault over psync, and over io_uring where it runs: there the store's preparers and
     * completers run while its writes are in flight, and faults hit writes already in flight.
     */
    static Stream<Arguments> faultsAndEngines() {
        List<String> engines = new ArrayList<>(List.of("psync"));
        if (IoEngines.unavailableReason("uring").isEmpty()) {
            engines.add("uring");
        }
        return engines.stream().flatMap(e -> Stream.of(Fault.values()).map(f -> Arguments.of(f, e)));
    }

    @ParameterizedTest
    @MethodSource("faultsAndEngines")
    void acknowledgedDurableWritesSurviveFaults(Fault fault, String inner) throws IOException {
        String faultName = fault.name();
        for (long seed = 1; seed <= 4; seed++) {
            Path path = dir.resolve(faultName + seed + ".store");
            SlotStore.format(path, 16L << 20, 16384, false, StoreTesting.psyncOptions());
            // The queue depth the store gives the engines it creates: its batch size.
            FaultInjectingEngine engine = new FaultInjectingEngine(IoEngines.create(inner, new EngineConfig(8, 1)),
                    config(fault, seed));
            StoreOptions options = StoreTesting.psyncOptions().withDurability(StoreOptions.Durability.DURABLE)
                    .withBatchSize(8);
            SlotStore store = SlotStore.open(path, options, engine);
            List<String> acked = new ArrayList<>();
            int failedBatches = 0;
            for (int batch = 0; batch < 40; batch++) {
                List<byte[]> keys = new ArrayList<>();
                List<MemorySegment> values = new ArrayList<>();
                List<String> names = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    String k = "s" + seed + "-" + batch + "-" + i;
                    names.add(k);
                    keys.add(StoreTesting.key(k));
                    values.add(MemorySegment.ofArray(StoreTesting.valueFor(k, MAX_VALUE)));
                }
                List<SlotStore.Result> r = store.putMany(keys, values);
                boolean anyFailed = false;
                for (int i = 0; i < r.size(); i++) {
                    if (r.get(i).ok()) {
                        acked.add(names.get(i));
                    } else {
                        anyFailed = true;
                    }
                }
                if (anyFailed) {
                    failedBatches++;
                    assertTrue(store.isFailed(), "a write or flush error fails the store for writes");
                    assertTrue(r.stream().noneMatch(SlotStore.Result::ok), "the whole batch fails");
                    // Reads keep working on a failed store.
                    for (String k : acked) {
                        assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), store.get(StoreTesting.key(k)));
                    }
                    assertThrows(StoreException.class, () -> store.put(StoreTesting.key("more"), new byte[1]));
                    break;
                }
            }
            if (fault == Fault.CRASH) {
                engine.simulateCrash();
            }
            store.abandon();
            if (fault != Fault.CRASH) {
                assertTrue(failedBatches > 0, fault + " over " + inner + " seed " + seed + " injected nothing");
            }
            try (SlotStore reopened = SlotStore.open(path, StoreTesting.psyncOptions())) {
                for (String k : acked) {
                    byte[] v = reopened.get(StoreTesting.key(k));
                    assertNotNull(v, fault + " over " + inner + " seed " + seed + ": acknowledged key lost: " + k);
                    assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), v, "value of " + k);
                }
                for (SlotStore.KeyInfo info : reopened.keys()) {
                    String k = new String(info.key());
                    try {
                        byte[] v = reopened.get(info.key());
                        if (v != null) {
                            assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), v, "nothing reads back wrong: " + k);
                        }
                    } catch (StoreException.Corrupt e) {
                        assertTrue(!acked.contains(k), "an acknowledged key is corrupt: " + k);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void withoutDurabilityACrashMayLoseWritesButNeverReturnsWrongBytes(long seed) throws IOException {
        Path path = dir.resolve("nd" + seed + ".store");
        SlotStore.format(path, 16L << 20, 16384, false, StoreTesting.psyncOptions());
        FaultInjectingEngine engine = new FaultInjectingEngine(new PsyncEngine(),
                FaultConfig.none(seed).withTrackUnflushed(true));
        SlotStore store = SlotStore.open(path, StoreTesting.psyncOptions(), engine);
        for (int i = 0; i < 60; i++) {
            String k = "n" + i;
            store.put(StoreTesting.key(k), StoreTesting.valueFor(k, MAX_VALUE));
            if (i == 30) {
                store.checkpoint(); // flushes: what came before is durable
            }
        }
        engine.simulateCrash();
        store.abandon();
        try (SlotStore reopened = SlotStore.open(path, StoreTesting.psyncOptions())) {
            for (int i = 0; i <= 30; i++) {
                String k = "n" + i;
                assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), reopened.get(StoreTesting.key(k)),
                        "flushed by the checkpoint: " + k);
            }
            for (SlotStore.KeyInfo info : reopened.keys()) {
                String k = new String(info.key());
                byte[] v = reopened.get(info.key());
                if (v != null) {
                    assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), v);
                }
            }
        }
    }
}
