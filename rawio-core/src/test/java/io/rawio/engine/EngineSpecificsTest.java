package io.rawio.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.LinuxConstants;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What distinguishes one engine from another, beyond the shared contract. */
class EngineSpecificsTest {
    @TempDir
    Path dir;

    private static long syscallsFor(IoEngine engine, Path path, int ops) throws IOException {
        try (Arena arena = Arena.ofConfined();
             IoFile file = engine.open(path, OpenOptions.readWrite().withCreate(true).withSize(ops * 4096L))) {
            MemorySegment buf = arena.allocate(ops * 4096L);
            IoBatch batch = new IoBatch(ops);
            for (int i = 0; i < ops; i++) {
                batch.write(file, i * 4096L, buf.asSlice(i * 4096L, 4096));
            }
            long before = engine.syscalls();
            engine.execute(batch);
            batch.throwIfFailed();
            return engine.syscalls() - before;
        }
    }

    @Test
    void pvsyncCoalescesAdjacentOperationsIntoOneCall() throws IOException {
        try (IoEngine psync = new PsyncEngine(); IoEngine pvsync = new PvsyncEngine()) {
            assertEquals(8, syscallsFor(psync, dir.resolve("a"), 8));
            assertEquals(1, syscallsFor(pvsync, dir.resolve("b"), 8));
        }
    }

    @Test
    void pvsyncSplitsRunsAtGapsAndDirectionChanges() throws IOException {
        try (IoEngine pvsync = new PvsyncEngine(); Arena arena = Arena.ofConfined();
             IoFile file = pvsync.open(dir.resolve("g"), OpenOptions.readWrite().withCreate(true).withSize(1 << 16))) {
            MemorySegment buf = arena.allocate(4096);
            IoBatch batch = new IoBatch(8);
            batch.write(file, 0, buf);
            batch.write(file, 4096, buf);
            batch.write(file, 12288, buf); // gap
            batch.read(file, 16384, arena.allocate(4096)); // direction change
            assertEquals(2, PvsyncEngine.groupEndForTest(batch, 0));
            assertEquals(3, PvsyncEngine.groupEndForTest(batch, 2));
            long before = pvsync.syscalls();
            pvsync.execute(batch);
            batch.throwIfFailed();
            assertEquals(3, pvsync.syscalls() - before);
        }
    }

    @Test
    void mmapCannotGrowAFileAndSaysHow() throws IOException {
        try (IoEngine mmap = new MmapEngine(); Arena arena = Arena.ofConfined();
             IoFile file = mmap.open(dir.resolve("m"), OpenOptions.readWrite().withCreate(true).withSize(4096)
                     .withMadvise(LinuxConstants.MADV_RANDOM))) {
            IoBatch batch = new IoBatch(1);
            batch.write(file, 4000, arena.allocate(200));
            mmap.execute(batch);
            assertEquals(-Errno.EFBIG, batch.result(0));
            assertTrue(batch.failure(0).getMessage().contains("OpenOptions.withSize"));
        }
    }

    @Test
    void mmapOfAnEmptyFileReadsNothing() throws IOException {
        Path p = Files.createFile(dir.resolve("empty"));
        try (IoEngine mmap = new MmapEngine(); Arena arena = Arena.ofConfined();
             IoFile file = mmap.open(p, OpenOptions.readOnly())) {
            IoBatch batch = new IoBatch(1);
            batch.read(file, 0, arena.allocate(10));
            mmap.execute(batch);
            assertEquals(0, batch.result(0));
        }
    }

    @Test
    void registryKnowsTheEnginesAndRefusesUnknownNames() {
        List<String> names = IoEngines.names();
        assertTrue(names.containsAll(List.of("psync", "pvsync", "filechannel", "mmap", "libaio")), names.toString());
        for (String n : List.of("psync", "pvsync", "filechannel", "mmap")) {
            try (IoEngine e = IoEngines.create(n)) {
                assertEquals(n, e.name());
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IoEngines.create("aio2"));
        assertTrue(e.getMessage().contains("unknown engine: aio2"), e.getMessage());
        assertTrue(e.getMessage().contains("psync"), "lists the known engines");
    }

    @Test
    void theOldNameAioIsRefusedWithWhatItBecame() {
        assertTrue(IoEngines.kind("aio").isEmpty());
        assertTrue(IoEngines.kind("asyncchannel").isPresent());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IoEngines.create("aio"));
        assertEquals("unknown engine: aio (renamed: asyncchannel is java.nio's AsynchronousFileChannel;"
                + " libaio is Linux native AIO)", e.getMessage());
        try (IoEngine a = IoEngines.create("asyncchannel")) {
            assertEquals("asyncchannel", a.name());
        }
    }

    @Test
    void fallbackIsTakenAndSaid() {
        IoEngines.register(new IoEngines.Kind("test-broken", "never available", c -> new PsyncEngine(),
                () -> java.util.Optional.of("no such hardware"), "pvsync"));
        StringBuilder notice = new StringBuilder();
        try (IoEngine e = IoEngines.createWithFallback("test-broken", EngineConfig.DEFAULT, notice::append)) {
            assertEquals("pvsync", e.name());
        }
        assertTrue(notice.toString().contains("no such hardware"), notice.toString());
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                () -> IoEngines.create("test-broken"));
        assertTrue(u.getMessage().contains("no such hardware"));
    }
}
