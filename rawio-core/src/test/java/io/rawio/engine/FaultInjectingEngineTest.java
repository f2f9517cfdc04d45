package io.rawio.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.nativeio.Errno;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultInjectingEngineTest {
    @TempDir
    Path dir;

    private static FaultInjectingEngine.FaultConfig none() {
        return FaultInjectingEngine.FaultConfig.none(7);
    }

    @Test
    void everyWriteFailsAndNothingChanges() throws IOException {
        Path p = Files.write(dir.resolve("f"), new byte[8192]);
        try (FaultInjectingEngine e = new FaultInjectingEngine(new PsyncEngine(), none().withEnospc(1));
             IoFile f = e.open(p, OpenOptions.readWrite()); Arena a = Arena.ofConfined()) {
            IoBatch b = new IoBatch(2);
            b.write(f, 0, a.allocate(4096).fill((byte) 1));
            b.write(f, 4096, a.allocate(4096).fill((byte) 1));
            e.execute(b);
            assertEquals(-Errno.ENOSPC, b.result(0));
            assertEquals(-Errno.ENOSPC, b.result(1));
            assertEquals(2, e.injected().enospc());
        }
        assertArrayEquals(new byte[8192], Files.readAllBytes(p));
    }

    @Test
    void aTornWriteLeavesABlockPrefix() throws IOException {
        Path p = Files.write(dir.resolve("t"), new byte[16 * 4096]);
        try (FaultInjectingEngine e = new FaultInjectingEngine(new PsyncEngine(), none().withTornWrites(1));
             IoFile f = e.open(p, OpenOptions.readWrite()); Arena a = Arena.ofConfined()) {
            IoBatch b = new IoBatch(1);
            b.write(f, 0, a.allocate(16 * 4096).fill((byte) 9));
            e.execute(b);
            assertEquals(-Errno.EIO, b.result(0));
        }
        byte[] data = Files.readAllBytes(p);
        int landed = 0;
        while (landed < data.length && data[landed] == 9) {
            landed++;
        }
        assertEquals(0, landed % 4096, "a whole number of blocks landed: " + landed);
        assertTrue(landed < data.length, "not all of it");
        for (int i = landed; i < data.length; i++) {
            assertEquals(0, data[i]);
        }
    }

    @Test
    void flushErrorsAreReported() throws IOException {
        try (FaultInjectingEngine e = new FaultInjectingEngine(new PsyncEngine(), none().withFlushErrors(1));
             IoFile f = e.open(dir.resolve("s"), OpenOptions.readWrite().withCreate(true))) {
            IoBatch b = new IoBatch(1);
            b.fdatasync(f);
            e.execute(b);
            assertEquals(-Errno.EIO, b.result(0));
        }
    }

    @Test
    void aCrashUndoesUnflushedWritesOnly() throws IOException {
        Path p = Files.write(dir.resolve("c"), new byte[3 * 4096]);
        try (FaultInjectingEngine e = new FaultInjectingEngine(new PsyncEngine(), none().withUnflushedTracking(true));
             IoFile f = e.open(p, OpenOptions.readWrite()); Arena a = Arena.ofConfined()) {
            IoBatch b = new IoBatch(4);
            b.write(f, 0, a.allocate(4096).fill((byte) 1));
            b.fdatasync(f);
            e.execute(b);
            b.clear();
            b.write(f, 4096, a.allocate(4096).fill((byte) 2));
            b.write(f, 0, a.allocate(100).fill((byte) 3));
            e.execute(b);
            assertEquals(2, e.simulateCrash());
        }
        byte[] data = Files.readAllBytes(p);
        assertEquals(1, data[0], "the flushed write survives; the later overwrite of it is undone");
        assertEquals(1, data[99]);
        assertEquals(0, data[4096], "the unflushed write is gone");
    }

    @Test
    void theSameSeedGivesTheSameFaults() throws IOException {
        List<Long> first = run(42);
        assertEquals(first, run(42));
        assertTrue(first.stream().anyMatch(r -> r < 0) && first.stream().anyMatch(r -> r >= 0), first.toString());
    }

    private List<Long> run(long seed) throws IOException {
        Path p = dir.resolve("seed" + seed + "-" + System.nanoTime());
        List<Long> results = new ArrayList<>();
        var cfg = new FaultInjectingEngine.FaultConfig(seed, 4, 0, 0, 3, 4096, false);
        try (FaultInjectingEngine e = new FaultInjectingEngine(new PsyncEngine(), cfg);
             IoFile f = e.open(p, OpenOptions.readWrite().withCreate(true)); Arena a = Arena.ofConfined()) {
            IoBatch b = new IoBatch(40);
            for (int i = 0; i < 30; i++) {
                b.write(f, i * 512L, a.allocate(512));
            }
            for (int i = 0; i < 10; i++) {
                b.fsync(f);
            }
            e.execute(b);
            for (int i = 0; i < b.size(); i++) {
                results.add(b.result(i));
            }
        }
        return results;
    }

    @Test
    void failAllWritesFailsEveryWriteUntilTurnedOff() throws IOException {
        try (FaultInjectingEngine e = new FaultInjectingEngine(new PsyncEngine(), none());
             IoFile f = e.open(dir.resolve("x"), OpenOptions.readWrite().withCreate(true)); Arena a = Arena.ofConfined()) {
            e.failAllWrites(Errno.EIO);
            IoBatch b = new IoBatch(1);
            b.write(f, 0, a.allocate(10));
            e.execute(b);
            assertEquals(-Errno.EIO, b.result(0));
            e.failAllWrites(0);
            b.clear();
            b.write(f, 0, a.allocate(10));
            e.execute(b);
            assertEquals(10, b.result(0));
            assertTrue(Arrays.asList(e.name().split("")).size() > 0 && e.name().startsWith("faulty("));
        }
    }
}
