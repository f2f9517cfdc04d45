package io.rawio.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.libaio.AioContext;
import io.rawio.memory.BufferPool;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the libaio engine does beyond the shared contract: queue-sized submissions, buffered files. */
class LibaioEngineTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void available() {
        assumeTrue(AioContext.available(), () -> "native AIO unavailable: " + AioContext.unavailableReason().orElse(""));
    }

    /**
     * Before Linux 4.18 io_submit refuses IOCB_CMD_FSYNC/FDSYNC; the engine then makes each sync a system
     * call, after the writes before it completed. Simulated here (this kernel has them).
     */
    @Test
    void syncsBecomeSystemCallsWhereTheKernelRefusesThemAsIocbs() throws IOException {
        LibaioEngine.refuseKernelSyncForTests(true);
        try (IoEngine engine = IoEngines.create("libaio", new EngineConfig(8));
             BufferPool pool = BufferPool.create(4096, 4, 4096)) {
            try (IoFile file = engine.open(dir.resolve("s"), OpenOptions.readWrite().withCreate(true).withSize(4 * 4096L))) {
                IoBatch batch = new IoBatch(6);
                for (int i = 0; i < 4; i++) {
                    pool.buffer(i).fill((byte) (i + 1));
                    batch.write(file, i * 4096L, pool.buffer(i));
                    if (i == 1) {
                        batch.fdatasync(file);
                    }
                }
                batch.fsync(file);
                engine.execute(batch);
                batch.throwIfFailed();
                for (int i = 0; i < batch.size(); i++) {
                    assertTrue(batch.result(i) >= 0, "op " + i + ": " + batch.result(i));
                }
                assertEquals(2, ((LibaioEngine) engine).syncsBySystemCall(), "the two syncs were system calls");
            }
            byte[] got = Files.readAllBytes(dir.resolve("s"));
            for (int i = 0; i < 4; i++) {
                assertEquals((byte) (i + 1), got[i * 4096 + 4095]);
            }
        } finally {
            LibaioEngine.refuseKernelSyncForTests(false);
        }
    }

    @Test
    void aDirectBatchLargerThanTheQueueReturnsEveryBlock() throws IOException {
        int n = 100;
        try (IoEngine engine = IoEngines.create("libaio", new EngineConfig(4));
             BufferPool pool = BufferPool.create(4096, n, 4096)) {
            OpenOptions direct = OpenOptions.readWrite().withCreate(true).withDirect(true).withSize(n * 4096L);
            IoFile file;
            try {
                file = engine.open(dir.resolve("f"), direct);
            } catch (IOException e) {
                assumeTrue(false, "O_DIRECT unavailable here: " + e.getMessage());
                return;
            }
            try (file) {
                IoBatch batch = new IoBatch(n);
                for (int i = 0; i < n; i++) {
                    pool.buffer(i).fill((byte) i);
                    batch.write(file, i * 4096L, pool.buffer(i));
                }
                engine.execute(batch);
                batch.throwIfFailed();
                batch.clear();
                for (int i = 0; i < n; i++) {
                    pool.buffer(i).fill((byte) -1);
                    batch.read(file, (n - 1 - i) * 4096L, pool.buffer(i));
                }
                engine.execute(batch);
                batch.throwIfFailed();
                for (int i = 0; i < n; i++) {
                    assertEquals(4096, batch.result(i));
                    assertEquals((byte) (n - 1 - i), pool.buffer(i).get(ValueLayout.JAVA_BYTE, 4095));
                }
            }
        }
    }

    @Test
    void aBufferedFileReadsAndItsLastReadIsShortAtEndOfFile() throws IOException {
        Path path = dir.resolve("buffered");
        byte[] content = new byte[10_000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 7);
        }
        Files.write(path, content);
        try (IoEngine engine = IoEngines.create("libaio", new EngineConfig(2));
             IoFile file = engine.open(path, OpenOptions.readOnly());
             Arena arena = Arena.ofConfined()) {
            IoBatch batch = new IoBatch(4);
            MemorySegment[] bufs = new MemorySegment[3];
            for (int i = 0; i < 3; i++) {
                bufs[i] = arena.allocate(4096);
                batch.read(file, i * 4096L, bufs[i]);
            }
            batch.fsync(file);
            engine.execute(batch);
            batch.throwIfFailed();
            assertEquals(4096, batch.result(0));
            assertEquals(4096, batch.result(1));
            assertEquals(10_000 - 8192, batch.result(2));
            assertEquals(0, batch.result(3));
            for (int i = 0; i < 3; i++) {
                long len = batch.result(i);
                byte[] got = bufs[i].asSlice(0, len).toArray(ValueLayout.JAVA_BYTE);
                byte[] want = java.util.Arrays.copyOfRange(content, i * 4096, (int) (i * 4096 + len));
                assertTrue(java.util.Arrays.equals(want, got), "read " + i);
            }
        }
    }
}
