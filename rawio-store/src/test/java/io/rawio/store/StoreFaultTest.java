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

    /** {@code perWrite}: slots one write carries, about (write faults are that much more frequent). */
    private static FaultConfig config(Fault f, long seed, int perWrite) {
        FaultConfig c = FaultConfig.none(seed).withTrackUnflushed(true);
        return switch (f) {
            case WRITE_EIO -> c.withWriteErrorOneIn(Math.max(2, 40 / perWrite));
            case ENOSPC -> c.withEnospcOneIn(Math.max(2, 40 / perWrite));
            case TORN -> c.withTornWriteOneIn(Math.max(2, 30 / perWrite));
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
        return engines.stream().flatMap(e -> Stream.of(Fault.values())
                .flatMap(f -> Stream.of(Arguments.of(f, e, false), Arguments.of(f, e, true))));
    }

    /**
     * The value of key {@code k}: up to MAX_VALUE bytes, or with {@code wholeSlots} 12,300 bytes more,
     * so that header, key and value fill every block of a 16 KiB slot and a batch's slots, side by
     * side, go as runs of several slots per write ({@link SlotRuns}): a fault then hits a run.
     */
    private static byte[] value(String k, boolean wholeSlots) {
        byte[] v = StoreTesting.valueFor(k, wholeSlots ? 3_900 : MAX_VALUE);
        return wholeSlots ? java.util.Arrays.copyOf(v, 12_300 + v.length) : v;
    }

    @ParameterizedTest
    @MethodSource("faultsAndEngines")
    void acknowledgedDurableWritesSurviveFaults(Fault fault, String inner, boolean wholeSlots) throws IOException {
        String faultName = fault.name();
        for (long seed = 1; seed <= 4; seed++) {
            Path path = dir.resolve(faultName + seed + ".store");
            SlotStore.format(path, 16L << 20, 16384, false, StoreTesting.psyncOptions());
            // The queue depth the store gives the engines it creates: its batch size.
            FaultInjectingEngine engine = new FaultInjectingEngine(IoEngines.create(inner, new EngineConfig(8, 1)),
                    config(fault, seed, wholeSlots ? 8 : 1));
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
                    values.add(MemorySegment.ofArray(value(k, wholeSlots)));
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
                        assertArrayEquals(value(k, wholeSlots), store.get(StoreTesting.key(k)));
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
                assertTrue(failedBatches > 0, fault + " over " + inner + (wholeSlots ? " (whole slots)" : "") + " seed " + seed + " injected nothing");
            }
            try (SlotStore reopened = SlotStore.open(path, StoreTesting.psyncOptions())) {
                for (String k : acked) {
                    byte[] v = reopened.get(StoreTesting.key(k));
                    assertNotNull(v, fault + " over " + inner + (wholeSlots ? " (whole slots)" : "") + " seed " + seed + ": acknowledged key lost: " + k);
                    assertArrayEquals(value(k, wholeSlots), v, "value of " + k);
                }
                for (KeyInfo info : reopened.keys()) {
                    String k = new String(info.key());
                    try {
                        byte[] v = reopened.get(info.key());
                        if (v != null) {
                            assertArrayEquals(value(k, wholeSlots), v, "nothing reads back wrong: " + k);
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
            for (KeyInfo info : reopened.keys()) {
                String k = new String(info.key());
                byte[] v = reopened.get(info.key());
                if (v != null) {
                    assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), v);
                }
            }
        }
    }

    /**
     * An engine that ends a getMany after its first chunk of reads, failing only the reads it never
     * issued (whose keys were never looked up): the call fails, rather than leaving those keys without
     * an answer, and the store reads on.
     */
    @org.junit.jupiter.api.Test
    void aGetManyTheEngineEndsPartwayFails() throws IOException {
        Path p = dir.resolve("halt.store");
        SlotStore.format(p, 16L << 20, 8192, false, StoreTesting.psyncOptions());
        List<byte[]> keys = new ArrayList<>();
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions(),
                new io.rawio.engine.HaltingEngine(IoEngines.create("psync"), ReadPath.LOOKUP_CHUNK))) {
            for (int i = 0; i < 3 * ReadPath.LOOKUP_CHUNK; i++) {
                byte[] k = StoreTesting.key("h" + i);
                keys.add(k);
                s.put(k, StoreTesting.valueFor("h" + i, 3000));
            }
            IOException e = assertThrows(IOException.class, () -> s.getMany(keys));
            assertTrue(e.getMessage().contains("EIO") || e.getMessage().contains("Input/output"), e.getMessage());
            assertArrayEquals(StoreTesting.valueFor("h70", 3000), s.get(keys.get(70)), "the store reads on");
        }
    }
}
