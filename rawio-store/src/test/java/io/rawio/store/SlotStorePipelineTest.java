package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.engine.EngineConfig;
import io.rawio.engine.FaultConfig;
import io.rawio.engine.FaultInjectingEngine;
import io.rawio.engine.ForwardingIoEngine;
import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngines;
import io.rawio.engine.IoOp;
import io.rawio.engine.UringEngine;
import io.rawio.memory.AlignedMemory;
import io.rawio.uring.IoUring;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * putMany keeps the next chunk's writes in flight while the previous chunk completes (one dispatcher
 * batch for several chunks, on io_uring): chunks still commit one by one and in order, a durable
 * window is one group commit (one fdatasync after all its writes), and a write error fails its chunk
 * and every chunk after it, even those whose writes were already in flight.
 */
class SlotStorePipelineTest {
    static final int BATCH = 16;
    static final int MAX_VALUE = 20_000;

    @TempDir
    Path dir;

    @BeforeAll
    static void available() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    /**
     * io_uring, failing the n-th slot write it issues: the write's buffer is swapped, as it is issued,
     * for a misaligned one, which O_DIRECT refuses with EINVAL while the writes before it are in flight.
     */
    static final class FailNthWrite extends ForwardingIoEngine {
        final Arena arena = Arena.ofShared();
        final int failAt;
        int writes;
        int batchesWithSeveralChunks;

        FailNthWrite(int failAt) {
            super(new UringEngine(false, new EngineConfig(BATCH, 1)));
            this.failAt = failAt;
        }

        @Override
        public String name() {
            return "fail-nth(uring)";
        }

        @Override
        public void execute(IoBatch batch) {
            IoBatch.Preparer store = batch.preparer();
            int slotWrites = 0;
            for (int i = 0; i < batch.size(); i++) {
                if (batch.op(i) == IoOp.WRITE && store != null) {
                    slotWrites++;
                }
            }
            if (slotWrites > BATCH) {
                batchesWithSeveralChunks++;
            }
            if (store != null) {
                batch.preparer(i -> {
                    store.prepare(i);
                    if (batch.op(i) == IoOp.WRITE && !batch.isCanceled(i) && ++writes == failAt) {
                        MemorySegment bad = AlignedMemory.allocate(arena, batch.length(i) + 4096, 4096)
                                .asSlice(1, batch.length(i));
                        batch.buffer(i, bad);
                    }
                });
            }
            inner.execute(batch);
        }

        @Override
        public void close() {
            inner.close();
            arena.close();
        }
    }

    private static StoreOptions options(boolean durable) {
        return StoreOptions.defaults().withBatchSize(BATCH)
                .withDurability(durable ? StoreOptions.Durability.DURABLE : StoreOptions.Durability.NONE);
    }

    private static String name(int i) {
        return "k" + i;
    }

