package io.rawio.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.libaio.AioContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engines that keep a context per thread (an AIO context, aiocbs) let a thread's go when it says it is
 * done ({@link IoEngine#releaseThread}), not only when the engine closes: a server's connection threads
 * come and go, and each context left behind holds the system's AIO slots or memory until then.
 */
class ReleaseThreadTest {
    @TempDir
    Path dir;

    /** {@code threads} threads each write once, and let go of their context as they end if {@code release}. */
    private static void writeFromThreads(IoEngine engine, IoFile file, int threads, boolean release) throws Exception {
        Thread[] ts = new Thread[threads];
        Throwable[] failed = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            int at = t;
            ts[t] = new Thread(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment b = arena.allocate(4096, 4096);
                    b.fill((byte) at);
                    IoBatch batch = new IoBatch(1);
                    batch.write(file, at * 4096L, b);
                    engine.execute(batch);
                    batch.throwIfFailed();
                    if (release) {
                        engine.releaseThread();
                        engine.releaseThread(); // a second time: nothing left to let go of
                    }
                } catch (Throwable e) {
                    failed[0] = e;
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join(30_000);
        }
        if (failed[0] != null) {
            throw new AssertionError("a writing thread failed", failed[0]);
        }
    }

    private void threadsLeaveNoContextBehind(String name, ToIntFunction<IoEngine> contexts) throws Exception {
        try (IoEngine engine = IoEngines.create(name, new EngineConfig(8));
             IoFile file = engine.open(dir.resolve(name), OpenOptions.readWrite().withCreate(true).withSize(8 * 4096L))) {
            writeFromThreads(engine, file, 8, false);
            assertEquals(8, contexts.applyAsInt(engine), "threads that did not let go keep theirs until the engine closes");
            writeFromThreads(engine, file, 8, true);
            assertEquals(8, contexts.applyAsInt(engine), "eight more threads that let go of theirs: still 8");
            // A thread that let go of its context runs batches again with a new one.
            try (Arena arena = Arena.ofConfined()) {
                for (int round = 0; round < 2; round++) {
                    IoBatch batch = new IoBatch(1);
                    batch.write(file, 0, arena.allocate(4096, 4096));
                    engine.execute(batch);
                    batch.throwIfFailed();
                    assertEquals(9, contexts.applyAsInt(engine));
                    engine.releaseThread();
                    assertEquals(8, contexts.applyAsInt(engine));
                }
            }
        }
    }

    @Test
    void libaioLetsGoOfAThreadsAioContext() throws Exception {
        assumeTrue(AioContext.available(), () -> "native AIO unavailable: " + AioContext.unavailableReason().orElse(""));
        threadsLeaveNoContextBehind("libaio", e -> ((LibaioEngine) e).threadContexts());
    }

    @Test
    void posixaioLetsGoOfAThreadsAiocbs() throws Exception {
        assumeTrue(PosixAioEngine.unavailableReason().isEmpty(), () -> "POSIX AIO unavailable: " + PosixAioEngine.unavailableReason().orElse(""));
        threadsLeaveNoContextBehind("posixaio", e -> ((PosixAioEngine) e).threadContexts());
    }
}
