package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.CheckpointDescriptor.Header;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When and what the checkpointer writes, on a real file, with a ring state built by hand (no store). */
class CheckpointerTest {
    static final long SLOTS = 256;

    @TempDir
    Path dir;
    Path path;
    final StoreOptions options = StoreTesting.psyncOptions();

    @BeforeEach
    void format() throws IOException {
        path = dir.resolve("ckpt.store");
        SlotStore.format(path, RecoveryTest.META + SLOTS * 8192, 8192, false, options);
    }

    StoreFile open() throws IOException {
        return StoreFile.open(path, options, StoreFile.createEngine(options, s -> { }), "");
    }

    /** A ring state over {@code index} as recovery of a fresh store leaves it (generation 1 on disk). */
    static RingState ring(Superblock sb, KeyIndex index, FailureLatch failure) {
        return new RingState(sb, index, new Recovery.Result(0, 1, 0, 0, 0, false), EvictionPolicy.FIFO,
                failure);
    }

    /**
     * A ring state over {@code index} whose ring has {@code written} positions written since the last
     * checkpoint's scan start (0), as recovery leaves it (generation 1 on disk).
     */
    static RingState ringWritten(Superblock sb, KeyIndex index, long written, FailureLatch failure) {
        return new RingState(sb, index, new Recovery.Result(written, 1, 0, 0, written, false), EvictionPolicy.FIFO,
                failure);
    }