    private static List<byte[]> keys(int n) {
        List<byte[]> k = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            k.add(StoreTesting.key(name(i)));
        }
        return k;
    }

    private static List<MemorySegment> values(int n) {
        List<MemorySegment> v = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            v.add(MemorySegment.ofArray(StoreTesting.valueFor(name(i), MAX_VALUE)));
        }
        return v;
    }

    /** The n-th slot write fails; n - 1 is the number of keys of the chunks before it that succeed. */
    private void failAt(int nth, boolean durable) throws IOException {
        Path p = dir.resolve("s" + nth + durable + ".store");
        SlotStore.format(p, 64L << 20, 32768, false, options(durable));
        int n = 6 * BATCH;
        int failedChunk = (nth - 1) / BATCH;
        FailNthWrite engine = new FailNthWrite(nth);
        SlotStore s = SlotStore.open(p, options(durable), engine);
        List<SlotStore.Result> r = s.putMany(keys(n), values(n));
        assertTrue(engine.batchesWithSeveralChunks > 0, "chunks went to the engine together");
        for (int i = 0; i < n; i++) {
            int chunk = i / BATCH;
            if (chunk < failedChunk) {
                assertTrue(r.get(i).ok(), "chunks before the failed one commit: " + i + " " + r.get(i));
            } else {
                assertEquals(SlotStore.Status.FAILED, r.get(i).status(), "the failed chunk and every chunk after it fail: " + i);
            }
            if (chunk == failedChunk) {
                assertTrue(r.get(i).error().contains("EINVAL"), r.get(i).error());
            } else if (chunk > failedChunk) {
                assertTrue(r.get(i).error().contains("refuses writes"), r.get(i).error());
            }
        }
        assertTrue(s.isFailed());
        assertThrows(StoreException.Failed.class, () -> s.put(StoreTesting.key("more"), new byte[1]));
        List<GetResult> got = s.getMany(keys(n));
        for (int i = 0; i < n; i++) {
            if (i / BATCH < failedChunk) {
                assertArrayEquals(StoreTesting.valueFor(name(i), MAX_VALUE), got.get(i).value(), name(i));
            } else {
                assertNull(got.get(i).value(), "a failed put is not in the index: " + name(i));
            }
        }
        s.close();
        // After a restart: every acknowledged key, and no key with a wrong value. (Writes of a failed
        // chunk that reached the device may come back, as after any failed batch.)
        try (SlotStore t = SlotStore.open(p, options(durable))) {
            got = t.getMany(keys(n));
            for (int i = 0; i < n; i++) {
                if (i / BATCH < failedChunk) {
                    assertArrayEquals(StoreTesting.valueFor(name(i), MAX_VALUE), got.get(i).value(), name(i));
                } else if (got.get(i).found()) {
                    assertArrayEquals(StoreTesting.valueFor(name(i), MAX_VALUE), got.get(i).value(), name(i));
                }
            }
            assertTrue(t.check().healthy());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @Timeout(60)
    void aFailureInTheSecondOfTwoChunksInFlightFailsItAndTheRestNotTheFirst(boolean durable) throws IOException {
        failAt(BATCH + 3, durable);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @Timeout(60)
    void aFailureInTheFirstChunkFailsTheChunksAlreadyInFlightAfterIt(boolean durable) throws IOException {
        failAt(BATCH, durable);
    }

    /** io_uring, recording each batch of slot writes: its writes, its fdatasyncs and where they are. */
    static final class CountingSyncs extends ForwardingIoEngine {
        final List<int[]> batches = new ArrayList<>(); // {writes, syncs, index of the first sync, ops}
        final List<Long> writeLengths = new ArrayList<>();

        CountingSyncs() {
            this(new UringEngine(false, new EngineConfig(BATCH, 0)));
        }

        CountingSyncs(io.rawio.engine.IoEngine inner) {
            super(inner);
        }

        int writes() {
            int n = 0;
            for (int[] b : batches) {
                n += b[0];
            }
            return n;
        }

        @Override
        public String name() {
            return "counting(uring)";
        }

        @Override
        public void execute(IoBatch batch) {
            if (batch.preparer() != null) {
                int writes = 0;
                int syncs = 0;
                int firstSync = -1;
                for (int i = 0; i < batch.size(); i++) {
                    if (batch.op(i) == IoOp.WRITE) {
                        writes++;
                    } else if (batch.op(i) == IoOp.FDATASYNC) {
                        syncs++;
                        firstSync = firstSync < 0 ? i : firstSync;
                    }
                }
                batches.add(new int[] {writes, syncs, firstSync, batch.size()});
                IoBatch.Preparer store = batch.preparer();
                batch.preparer(i -> {
                    store.prepare(i);
                    if (batch.op(i) == IoOp.WRITE && !batch.isCanceled(i)) {
                        writeLengths.add(batch.length(i));
                    }
                });
            }
            inner.execute(batch);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @Timeout(60)
    void aDurableWindowOfSeveralChunksIsOneGroupCommitAfterAllItsWrites(boolean durable) throws IOException {
        Path p = dir.resolve("sync" + durable + ".store");
        SlotStore.format(p, 64L << 20, 32768, false, options(durable));
        int n = 6 * BATCH;
        CountingSyncs engine = new CountingSyncs();
        try (SlotStore s = SlotStore.open(p, options(durable), engine)) {
            List<SlotStore.Result> r = s.putMany(keys(n), values(n));
            assertTrue(r.stream().allMatch(SlotStore.Result::ok), r.toString());
            int writes = 0;
            boolean severalChunks = false;
            for (int[] b : engine.batches) {
                writes += b[0];
                severalChunks |= b[0] > BATCH;
                // One fdatasync when durable (none otherwise), after every write of the window.
                assertEquals(durable ? 1 : 0, b[1], "fdatasyncs in a window of " + b[0] + " writes");
                if (durable) {
                    assertEquals(b[3] - 1, b[2], "the group commit is the window's last operation");
                }
            }
            assertEquals(n, writes);
            assertTrue(severalChunks, "chunks went to the engine together");
        }
        try (SlotStore t = SlotStore.open(p, options(durable))) {
            List<GetResult> got = t.getMany(keys(n));
            for (int i = 0; i < n; i++) {
                assertArrayEquals(StoreTesting.valueFor(name(i), MAX_VALUE), got.get(i).value(), name(i));
            }
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"false, 8192", "true, 8192", "false, 4096", "true, 4096"})
    @Timeout(60)
    void adjacentWholeSlotsOfAChunkGoAsOneWrite(boolean durable, int slot) throws IOException {
        Path p = dir.resolve("runs" + durable + slot + ".store");
        SlotStore.format(p, 64L << 20, slot, false, options(durable));
        int n = 6 * BATCH;
        List<MemorySegment> values = new ArrayList<>();
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // Header, key and value fill every block of the slot (two of 8 KiB, one of 4 KiB): whole
            // slots, side by side. 16 of 4 KiB stay under a run's 128 KiB: the chunk's end ends the run.
            byte[] v = StoreTesting.valueFor(name(i), 8192);
            v = java.util.Arrays.copyOf(v, (slot == 8192 ? 4100 : 3000) + i % 50);
            expected.add(v);
            values.add(MemorySegment.ofArray(v));
        }
        CountingSyncs engine = new CountingSyncs();
        try (SlotStore s = SlotStore.open(p, options(durable), engine)) {
            List<SlotStore.Result> r = s.putMany(keys(n), values);
            assertTrue(r.stream().allMatch(SlotStore.Result::ok), r.toString());
            // One write per chunk of 16 slots (a run never spans chunks): 6, not 96.
            assertEquals(n / BATCH, engine.writes(), "writes for " + n + " adjacent slots");
            for (long len : engine.writeLengths) {
                assertEquals(BATCH * (long) slot, len);
            }
            List<GetResult> got = s.getMany(keys(n));
            for (int i = 0; i < n; i++) {
                assertArrayEquals(expected.get(i), got.get(i).value(), name(i));
            }
        }
        try (SlotStore t = SlotStore.open(p, options(durable))) {
            List<GetResult> got = t.getMany(keys(n));
            for (int i = 0; i < n; i++) {
                assertArrayEquals(expected.get(i), got.get(i).value(), name(i));
            }
            assertTrue(t.check().healthy());
        }
    }

    @Test
    @Timeout(120)
    void anEngineThatPreparesEveryWriteFirstGetsRunsOnlyWhereTheirBuffersFit() throws IOException {
        // psync holds a buffer for every write of a window. Keys alternating between a 4 KiB and an
        // 8 KiB class form no runs, but 32 keys of one class first form one of 128 KiB: every buffer
        // of the window would be 128 KiB, about 4,000 of them. The window goes one write per slot.
        Path p = dir.resolve("held.store");
        StoreOptions o = StoreOptions.defaults().withEngine("psync").withBatchSize(256);
        SlotStore.format(p, 256L << 20, SlotClasses.of(List.of(4096L, 8192L)), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        int n = 4096;
        List<MemorySegment> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            values.add(MemorySegment.ofArray(new byte[i < 32 || i % 2 == 0 ? 4100 : 3000]));
        }
        CountingSyncs engine = new CountingSyncs(new io.rawio.engine.PsyncEngine());
        try (SlotStore s = SlotStore.open(p, o, engine)) {
            assertTrue(s.putMany(keys(n), values).stream().allMatch(SlotStore.Result::ok));
            assertEquals(n, engine.writes(), "one write per slot");
        }
        // The same keys all in the 8 KiB class: runs, and far fewer writes.
        Path q = dir.resolve("held2.store");
        SlotStore.format(q, 256L << 20, SlotClasses.of(List.of(4096L, 8192L)), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        CountingSyncs again = new CountingSyncs(new io.rawio.engine.PsyncEngine());
        try (SlotStore s = SlotStore.open(q, o, again)) {
            List<MemorySegment> same = java.util.Collections.nCopies(n, MemorySegment.ofArray(new byte[4100]));
            assertTrue(s.putMany(keys(n), same).stream().allMatch(SlotStore.Result::ok));
            assertTrue(again.writes() <= n / 16, "runs of 16 slots: " + again.writes());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"uring", "psync"})
    @Timeout(60)
    void aFailedGroupCommitAcknowledgesNoChunkOfItsWindow(String engineName) throws IOException {
        Path p = dir.resolve("flush-" + engineName + ".store");
        SlotStore.format(p, 64L << 20, 32768, false, options(true));
        int n = 6 * BATCH;
        FaultInjectingEngine engine = new FaultInjectingEngine(
                IoEngines.create(engineName, new EngineConfig(BATCH, 1)), FaultConfig.none(7).withFlushErrorOneIn(1));
        try (SlotStore s = SlotStore.open(p, options(true), engine)) {
            List<SlotStore.Result> r = s.putMany(keys(n), values(n));
            // Every chunk's writes completed, but none is durable: none may be acknowledged or visible.
            for (int i = 0; i < n; i++) {
                assertEquals(SlotStore.Status.FAILED, r.get(i).status(), "key " + i + ": " + r.get(i));
            }
            assertTrue(s.isFailed());
            List<GetResult> got = s.getMany(keys(n));
            for (int i = 0; i < n; i++) {
                assertNull(got.get(i).value(), "not in the index: " + name(i));
            }
        }
    }

    @Test
    @Timeout(60)
    void aFailureLateInTheCallKeepsEveryChunkBeforeIt() throws IOException {
        failAt(5 * BATCH + 1, false);
    }

    @Test
    @Timeout(120)
    void manyChunksPerCallRoundTripAcrossRestartsWithFewerBuffersThanWrites() throws IOException {
        Path p = dir.resolve("many.store");
        SlotStore.format(p, 64L << 20, 32768, false, options(false));
        int n = 1500; // more than the ring (about 1,900 slots) holds a quarter of: several batches per call
        try (SlotStore s = SlotStore.open(p, options(false))) {
            assertTrue(s.windowChunks() > 1);
            assertTrue(s.putMany(keys(n), values(n)).stream().allMatch(SlotStore.Result::ok));
            List<GetResult> got = s.getMany(keys(n));
            for (int i = 0; i < n; i++) {
                assertArrayEquals(StoreTesting.valueFor(name(i), MAX_VALUE), got.get(i).value(), name(i));
            }
        }
        try (SlotStore t = SlotStore.open(p, options(false))) {
            List<GetResult> got = t.getMany(keys(n));
            for (int i = 0; i < n; i++) {
                assertArrayEquals(StoreTesting.valueFor(name(i), MAX_VALUE), got.get(i).value(), name(i));
            }
            assertEquals(n, t.stats().keys());
            assertTrue(t.check().healthy());
        }
    }
}
