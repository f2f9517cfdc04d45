package io.rawio.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.uring.CqeStash;
import io.rawio.uring.IoUring;
import io.rawio.uring.IoUringConstants;
import io.rawio.uring.SqeDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batches started on a ring the thread shares with its owner ({@link IoEngine#start}): they complete as
 * the owner reaps the ring and hands the engine's completions back, the owner's own completions stay
 * the owner's, and a batch run meanwhile, or an await, finishes them.
 */
class UringStartedBatchesTest {
    private static final int BLOCK = 4096;
    /** user_data of the owner's own request: a kind in the top byte, as an event loop tags them. */
    private static final long OWNER_TAG = (3L << 56) | 7;

    @TempDir
    Path dir;

    @BeforeAll
    static void available() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    /** A batch of {@code n} block writes whose buffers the preparer fills (op i: bytes of value i + 1), then a sync. */
    private static IoBatch writes(IoFile file, Arena arena, int n, List<Integer> told) {
        IoBatch b = new IoBatch(n + 1);
        for (int i = 0; i < n; i++) {
            b.write(file, (long) i * BLOCK, MemorySegment.NULL);
        }
        b.fdatasync(file);
        b.preparer(i -> {
            if (i < n) {
                MemorySegment buf = arena.allocate(BLOCK, BLOCK);
                buf.fill((byte) (i + 1));
                b.buffer(i, buf);
            }
        });
        b.completer(told::add);
        return b;
    }

    /**
     * A uring engine of queue depth {@code depth} whose batches share a ring the test owns (its other
     * completions go to a stash), an O_DIRECT file of {@code bytes}, and an arena for buffers.
     */
    private record Shared(IoEngine engine, IoFile file, IoUring ring, Arena arena, CqeStash stash)
            implements AutoCloseable {
        static Shared open(Path path, int depth, long bytes) throws IOException {
            IoEngine engine = IoEngines.create("uring", new EngineConfig(depth));
            IoFile file = null;
            try {
                file = engine.open(path, OpenOptions.readWrite().withCreate(true).withDirect(true).withSize(bytes));
                IoUring ring = IoUring.create(IoUring.Setup.of(64));
                CqeStash stash = new CqeStash();
                if (!engine.shareRing(ring, stash)) {
                    ring.close();
                    throw new AssertionError("the uring engine shares the ring");
                }
                return new Shared(engine, file, ring, Arena.ofConfined(), stash);
            } catch (IOException | RuntimeException | Error e) {
                if (file != null) {
                    file.close();
                }
                engine.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                arena.close();
                ring.close();
                file.close();
            } finally {
                engine.close();
            }
        }
    }

    private static void nop(IoUring ring, long userData) {
        long sqe = ring.nextSqeOffset();
        SqeDescriptor.prep(ring.sqeArray(), sqe, IoUringConstants.IORING_OP_NOP, -1, 0, 0, 0, userData);
    }

    private static void assertWritten(IoEngine engine, IoFile file, Arena arena, int n) {
        IoBatch check = new IoBatch(n);
        MemorySegment[] bufs = new MemorySegment[n];
        for (int i = 0; i < n; i++) {
            bufs[i] = arena.allocate(BLOCK, BLOCK);
            check.read(file, (long) i * BLOCK, bufs[i]);
        }
        engine.execute(check);
        for (int i = 0; i < n; i++) {
            assertEquals(BLOCK, check.result(i));
            assertEquals((byte) (i + 1), bufs[i].get(ValueLayout.JAVA_BYTE, BLOCK - 1), "block " + i);
        }
    }

    @Test
    void aStartedBatchCompletesAsTheOwnerReapsItsRing() throws IOException {
        int n = 20; // five times the queue depth: refilled as completions come back
        try (Shared s = Shared.open(dir.resolve("f"), 4, (long) n * BLOCK)) {
            IoEngine engine = s.engine();
            IoFile file = s.file();
            IoUring ring = s.ring();
            Arena arena = s.arena();
            List<Integer> told = new ArrayList<>();
            IoBatch batch = writes(file, arena, n, told);
            AtomicInteger dones = new AtomicInteger();
            AtomicReference<RuntimeException> thrown = new AtomicReference<>();
            engine.start(batch, t -> {
                dones.incrementAndGet();
                thrown.set(t);
            });
            assertEquals(0, dones.get(), "nothing completes before the owner reaps");
            assertEquals(1, engine.startedInFlight());
            nop(ring, OWNER_TAG);
            List<Long> owners = new ArrayList<>();
            for (int round = 0; round < 10_000 && dones.get() == 0; round++) {
                ring.submitAndWait(1);
                ring.reap((userData, res, flags) -> {
                    if (!engine.ringCompletion(userData, res)) {
                        owners.add(userData);
                    }
                });
                engine.runStarted();
            }
            assertEquals(1, dones.get(), "done once");
            assertNull(thrown.get());
            assertEquals(0, engine.startedInFlight());
            assertEquals(List.of(OWNER_TAG), owners, "the owner's completion stays the owner's");
            for (int i = 0; i <= n; i++) {
                assertEquals(i < n ? BLOCK : 0, batch.result(i), "op " + i);
            }
            assertEquals(n + 1, told.size(), "the completer told of every operation: " + told);
            assertEquals(n, told.getLast(), "the sync last, after every write");
            assertWritten(engine, file, arena, n);
            engine.unshareRing();
        }
    }

    @Test
    void aBatchRunMeanwhileKeepsTheStartedOnesCompletionsAndAnAwaitEndsThem() throws IOException {
        int n = 12;
        try (Shared s = Shared.open(dir.resolve("f"), 4, (long) (n + 8) * BLOCK)) {
            IoEngine engine = s.engine();
            IoFile file = s.file();
            IoUring ring = s.ring();
            Arena arena = s.arena();
            CqeStash stash = s.stash();
            List<Integer> told = new ArrayList<>();
            AtomicInteger dones = new AtomicInteger();
            IoBatch first = writes(file, arena, n, told);
            engine.start(first, t -> dones.incrementAndGet());
            nop(ring, OWNER_TAG);
            // A batch of the thread's own, run meanwhile: it reaps the ring, the started batch's completions
            // are kept for it and the owner's go to the stash.
            IoBatch other = new IoBatch(1);
            MemorySegment b = arena.allocate(BLOCK, BLOCK);
            b.fill((byte) 9);
            other.write(file, (long) (n + 4) * BLOCK, b);
            engine.execute(other);
            assertEquals(BLOCK, other.result(0));
            // A second batch started while the first is in flight.
            List<Integer> told2 = new ArrayList<>();
            IoBatch second = new IoBatch(1);
            second.fdatasync(file);
            second.completer(told2::add);
            engine.start(second, t -> dones.incrementAndGet());
            engine.awaitStarted();
            assertEquals(2, dones.get());
            assertEquals(0, engine.startedInFlight());
            assertEquals(n + 1, told.size());
            assertEquals(List.of(0), told2);
            assertEquals(0, second.result(0));
            assertWritten(engine, file, arena, n);
            List<Long> owners = new ArrayList<>();
            stash.drainTo((userData, res, flags) -> owners.add(userData));
            assertEquals(List.of(OWNER_TAG), owners, "the owner's completion, reaped by the engine, kept for it");
            engine.unshareRing();
        }
    }

    @Test
    void whatAPreparerThrowsEndsTheBatchAndReachesDone() throws IOException {
        try (Shared s = Shared.open(dir.resolve("f"), 2, 16L * BLOCK)) {
            IoEngine engine = s.engine();
            IoFile file = s.file();
            IoUring ring = s.ring();
            Arena arena = s.arena();
            IoBatch batch = new IoBatch(8);
            for (int i = 0; i < 8; i++) {
                batch.write(file, (long) i * BLOCK, MemorySegment.NULL);
            }
            IllegalStateException boom = new IllegalStateException("boom");
            batch.preparer(i -> {
                if (i == 5) {
                    throw boom;
                }
                batch.buffer(i, arena.allocate(BLOCK, BLOCK));
            });
            AtomicReference<RuntimeException> thrown = new AtomicReference<>();
            AtomicInteger dones = new AtomicInteger();
            engine.start(batch, t -> {
                dones.incrementAndGet();
                thrown.set(t);
            });
            engine.awaitStarted();
            assertEquals(1, dones.get());
            assertSame(boom, thrown.get());
            for (int i = 0; i < 5; i++) {
                assertEquals(BLOCK, batch.result(i), "issued before the throw: " + i);
            }
            for (int i = 5; i < 8; i++) {
                assertEquals(IoBatch.NOT_EXECUTED, batch.result(i), "never issued: " + i);
            }
            engine.unshareRing();
        }
    }

    /**
     * A store that failed cancels every write it has not issued: a started batch whose operations all
     * fail their precheck, far more of them than the queue depth, with nothing in flight to complete,
     * still ends.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aBatchWhoseOperationsAreAllCanceledStillEnds() throws IOException {
        int n = 64; // sixteen times the queue depth
        try (Shared s = Shared.open(dir.resolve("f"), 4, (long) n * BLOCK)) {
            IoEngine engine = s.engine();
            IoFile file = s.file();
            IoUring ring = s.ring();
            Arena arena = s.arena();
            IoBatch batch = new IoBatch(n + 1);
            for (int i = 0; i < n; i++) {
                batch.write(file, (long) i * BLOCK, MemorySegment.NULL);
            }
            batch.fdatasync(file);
            List<Integer> told = new ArrayList<>();
            batch.preparer(i -> {
                if (i == 0) {
                    batch.buffer(i, arena.allocate(BLOCK, BLOCK));
                } else {
                    batch.cancel(i); // as the store's preparer does once it failed
                }
            });
            batch.completer(told::add);
            AtomicInteger dones = new AtomicInteger();
            engine.start(batch, t -> dones.incrementAndGet());
            engine.awaitStarted();
            assertEquals(1, dones.get());
            assertEquals(BLOCK, batch.result(0));
            for (int i = 1; i <= n; i++) {
                assertEquals(-io.rawio.nativeio.Errno.ECANCELED, batch.result(i), "op " + i);
            }
            assertEquals(n + 1, told.size(), "the completer told of every operation");
            engine.unshareRing();
        }
    }

    /**
     * An io_uring_enter that fails after the kernel took some SQEs: the started batch's operations the kernel
     * took are waited for and keep their own results (their buffers are the kernel's until then), and only
     * those never issued end with the error.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aFailedEnterWaitsForWhatTheKernelTookBeforeTheStartedBatchEnds() throws IOException {
        int n = 8;
        try (Shared s = Shared.open(dir.resolve("e"), 4, (long) n * BLOCK)) {
            UringEngine engine = (UringEngine) s.engine();
            IoBatch batch = writes(s.file(), s.arena(), n, new ArrayList<>());
            AtomicInteger dones = new AtomicInteger();
            AtomicReference<RuntimeException> thrown = new AtomicReference<>();
            engine.start(batch, t -> {
                dones.incrementAndGet();
                thrown.set(t);
            });
            AtomicInteger enters = new AtomicInteger();
            // The first enter submits what the batch issued, then reports EFAULT.
            engine.enterOutcome = r -> enters.getAndIncrement() == 0 ? -io.rawio.nativeio.Errno.EFAULT : r;
            try {
                engine.awaitStarted();
            } finally {
                engine.enterOutcome = null;
            }
            assertEquals(1, dones.get());
            assertTrue(thrown.get() != null && thrown.get().getMessage().contains("EFAULT"), String.valueOf(thrown.get()));
            int took = 0;
            while (took < n && batch.result(took) == BLOCK) {
                took++;
            }
            assertTrue(took > 0, "the writes the kernel took keep their results: " + batch.result(0));
            for (int i = took; i <= n; i++) { // issued and not taken: the error; never issued: no result
                long r = batch.result(i);
                assertTrue(r == -io.rawio.nativeio.Errno.EFAULT || r == IoBatch.NOT_EXECUTED, "op " + i + ": " + r);
            }
            assertWritten(engine, s.file(), s.arena(), took);
            engine.unshareRing();
        }
    }

    /**
     * A batch run on the shared ring whose enter fails drops the ring: the batches started there first wait
     * for what the kernel took of theirs (their buffers are the kernel's until then), which keeps its results.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aFailedBatchRunOnTheSharedRingWaitsForTheStartedOnesBeforeItDropsTheRing() throws IOException {
        int n = 4;
        try (Shared s = Shared.open(dir.resolve("d"), 8, (long) (n + 1) * BLOCK)) {
            UringEngine engine = (UringEngine) s.engine();
            IoBatch started = writes(s.file(), s.arena(), n, new ArrayList<>());
            AtomicInteger dones = new AtomicInteger();
            AtomicReference<RuntimeException> thrown = new AtomicReference<>();
            engine.start(started, t -> {
                dones.incrementAndGet();
                thrown.set(t);
            });
            IoBatch read = new IoBatch(1);
            read.read(s.file(), (long) n * BLOCK, s.arena().allocate(BLOCK, BLOCK));
            AtomicInteger enters = new AtomicInteger();
            // The read's enter submits the started writes' SQEs with its own, then reports EFAULT.
            engine.enterOutcome = r -> enters.getAndIncrement() == 0 ? -io.rawio.nativeio.Errno.EFAULT : r;
            try {
                engine.execute(read);
            } finally {
                engine.enterOutcome = null;
            }
            assertEquals(1, dones.get(), "the started batch ended with the ring");
            for (int i = 0; i < n; i++) {
                assertEquals(BLOCK, started.result(i), "write " + i + " was in the kernel: its own result");
            }
            long sync = started.result(n);
            assertTrue(sync == -io.rawio.nativeio.Errno.EIO || sync == IoBatch.NOT_EXECUTED || sync == 0, "sync: " + sync);
            if (sync != 0) {
                assertTrue(thrown.get() != null, "a batch an operation of which failed is told so");
            }
            assertWritten(engine, s.file(), s.arena(), n);
        }
    }

    /**
     * A ring that fails ends its started batches with the error, once, and starts none after; the
     * completions of their operations that come later are dropped (never handed to the owner, never
     * taken for another batch's), while the owner's own still reach it.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aFailedRingEndsItsStartedBatchesAndDropsTheirLateCompletions() throws IOException {
        int n = 8;
        try (Shared s = Shared.open(dir.resolve("f"), 4, (long) n * BLOCK)) {
            IoEngine engine = s.engine();
            IoFile file = s.file();
            IoUring ring = s.ring();
            Arena arena = s.arena();
            IoBatch batch = writes(file, arena, n, new ArrayList<>());
            AtomicInteger dones = new AtomicInteger();
            AtomicReference<RuntimeException> thrown = new AtomicReference<>();
            engine.start(batch, t -> {
                dones.incrementAndGet();
                thrown.set(t);
            });
            assertEquals(1, engine.startedInFlight());
            ((UringEngine) engine).abandonStarted(-io.rawio.nativeio.Errno.EIO);
            assertEquals(1, dones.get(), "done once, at the failure");
            assertTrue(thrown.get() != null && thrown.get().getMessage().contains("EIO"), String.valueOf(thrown.get()));
            assertEquals(0, engine.startedInFlight());
            IoBatch later = writes(file, arena, 1, new ArrayList<>());
            IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> engine.start(later, t -> dones.incrementAndGet()));
            assertTrue(refused.getMessage().contains("failed"), refused.getMessage());
            // The abandoned writes were issued (their SQEs in the ring): the owner's reaps meet them later.
            nop(ring, OWNER_TAG);
            List<Long> owners = new ArrayList<>();
            int dropped = 0;
            for (int round = 0; round < 10_000 && (owners.isEmpty() || dropped < 4); round++) {
                ring.submitAndWait(1);
                int[] d = {0};
                ring.reap((userData, res, flags) -> {
                    if (engine.ringCompletion(userData, res)) {
                        d[0]++;
                    } else {
                        owners.add(userData);
                    }
                });
                dropped += d[0];
                engine.runStarted();
            }
            assertEquals(List.of(OWNER_TAG), owners, "only the owner's own completion reaches it");
            assertEquals(4, dropped, "the queue depth's worth of issued writes, dropped");
            assertEquals(1, dones.get(), "no second done");
            engine.unshareRing();
        }
    }

    @Test
    void withoutASharedRingABatchRunsAtOnce() throws IOException {
        for (String name : List.of("uring", "psync")) {
            try (IoEngine engine = IoEngines.create(name, new EngineConfig(4));
                 IoFile file = engine.open(dir.resolve(name), OpenOptions.readWrite().withCreate(true)
                         .withDirect(true).withSize(8L * BLOCK));
                 Arena arena = Arena.ofConfined()) {
                List<Integer> told = new ArrayList<>();
                IoBatch batch = writes(file, arena, 4, told);
                AtomicInteger dones = new AtomicInteger();
                engine.start(batch, t -> dones.incrementAndGet());
                assertEquals(1, dones.get(), name + ": done before start returned");
                assertEquals(5, told.size());
                assertFalse(engine.ringCompletion(1L << 32, 0), "nothing started to hand back");
                assertEquals(0, engine.startedInFlight());
                assertWritten(engine, file, arena, 4);
            }
        }
    }
}