    static Header[] headers(CheckpointIo io) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            return io.readHeaders(arena);
        }
    }

    static long newest(Header[] h) {
        return Math.max(h[0] == null ? 0 : h[0].generation(), h[1] == null ? 0 : h[1].generation());
    }

    byte[] regions(Superblock sb) throws IOException {
        byte[] b = new byte[(int) (2 * sb.checkpointSize())];
        try (RandomAccessFile r = new RandomAccessFile(path.toFile(), "r")) {
            r.seek(sb.checkpoint0());
            r.readFully(b);
        }
        return b;
    }

    @Test
    void anEmptyIndexIsCheckpointedUnderTheNextGeneration() throws IOException {
        try (StoreFile f = open()) {
            Superblock sb = f.superblock();
            CheckpointIo io = new CheckpointIo(f);
            FailureLatch failure = new FailureLatch(path);
            Checkpointer c = new Checkpointer(ring(sb, new KeyIndex(SLOTS), failure), io, failure, SLOTS);
            assertEquals(1, newest(headers(io)));
            assertTrue(c.write());
            Header[] h = headers(io);
            assertEquals(2, newest(h));
            assertEquals(2, h[0].generation(), "generation 2 in region 0");
            assertEquals(0, h[0].count());
            assertTrue(c.write());
            h = headers(io);
            assertEquals(3, h[1].generation(), "generation 3 replaces generation 1 in region 1");
            assertEquals(2, h[0].generation());
            assertEquals(2, io.validRegions());
        }
    }

    @Test
    void aCheckpointListsTheIndexAndIsWhatRecoveryLoads() throws IOException {
        try (StoreFile f = open()) {
            Superblock sb = f.superblock();
            CheckpointIo io = new CheckpointIo(f);
            KeyIndex index = new KeyIndex(SLOTS);
            for (int i = 0; i < 30; i++) {
                index.put(key("key-" + i), i, 10 + i, 0x7000 + i);
            }
            FailureLatch failure = new FailureLatch(path);
            RingState ring = new RingState(sb, index, new Recovery.Result(30, 1, 0, 30, 30, false),
                    EvictionPolicy.FIFO, failure);
            assertTrue(new Checkpointer(ring, io, failure, SLOTS).write());
            Header[] h = headers(io);
            assertEquals(2, h[0].generation());
            assertEquals(30, h[0].count());
            assertEquals(30, h[0].scanStart(), "nothing in flight: the scan starts at the cursor");
            // Recovery loads it: the keys come back though no slot holds them.
            KeyIndex loaded = new KeyIndex(SLOTS);
            Recovery.Result r = Recovery.run(f, io, loaded);
            assertFalse(r.fullScan());
            assertEquals(30, loaded.size());
            for (int i = 0; i < 30; i++) {
                int e = loaded.find(key("key-" + i));
                assertTrue(e >= 0, "key-" + i);
                assertEquals(i, loaded.positionAt(e));
                assertEquals(10 + i, loaded.valueLengthAt(e));
                assertEquals(0x7000 + i, loaded.dataCrcAt(e));
            }
        }
    }

    @Test
    void anIndexTooLargeForARegionIsNotCheckpointed() throws IOException {
        long slots = 1200;
        path = dir.resolve("big.store");
        SlotStore.format(path, RecoveryTest.META + slots * 4096, 4096, false, options);
        try (StoreFile f = open()) {
            Superblock sb = f.superblock();
            assertEquals(slots, sb.slotCount(), "test geometry");
            CheckpointIo io = new CheckpointIo(f);
            KeyIndex index = new KeyIndex(slots);
            byte[] pad = new byte[1000];
            Arrays.fill(pad, (byte) 'k');
            int n = 0;
            while (CheckpointDescriptor.payloadLength(index.size(), index.keyBytes()) <= io.maxPayload()) {
                byte[] k = (n + "-" + new String(pad, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
                index.put(k, n, 1, 0);
                n++;
            }
            assertTrue(n < slots, "test geometry: one key per slot");
            byte[] before = regions(sb);
            FailureLatch failure = new FailureLatch(path);
            Checkpointer c = new Checkpointer(ring(sb, index, failure), io, failure, slots);
            assertFalse(c.write());
            assertArrayEquals(before, regions(sb), "nothing written to either region");
            assertEquals(1, newest(headers(io)));

            // One key fewer fits, under the next generation: the refused one did not use it up.
            index.remove(("0-" + new String(pad, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            assertTrue(c.write());
            Header[] h = headers(io);
            assertEquals(2, h[0].generation());
            assertEquals(n - 1, h[0].count());
        }
    }

    @Test
    void aFailedStoreWritesNoCheckpoint() throws IOException {
        try (StoreFile f = open()) {
            Superblock sb = f.superblock();
            CheckpointIo io = new CheckpointIo(f);
            FailureLatch failure = new FailureLatch(path);
            KeyIndex index = new KeyIndex(SLOTS);
            index.put(key("k"), 0, 1, 0);
            // 200 positions written since the last checkpoint: past the automatic checkpoint's 128.
            RingState ring = new RingState(sb, index, new Recovery.Result(200, 1, 0, 1, 200, false),
                    EvictionPolicy.FIFO, failure);
            Checkpointer c = new Checkpointer(ring, io, failure, SLOTS);
            byte[] before = regions(sb);
            failure.fail("write", "injected", new IOException("injected"));
            StoreException.Failed e = assertThrows(StoreException.Failed.class, c::write);
            assertTrue(e.getMessage().contains("injected"), e.getMessage());
            assertArrayEquals(before, regions(sb));
            c.afterWrites(); // neither does the automatic one
            assertArrayEquals(before, regions(sb));
        }
    }

    @Test
    void theAutomaticCheckpointWaitsForMoreThanItsPositions() throws IOException {
        try (StoreFile f = open()) {
            Superblock sb = f.superblock();
            CheckpointIo io = new CheckpointIo(f);
            FailureLatch failure = new FailureLatch(path);
            long auto = new Checkpointer(null, null, null, SLOTS).autoPositions();
            assertEquals(128, auto, "test geometry");
            RingState at = ringWritten(sb, new KeyIndex(SLOTS), auto, failure);
            new Checkpointer(at, io, failure, SLOTS).afterWrites();
            assertEquals(1, newest(headers(io)), "not yet at " + auto + " positions");
            RingState past = ringWritten(sb, new KeyIndex(SLOTS), auto + 1, failure);
            new Checkpointer(past, io, failure, SLOTS).afterWrites();
            Header[] h = headers(io);
            assertEquals(2, newest(h));
            assertEquals(auto + 1, h[0].scanStart());
        }
    }

    @Test
    void theAutomaticCheckpointComesEveryEighthOfTheRingWithinBounds() {
        assertEquals(125_000, new Checkpointer(null, null, null, 1_000_000).autoPositions());
        assertEquals(5_000, new Checkpointer(null, null, null, 40_000).autoPositions());
        assertEquals(4096, new Checkpointer(null, null, null, 32_768).autoPositions());
        assertEquals(4096, new Checkpointer(null, null, null, 10_000).autoPositions(), "at least 4096");
        assertEquals(4096, new Checkpointer(null, null, null, 8192).autoPositions());
        assertEquals(2000, new Checkpointer(null, null, null, 4000).autoPositions(), "at most half the ring");
        assertEquals(32, new Checkpointer(null, null, null, 64).autoPositions());
    }

    static Set<Thread> checkpointThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("rawio-store-checkpoint"))
                .collect(Collectors.toSet());
    }

    /** Commits one put of {@code k} at the ring's cursor, as the write pipeline does after its write landed. */
    static void commitPut(RingState ring, byte[] k) {
        SlotStore.Result[] results = new SlotStore.Result[1];
        WriteWindow w = new WriteWindow(List.of(k), List.of(MemorySegment.ofArray(new byte[3])), results,
                SlotDescriptor.FLAG_LIVE, 0, 1, 1);
        ring.plan(w);
        w.dataCrcs = new int[w.planned.size()];
        ring.commit(w, 0);
        assertTrue(results[0].ok(), String.valueOf(results[0]));
    }

    @Test
    void thePeriodicCheckpointWritesOnlyAfterWritesAndStopsOnClose() throws Exception {
        Set<Thread> before = checkpointThreads();
        try (StoreFile f = open()) {
            Superblock sb = f.superblock();
            CheckpointIo io = new CheckpointIo(f);
            FailureLatch failure = new FailureLatch(path);
            RingState ring = ring(sb, new KeyIndex(SLOTS), failure);
            Checkpointer c = new Checkpointer(ring, io, failure, SLOTS);
            CallGate gate = new CallGate(path);
            c.start(10, gate);
            List<Thread> started = new ArrayList<>(checkpointThreads());
            started.removeAll(before);
            assertEquals(1, started.size(), "one checkpoint thread");
            assertTrue(started.get(0).isDaemon());

            Thread.sleep(300); // some 30 rounds with nothing written
            assertEquals(1, newest(headers(io)), "no checkpoint without writes");

            commitPut(ring, key("k"));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (newest(headers(io)) == 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Header[] h = headers(io);
            assertEquals(2, newest(h), "a checkpoint after a write");
            assertEquals(1, h[0].count());

            c.close();
            c.close(); // idempotent
            for (Thread t : started) {
                t.join(30_000);
                assertFalse(t.isAlive(), "the checkpoint thread ended");
            }
            commitPut(ring, key("k2"));
            Thread.sleep(200);
            assertEquals(2, newest(headers(io)), "no checkpoint after close");
            gate.close();
        }
        Set<Thread> after = checkpointThreads();
        after.removeAll(before);
        assertEquals(Set.of(), after.stream().filter(Thread::isAlive).collect(Collectors.toSet()));
    }

    @Test
    void aClosedGateStopsThePeriodicCheckpoint() throws Exception {
        try (StoreFile f = open()) {
            Superblock sb = f.superblock();
            CheckpointIo io = new CheckpointIo(f);
            FailureLatch failure = new FailureLatch(path);
            RingState ring = ring(sb, new KeyIndex(SLOTS), failure);
            Checkpointer c = new Checkpointer(ring, io, failure, SLOTS);
            CallGate gate = new CallGate(path);
            commitPut(ring, key("k"));
            assertTrue(gate.close());
            c.start(10, gate);
            try {
                Thread.sleep(300);
                assertEquals(1, newest(headers(io)), "a closed store writes no periodic checkpoint");
                assertNull(failure.get());
            } finally {
                c.close();
            }
        }
    }

    /** Waits until every task handed to {@code worker} before now has run. */
    static void drain(java.util.concurrent.ExecutorService worker) throws Exception {
        worker.submit(() -> { }).get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** A single-thread executor whose thread is held by a first task until {@code held} counts down. */
    static java.util.concurrent.ScheduledExecutorService heldWorker(java.util.concurrent.CountDownLatch held) {
        java.util.concurrent.ScheduledExecutorService worker =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        worker.execute(() -> {
            try {
                held.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return worker;
    }

    @Test
    void theOverdueThresholdLeavesAWindowBeforeTheRingComesRound() {
        assertEquals(6144, Checkpointer.overduePositions(16_384), "1.5 times the threshold");
        assertEquals(187_500, Checkpointer.overduePositions(1_000_000), "1.5 times the threshold");
        assertEquals(4903, Checkpointer.overduePositions(9000), "a window of room before the ring comes round");
        assertEquals(1510, Checkpointer.overduePositions(3021), "an odd count of slots too");
        assertEquals(1510, Checkpointer.overduePositions(3020), "a small ring: its writer writes them");
        assertEquals(128, Checkpointer.overduePositions(SLOTS));
        for (long n : new long[] {64, 65, 3020, 3021, 8191, 8192, 8193, 9000, 14_336, 16_384, 100_000, 1_000_000}) {
            long overdue = Checkpointer.overduePositions(n);
            assertTrue(overdue >= Checkpointer.autoPositions(n), "never before the threshold: " + n);
            assertTrue(overdue + Math.min(RingBounds.MAX_AHEAD, n / 2) <= n, "a window of room: " + n);
            if (n <= 8192) {
                assertEquals(Checkpointer.autoPositions(n), overdue, "a small ring's writer writes them: " + n);
            }
        }
    }

    @Test
    void aDueCheckpointIsWrittenOnTheCheckpointThreadUnlessTheWriterIsOverdue() throws Exception {
        Path big = dir.resolve("big.store");
        SlotStore.format(big, RecoveryTest.META + 16_384L * 4096, 4096, false, options);
        try (StoreFile f = StoreFile.open(big, options, StoreFile.createEngine(options, s -> { }), "")) {
            Superblock sb = f.superblock();
            long slots = sb.slotCount();
            CheckpointIo io = new CheckpointIo(f);
            FailureLatch failure = new FailureLatch(big);
            long auto = Checkpointer.autoPositions(slots);
            long overdue = Checkpointer.overduePositions(slots);
            assertTrue(overdue > auto + 1000, "test geometry: " + slots + " slots");
            // Due (auto + 10 positions since the last checkpoint's scan start), not overdue.
            RingState ring = ringWritten(sb, new KeyIndex(sb), auto + 10, failure);
            Checkpointer c = new Checkpointer(ring, io, failure, slots);
            CallGate gate = new CallGate(big);
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.ScheduledExecutorService worker = heldWorker(held);
            c.start(0, gate, worker);
            try {
                c.afterWrites();
                c.afterWrites(); // one is queued: no second
                assertEquals(1, newest(headers(io)), "the writer handed the checkpoint on and went on");

                for (long p = auto + 10; p <= overdue; p++) {
                    commitPut(ring, key("k" + p));
                }
                c.afterWrites();
                Header[] h = headers(io);
                assertEquals(2, newest(h), "an overdue writer writes the checkpoint itself");
                assertEquals(overdue + 1, h[0].scanStart());

                held.countDown();
                drain(worker);
                assertEquals(2, newest(headers(io)), "the queued one found nothing due any more");

                for (long p = 0; p <= auto; p++) {
                    commitPut(ring, key("m" + p));
                }
                c.afterWrites();
                drain(worker);
                h = headers(io);
                assertEquals(3, newest(h), "the checkpoint thread wrote the next one");
                assertEquals(overdue + 1 + auto + 1, h[1].scanStart());
                assertNull(failure.get());
            } finally {
                held.countDown();
                gate.close();
                c.close();
            }
            assertTrue(worker.isShutdown(), "close stops the checkpoint thread");
        }
    }

    @Test
    void aSmallRingsWriterWritesItsCheckpointItself() throws Exception {
        try (StoreFile f = open()) {
            Superblock sb = f.superblock();
            CheckpointIo io = new CheckpointIo(f);
            FailureLatch failure = new FailureLatch(path);
            long auto = Checkpointer.autoPositions(SLOTS);
            RingState ring = ringWritten(sb, new KeyIndex(SLOTS), auto + 1, failure);
            Checkpointer c = new Checkpointer(ring, io, failure, SLOTS);
            CallGate gate = new CallGate(path);
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            c.start(0, gate, heldWorker(held));
            try {
                c.afterWrites();
                Header[] h = headers(io);
                assertEquals(2, newest(h), "written at once, with the checkpoint thread held");
                assertEquals(auto + 1, h[0].scanStart());
            } finally {
                held.countDown();
                gate.close();
                c.close();
            }
        }
    }
}
