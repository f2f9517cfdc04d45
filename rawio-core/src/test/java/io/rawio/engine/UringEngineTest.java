package io.rawio.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.memory.BufferPool;
import io.rawio.uring.IoUring;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the io_uring engines do beyond the shared contract: registered buffers, a ring per thread. */
class UringEngineTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void available() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    @Test
    void uringFixedUsesRegisteredBuffersAndFewSyscalls() throws IOException {
        try (IoEngine engine = IoEngines.create("uring-fixed", new EngineConfig(32));
             IoFile file = engine.open(dir.resolve("f"), OpenOptions.readWrite().withCreate(true).withDirect(true)
                     .withSize(1 << 20));
             BufferPool pool = BufferPool.create(4096, 32, 4096)) {
            ((UringEngine) engine).registerBuffers(pool.region());
            IoBatch batch = new IoBatch(32);
            for (int i = 0; i < 32; i++) {
                MemorySegment b = pool.buffer(i);
                b.fill((byte) i);
                batch.write(file, i * 4096L, b);
            }
            engine.execute(batch);
            batch.throwIfFailed();
            batch.clear();
            for (int i = 0; i < 32; i++) {
                pool.buffer(i).fill((byte) 0);
                batch.read(file, (31 - i) * 4096L, pool.buffer(i));
            }
            long before = engine.syscalls();
            engine.execute(batch);
            batch.throwIfFailed();
            assertEquals(1, engine.syscalls() - before, "32 reads: one io_uring_enter");
            for (int i = 0; i < 32; i++) {
                assertEquals((byte) (31 - i), pool.buffer(i).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 100));
            }
            assertTrue(((UringEngine) engine).notices().stream().noneMatch(n -> n.contains("refused, using plain")),
                    ((UringEngine) engine).notices().toString());
        }
    }

    @Test
    void severalThreadsGetTheirOwnRings() throws Exception {
        try (UringEngine engine = new UringEngine(false, new EngineConfig(4));
             IoFile file = engine.open(dir.resolve("t"), OpenOptions.readWrite().withCreate(true).withSize(1 << 16))) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 3; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (Arena a = Arena.ofConfined()) {
                        IoBatch b = new IoBatch(20);
                        for (int k = 0; k < 20; k++) {
                            b.write(file, (id * 20 + k) * 512L, a.allocate(512).fill((byte) id));
                        }
                        engine.execute(b);
                        b.throwIfFailed();
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(errors.isEmpty(), errors.toString());
            byte[] data = Files.readAllBytes(dir.resolve("t"));
            assertEquals(2, data[2 * 20 * 512 + 5]);
        }
    }

    /**
     * An io_uring_enter that fails after the kernel took the SQEs: the writes it took are waited for and
     * keep their results (their buffers are not handed back while the kernel may still read them), and
     * only the operations never issued get the error.
     */
    @Test
    void aRingThatFailsWaitsForWhatTheKernelTookBeforeTheBatchEnds() throws IOException {
        try (UringEngine engine = new UringEngine(false, new EngineConfig(32, 8));
             IoFile file = engine.open(dir.resolve("failed"), OpenOptions.readWrite().withCreate(true).withDirect(true)
                     .withSize(32 * 65536L));
             BufferPool pool = BufferPool.create(65536, 32, 4096)) {
            java.util.concurrent.atomic.AtomicInteger enters = new java.util.concurrent.atomic.AtomicInteger();
            // The first submit (of the first 8 SQEs) goes to the kernel, then reports EFAULT.
            engine.enterOutcome = s -> enters.getAndIncrement() == 0 ? -io.rawio.nativeio.Errno.EFAULT : s;
            IoBatch batch = new IoBatch(32);
            for (int i = 0; i < 32; i++) {
                batch.write(file, i * 65536L, pool.buffer(i).fill((byte) (i + 1)));
            }
            engine.execute(batch);
            engine.enterOutcome = null;
            for (int i = 0; i < 8; i++) {
                assertEquals(65536, batch.result(i), "write " + i + " was in the kernel: its own result");
            }
            for (int i = 8; i < 32; i++) {
                assertEquals(-io.rawio.nativeio.Errno.EFAULT, batch.result(i), "write " + i + " never issued");
            }
            byte[] data = Files.readAllBytes(dir.resolve("failed"));
            for (int i = 0; i < 8; i++) {
                assertEquals((byte) (i + 1), data[i * 65536 + 65535], "write " + i + " reached the file");
            }
            // The thread's next batch runs on a new ring.
            IoBatch again = new IoBatch(1);
            again.write(file, 8 * 65536L, pool.buffer(8));
            engine.execute(again);
            again.throwIfFailed();
        }
    }

    @Test
    void closedEngineIsRefused() throws IOException {
        UringEngine engine = new UringEngine(false, new EngineConfig(4));
        engine.close();
        engine.close();
        assertTrue(engine.isClosed());
    }

    /**
     * A thread's uring-fixed ring registers the files it uses; only that thread can unregister them
     * (SINGLE_ISSUER), so without releaseThread the file's flock outlives its close and the engine's.
     */
    @Test
    void aReleasedThreadsRingNoLongerHoldsItsFiles() throws Exception {
        Path p = dir.resolve("locked");
        Files.write(p, new byte[1 << 16]);
        for (int round = 0; round < 5; round++) {
            UringEngine engine = new UringEngine(true, new EngineConfig(4));
            IoFile file = engine.open(p, OpenOptions.readWrite());
            assertTrue(file.nativeFile().flock(io.rawio.nativeio.LinuxConstants.LOCK_EX
                    | io.rawio.nativeio.LinuxConstants.LOCK_NB), "round " + round + ": the file is free");
            Throwable[] failed = new Throwable[1];
            Thread t = Thread.ofPlatform().start(() -> {
                try (Arena a = Arena.ofConfined()) {
                    IoBatch b = new IoBatch(1);
                    b.write(file, 0, a.allocate(512).fill((byte) 7));
                    engine.execute(b);
                    b.throwIfFailed();
                    engine.releaseThread();
                } catch (Throwable e) {
                    failed[0] = e;
                }
            });
            t.join();
            assertEquals(null, failed[0]);
            file.close();
            engine.close();
        }
        try (UringEngine engine = new UringEngine(false, new EngineConfig(4));
             IoFile file = engine.open(p, OpenOptions.readWrite())) {
            assertTrue(file.nativeFile().flock(io.rawio.nativeio.LinuxConstants.LOCK_EX
                    | io.rawio.nativeio.LinuxConstants.LOCK_NB), "the file is free after the last round");
        }
    }
}
