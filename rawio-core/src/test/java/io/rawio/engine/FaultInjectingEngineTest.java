package io.rawio.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.uring.IoUring;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultInjectingEngineTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    private Arena arena;

    @BeforeEach
    void setUp() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void tearDown() {
        arena.close();
    }

    private static FaultInjectingEngine engine(FaultConfig config) {
        return new FaultInjectingEngine(new PsyncEngine(), config);
    }

    /** A file of {@code size} bytes of a known pattern, returned as its contents. */
    private byte[] existingFile(Path path, int size, long seed) throws IOException {
        byte[] content = new byte[size];
        new Random(seed).nextBytes(content);
        Files.write(path, content);
        return content;
    }

    private MemorySegment segment(byte[] bytes) {
        MemorySegment s = arena.allocate(bytes.length);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s;
    }

    /** The complement of a range of {@code old}: differs from it in every byte. */
    private static byte[] inverse(byte[] old, int from, int length) {
        byte[] out = new byte[length];
        for (int k = 0; k < length; k++) {
            out[k] = (byte) ~old[from + k];
        }
        return out;
    }

    @Test
    void namesItselfAfterTheWrappedEngineAndOwnsItsFiles() throws IOException {
        try (FaultInjectingEngine engine = engine(FaultConfig.none(1));
             IoFile file = engine.open(dir.resolve("f.dat"), OpenOptions.readWrite().withCreate(true))) {
            assertEquals("faulty(psync)", engine.name());
            assertSame(engine, file.engine());
        }
    }

    @Test
    void withOneInOneEveryWriteFailsWithItsErrnoAndTheFileIsUnchanged() throws IOException {
        for (int errno : new int[] {Errno.EIO, Errno.ENOSPC}) {
            FaultConfig config = errno == Errno.EIO
                    ? FaultConfig.none(7).withWriteErrorOneIn(1)
                    : FaultConfig.none(7).withEnospcOneIn(1);
            Path path = dir.resolve("w" + errno + ".dat");
            byte[] before = existingFile(path, 4 * BLOCK, errno);
            try (FaultInjectingEngine engine = engine(config);
                 IoFile file = engine.open(path, OpenOptions.readWrite())) {
                MemorySegment data = segment(inverse(before, 0, 2 * BLOCK));
                MemorySegment back = arena.allocate(BLOCK);
                IoBatch batch = new IoBatch(4);
                batch.write(file, 0, data);
                batch.writev(file, 2 * BLOCK, data.asSlice(0, BLOCK), data.asSlice(BLOCK, BLOCK));
                batch.read(file, BLOCK, back);
                batch.write(file, 4 * BLOCK, data);
                engine.execute(batch);
                assertEquals(-errno, batch.result(0));
                assertEquals(-errno, batch.result(1));
                assertEquals(BLOCK, batch.result(2), "a read in the same batch still runs");
                assertEquals(-errno, batch.result(3), "a write past the end is refused too");
                assertArrayEquals(Arrays.copyOfRange(before, BLOCK, 2 * BLOCK), back.toArray(ValueLayout.JAVA_BYTE));
                assertTrue(batch.failure(0).getMessage().contains(errno == Errno.EIO ? "EIO" : "ENOSPC"));
                assertEquals(3, errno == Errno.EIO ? engine.injected().writeErrors()
                        : engine.injected().enospcErrors());
            }
            assertArrayEquals(before, Files.readAllBytes(path), "the file is unchanged");
        }
    }

    @Test
    void withOneInOneEverySyncFailsWithEio() throws IOException {
        try (FaultInjectingEngine engine = engine(FaultConfig.none(3).withFlushErrorOneIn(1));
             IoFile file = engine.open(dir.resolve("s.dat"), OpenOptions.readWrite().withCreate(true))) {
            IoBatch batch = new IoBatch(4);
            batch.write(file, 0, segment(new byte[] {1, 2, 3}));
            batch.fsync(file);
            batch.fdatasync(file);
            engine.execute(batch);
            assertEquals(3, batch.result(0), "writes are not affected");
            assertEquals(-Errno.EIO, batch.result(1));
            assertEquals(-Errno.EIO, batch.result(2));
            assertEquals(2, engine.injected().flushErrors());
        }
    }

    @Test
    void operationsTheEngineRefusesAnywayPassThroughUntouched() throws IOException {
        Path path = dir.resolve("ro.dat");
        Files.write(path, new byte[BLOCK]);
        try (FaultInjectingEngine engine = engine(FaultConfig.none(3).withWriteErrorOneIn(1));
             IoFile ro = engine.open(path, OpenOptions.readOnly())) {
            IoBatch batch = new IoBatch(2);
            batch.write(ro, 0, arena.allocate(16));
            batch.write(ro, 0, MemorySegment.ofArray(new byte[16]));
            engine.execute(batch);
            assertEquals(-Errno.EBADF, batch.result(0));
            assertEquals(-Errno.EBADF, batch.result(1));
            assertEquals(0, engine.injected().failures());
        }
    }

    @Test
    void tornWritesLeaveExactlyABlockMultiplePrefix() throws IOException {
        int length = 16 * BLOCK;
        Path path = dir.resolve("torn.dat");
        byte[] before = existingFile(path, 2 * length, 11);
        boolean sawNone = false;
        boolean sawSome = false;
        try (FaultInjectingEngine engine = engine(FaultConfig.none(5).withTornWriteOneIn(1).withBlockSize(BLOCK));
             IoFile file = engine.open(path, OpenOptions.readWrite())) {
            IoBatch batch = new IoBatch(1);
            for (int round = 0; round < 40; round++) {
                int offset = (round % 2) * length;
                byte[] old = Files.readAllBytes(path);
                // Every byte of the new data differs from what is there, so the prefix that landed is
                // exactly the leading run of new bytes.
                byte[] data = inverse(old, offset, length);
                batch.clear();
                if (round % 4 < 2) {
                    batch.write(file, offset, segment(data));
                } else {
                    MemorySegment s = segment(data);
                    batch.writev(file, offset, s.asSlice(0, 1000), s.asSlice(1000, 30_000),
                            s.asSlice(31_000, length - 31_000));
                }
                engine.execute(batch);
                assertEquals(-Errno.EIO, batch.result(0), "a torn write reports EIO");
                byte[] now = Files.readAllBytes(path);
                int landed = 0;
                while (landed < length && now[offset + landed] == data[landed]) {
                    landed++;
                }
                assertEquals(0, landed % BLOCK, "landed=" + landed + " is not a multiple of the block size");
                assertTrue(landed < length, "a torn write never lands whole");
                assertArrayEquals(Arrays.copyOfRange(old, offset + landed, offset + length),
                        Arrays.copyOfRange(now, offset + landed, offset + length), "the rest is unchanged");
                assertArrayEquals(Arrays.copyOfRange(old, length - offset, 2 * length - offset),
                        Arrays.copyOfRange(now, length - offset, 2 * length - offset), "the other half unchanged");
                sawNone |= landed == 0;
                sawSome |= landed > 0;
            }
            assertEquals(40, engine.injected().tornWrites());
        }
        assertTrue(sawNone && sawSome, "40 torn writes land both nothing and a partial prefix");
        assertEquals(before.length, Files.size(path));
    }

    @Test
    void simulateCrashRestoresUnflushedWritesAndKeepsFlushedOnes() throws IOException {
        Path a = dir.resolve("a.dat");
        Path b = dir.resolve("b.dat");
        byte[] aBefore = existingFile(a, 4 * BLOCK, 1);
        byte[] bBefore = existingFile(b, 2 * BLOCK, 2);
        byte[] aNew = inverse(aBefore, 0, 4 * BLOCK);
        try (FaultInjectingEngine engine = engine(FaultConfig.none(9).withTrackUnflushed(true))) {
            IoFile fa = engine.open(a, OpenOptions.readWrite());
            IoFile fb = engine.open(b, OpenOptions.readWrite());
            IoBatch batch = new IoBatch(8);
            batch.write(fa, 0, segment(Arrays.copyOfRange(aNew, 0, BLOCK)));
            batch.write(fb, 0, segment(inverse(bBefore, 0, BLOCK)));
            batch.fsync(fa);
            // After the sync of a only: a's second block, an overwrite of its first, growth past its end.
            batch.write(fa, BLOCK, segment(Arrays.copyOfRange(aNew, BLOCK, 2 * BLOCK)));
            batch.write(fa, 0, segment(new byte[100]));
            batch.writev(fa, 4 * BLOCK, segment(new byte[] {1, 2, 3}), segment(new byte[BLOCK]));
            batch.write(fa, 2 * BLOCK, segment(Arrays.copyOfRange(aNew, 2 * BLOCK, 3 * BLOCK)),
                    LinuxConstants.RWF_DSYNC);
            engine.execute(batch);
            batch.throwIfFailed();
            fb.close(); // a closed file's unflushed writes are lost too
            assertEquals(4, engine.unflushedWrites(), "b, and a's three after its sync");

            assertEquals(4, engine.simulateCrash());

            byte[] aExpected = aBefore.clone();
            System.arraycopy(aNew, 0, aExpected, 0, BLOCK); // synced
            System.arraycopy(aNew, 2 * BLOCK, aExpected, 2 * BLOCK, BLOCK); // RWF_DSYNC
            assertArrayEquals(aExpected, Files.readAllBytes(a), "a: synced and RWF_DSYNC writes survive, size too");
            assertArrayEquals(bBefore, Files.readAllBytes(b), "b was never synced");
            assertEquals(0, engine.unflushedWrites());
            assertEquals(4, engine.injected().droppedWrites());
            assertEquals(0, engine.simulateCrash(), "nothing left to drop");
            fa.close();
        }
    }

    @Test
    void underODirectTheOverwrittenBytesAreSavedAndRestored() throws IOException {
        Path path = dir.resolve("direct.dat");
        byte[] before = existingFile(path, 8 * BLOCK, 12);
        try (FaultInjectingEngine engine = engine(FaultConfig.none(9).withTrackUnflushed(true));
             IoFile file = engine.open(path, OpenOptions.readWrite().withDirect(true))) {
            int align = file.alignment().max();
            MemorySegment data = AlignedMemory.allocate(arena, 4 * BLOCK, align);
            MemorySegment.copy(inverse(before, 4 * BLOCK, 4 * BLOCK), 0, data, ValueLayout.JAVA_BYTE, 0, 4 * BLOCK);
            IoBatch batch = new IoBatch(2);
            batch.write(file, 4 * BLOCK, data);
            batch.write(file, 8 * BLOCK, data); // grows the file
            engine.execute(batch);
            batch.throwIfFailed();
            assertEquals(12 * BLOCK, Files.size(path));
            assertEquals(2, engine.simulateCrash());
        }
        assertArrayEquals(before, Files.readAllBytes(path));
    }

    @Test
    void aFailedSyncLeavesTheWritesUnflushed() throws IOException {
        Path path = dir.resolve("f.dat");
        byte[] before = existingFile(path, BLOCK, 4);
        try (FaultInjectingEngine engine = engine(FaultConfig.none(9).withFlushErrorOneIn(1).withTrackUnflushed(true));
             IoFile file = engine.open(path, OpenOptions.readWrite())) {
            IoBatch batch = new IoBatch(2);
            batch.write(file, 0, segment(inverse(before, 0, BLOCK)));
            batch.fdatasync(file);
            engine.execute(batch);
            assertEquals(-Errno.EIO, batch.result(1));
            assertEquals(1, engine.simulateCrash());
        }
        assertArrayEquals(before, Files.readAllBytes(path));
    }

    @Test
    void aTornWriteIsUndoneByACrash() throws IOException {
        Path path = dir.resolve("t.dat");
        byte[] before = existingFile(path, 8 * BLOCK, 6);
        try (FaultInjectingEngine engine = engine(FaultConfig.none(2).withTornWriteOneIn(1).withTrackUnflushed(true));
             IoFile file = engine.open(path, OpenOptions.readWrite())) {
            IoBatch batch = new IoBatch(1);
            for (int k = 0; k < 8; k++) {
                batch.clear();
                batch.write(file, 0, segment(inverse(before, 0, 8 * BLOCK)));
                engine.execute(batch);
            }
            engine.simulateCrash();
        }
        assertArrayEquals(before, Files.readAllBytes(path));
    }

    @Test
    void failAllWritesFailsWritesAndSyncsButNotReadsUntilResumed() throws IOException {
        Path path = dir.resolve("dead.dat");
        byte[] before = existingFile(path, BLOCK, 8);
        try (FaultInjectingEngine engine = engine(FaultConfig.none(1));
             IoFile file = engine.open(path, OpenOptions.readWrite())) {
            engine.failAllWrites(Errno.EROFS);
            IoBatch batch = new IoBatch(4);
            batch.write(file, 0, segment(new byte[10]));
            batch.fsync(file);
            batch.read(file, 0, arena.allocate(10));
            engine.execute(batch);
            assertEquals(-Errno.EROFS, batch.result(0));
            assertEquals(-Errno.EROFS, batch.result(1));
            assertEquals(10, batch.result(2));
            assertEquals(2, engine.injected().failAllErrors());
            assertArrayEquals(before, Files.readAllBytes(path));

            engine.resumeWrites();
            batch.clear();
            batch.write(file, 0, segment(new byte[10]));
            engine.execute(batch);
            assertEquals(10, batch.result(0));
            assertThrows(IllegalArgumentException.class, () -> engine.failAllWrites(0));
        }
    }

    /**
     * Results of a fixed workload: 200 writes and a sync every 10, each in its own batch. The preparer
     * gives each write its buffer from a free list of {@code buffersHeld(11)} buffers, and the
     * completer puts it back.
     */
    private long[] workload(FaultConfig config, String name, IoEngine inner) throws IOException {
        long[] results = new long[220];
        try (FaultInjectingEngine engine = new FaultInjectingEngine(inner, config);
             IoFile file = engine.open(dir.resolve(name), OpenOptions.readWrite().withCreate(true))) {
            IoBatch batch = new IoBatch(11);
            ArrayDeque<MemorySegment> free = new ArrayDeque<>();
            for (long k = 0; k < engine.buffersHeld(11); k++) {
                free.add(arena.allocate(4 * BLOCK));
            }
            MemorySegment[] used = new MemorySegment[11];
            int at = 0;
            for (int round = 0; round < 20; round++) {
                batch.clear();
                for (int k = 0; k < 10; k++) {
                    batch.write(file, (long) (round * 10 + k) * BLOCK, MemorySegment.NULL);
                }
                batch.fdatasync(file);
                batch.preparer(i -> {
                    if (i < 10) {
                        used[i] = free.remove();
                        batch.buffer(i, used[i].asSlice(0, (i % 4 + 1) * BLOCK));
                    }
                });
                batch.completer(i -> {
                    if (used[i] != null) {
                        free.add(used[i]);
                        used[i] = null;
                    }
                });
                engine.execute(batch);
                for (int i = 0; i < batch.size(); i++) {
                    results[at++] = batch.result(i);
                }
            }
        }
        return results;
    }

    @Test
    void theSameSeedGivesTheSameFaults() throws IOException {
        FaultConfig config = new FaultConfig(42, 5, 7, 3, 4, BLOCK, true);
        long[] first = workload(config, "one.dat", new PsyncEngine());
        long[] second = workload(config, "two.dat", new PsyncEngine());
        assertArrayEquals(first, second);
        assertTrue(Arrays.stream(first).anyMatch(r -> r < 0), "faults were injected");
        assertTrue(Arrays.stream(first).anyMatch(r -> r > 0), "some writes succeeded");
        assertNotEquals(Arrays.toString(first),
                Arrays.toString(workload(config.withSeed(43), "three.dat", new PsyncEngine())),
                "another seed, other faults");
    }

    @Test
    void overIoUringTheFaultsAreThoseOfTheSameSeedOverPsync() throws IOException {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
        FaultConfig config = new FaultConfig(42, 5, 7, 3, 4, BLOCK, true);
        // Queue depth 4: the preparer runs while writes are in flight, with 8 buffers for 11 operations.
        assertArrayEquals(workload(config, "psync.dat", new PsyncEngine()),
                workload(config, "uring.dat", new UringEngine(false, new EngineConfig(4))));
    }

    @Test
    void configRejectsNegativeRatesAndBlockSizes() {
        assertThrows(IllegalArgumentException.class, () -> FaultConfig.none(1).withTornWriteOneIn(-1));
        assertThrows(IllegalArgumentException.class, () -> FaultConfig.none(1).withBlockSize(0));
        assertFalse(FaultConfig.none(1).trackUnflushed());
    }
}
