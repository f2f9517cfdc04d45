package io.rawio.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.memory.AlignedMemory;
import io.rawio.memory.BufferPool;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.testing.Root;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one conformance suite every {@link IoEngine} must pass: the contract in IoEngine's Javadoc,
 * checked against a model of the file's contents. Each engine has a subclass that only says how to
 * create it.
 */
public abstract class IoEngineConformanceTest {
    static final int FILE_SIZE = 64 * 1024;

    @TempDir
    Path dir;

    protected IoEngine engine;
    protected Arena arena;

    /** A new engine of the kind under test. */
    protected abstract IoEngine newEngine();

    @BeforeEach
    void setUp() {
        engine = newEngine();
        arena = Arena.ofShared();
    }

    @AfterEach
    void tearDown() {
        engine.close();
        arena.close();
    }

    // ---------------------------------------------------------------- model-based property

    /** One generated operation: kind 0 read, 1 write, 2 readv, 3 writev, 4 fsync, 5 fdatasync. */
    record OpSpec(int kind, int offset, int length, int pieces, long seed) {
        boolean writes() {
            return kind == 1 || kind == 3;
        }

        boolean sync() {
            return kind >= 4;
        }

        boolean overlaps(OpSpec o) {
            return !sync() && !o.sync() && offset < o.offset + o.length && o.offset < offset + length;
        }
    }

    @Provide
    Arbitrary<List<List<OpSpec>>> batches() {
        Arbitrary<OpSpec> op = Combinators.combine(
                Arbitraries.integers().between(0, 5).edgeCases(c -> c.includeOnly(0, 1)),
                Arbitraries.integers().between(0, FILE_SIZE + 4096),
                Arbitraries.integers().between(1, 9000),
                Arbitraries.integers().between(1, 4),
                Arbitraries.longs()).as(IoEngineConformanceTest::spec);
        // Half the operations continue the previous one (same kind, next offset), so the runs of
        // adjacent operations that engines coalesce, and reads running into end of file, are common.
        Arbitrary<List<OpSpec>> batch = op.list().ofMinSize(1).ofMaxSize(40)
                .flatMap(ops -> Arbitraries.integers().between(0, 1).list().ofSize(ops.size())
                        .map(chain -> chained(ops, chain)));
        return batch.map(IoEngineConformanceTest::withoutConflicts)
                .list().ofMinSize(1).ofMaxSize(6);
    }

    private static OpSpec spec(int kind, int offset, int length, int pieces, long seed) {
        if (kind == 1 || kind == 3) {
            // Writes stay inside the file: the mmap engine cannot grow it.
            offset = Math.min(offset, FILE_SIZE - 1);
            length = Math.min(length, FILE_SIZE - offset);
        }
        pieces = Math.min(pieces, length);
        return new OpSpec(kind, offset, length, pieces, seed);
    }

    private static List<OpSpec> chained(List<OpSpec> ops, List<Integer> chain) {
        List<OpSpec> out = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            OpSpec o = ops.get(i);
            if (i > 0 && chain.get(i) == 1 && !out.get(i - 1).sync()) {
                OpSpec prev = out.get(i - 1);
                o = spec(prev.kind(), prev.offset() + prev.length(), o.length(), o.pieces(), o.seed());
            }
            out.add(o);
        }
        return out;
    }

    /** Drops operations that overlap a write of the same batch: their order is undefined. */
    static List<OpSpec> withoutConflicts(List<OpSpec> ops) {
        List<OpSpec> kept = new ArrayList<>();
        for (OpSpec o : ops) {
            boolean conflict = false;
            for (OpSpec k : kept) {
                if ((o.writes() || k.writes()) && o.overlaps(k)) {
                    conflict = true;
                    break;
                }
            }
            if (!conflict) {
                kept.add(o);
            }
        }
        return kept;
    }

    private Path propertyDir;

    @BeforeProperty
    void beforeProperty() throws IOException {
        propertyDir = Files.createTempDirectory("rawio-conformance");
        engine = newEngine();
    }

    @AfterProperty
    void afterProperty() throws IOException {
        engine.close();
        try (Stream<Path> files = Files.walk(propertyDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 60)
    void randomMixedBatchesMatchAModelOfTheFile(@ForAll("batches") List<List<OpSpec>> batches) throws IOException {
        Path path = Files.createTempFile(propertyDir, "model", ".dat");
        byte[] model = new byte[FILE_SIZE];
        try (Arena a = Arena.ofConfined();
             IoFile file = engine.open(path, OpenOptions.readWrite().withSize(FILE_SIZE))) {
            IoBatch batch = new IoBatch(4);
            for (List<OpSpec> specs : batches) {
                batch.clear();
                List<MemorySegment[]> buffers = new ArrayList<>();
                for (OpSpec s : specs) {
                    MemorySegment[] pieces = pieces(a, s);
                    buffers.add(pieces);
                    switch (s.kind()) {
                        case 0 -> batch.read(file, s.offset(), pieces[0]);
                        case 1 -> batch.write(file, s.offset(), pieces[0]);
                        case 2 -> batch.readv(file, s.offset(), pieces);
                        case 3 -> batch.writev(file, s.offset(), pieces);
                        case 4 -> batch.fsync(file);
                        default -> batch.fdatasync(file);
                    }
                }
                engine.execute(batch);
                for (int i = 0; i < specs.size(); i++) {
                    OpSpec s = specs.get(i);
                    long expected = s.sync() ? 0 : s.writes() ? s.length()
                            : Math.max(0, Math.min(s.length(), FILE_SIZE - s.offset()));
                    assertEquals(expected, batch.result(i), () -> engine.name() + " result of " + s);
                    if (!s.writes() && !s.sync()) {
                        byte[] got = concat(buffers.get(i), (int) expected);
                        byte[] want = new byte[(int) expected];
                        if (expected > 0) {
                            System.arraycopy(model, s.offset(), want, 0, (int) expected);
                        }
                        assertArrayEquals(want, got, () -> engine.name() + " bytes of " + s);
                    }
                }
                for (int i = 0; i < specs.size(); i++) {
                    OpSpec s = specs.get(i);
                    if (s.writes()) {
                        byte[] data = concat(buffers.get(i), s.length());
                        System.arraycopy(data, 0, model, s.offset(), s.length());
                    }
                }
            }
        }
        assertArrayEquals(model, Files.readAllBytes(path), engine.name() + ": file contents at the end");
    }

    private static MemorySegment[] pieces(Arena a, OpSpec s) {
        if (s.sync()) {
            return new MemorySegment[0];
        }
        Random random = new Random(s.seed());
        int n = (s.kind() == 2 || s.kind() == 3) ? s.pieces() : 1;
        MemorySegment[] out = new MemorySegment[n];
        int remaining = s.length();
        for (int p = 0; p < n; p++) {
            int len = p == n - 1 ? remaining : Math.max(1, remaining / (n - p) - p);
            remaining -= len;
            out[p] = a.allocate(len);
            byte[] bytes = new byte[len];
            random.nextBytes(bytes);
            if (!s.writes()) {
                // Reads start from garbage so a read that transfers nothing cannot pass by accident.
                java.util.Arrays.fill(bytes, (byte) 0x5a);
            }
            MemorySegment.copy(bytes, 0, out[p], ValueLayout.JAVA_BYTE, 0, len);
        }
        return out;
    }

    private static byte[] concat(MemorySegment[] pieces, int length) {
        byte[] out = new byte[length];
        int at = 0;
        for (MemorySegment p : pieces) {
            int n = (int) Math.min(p.byteSize(), length - at);
            if (n <= 0) {
                break;
            }
            MemorySegment.copy(p, ValueLayout.JAVA_BYTE, 0, out, at, n);
            at += n;
        }
        return out;
    }

    // ---------------------------------------------------------------- deterministic contract

    private static void fill(MemorySegment s, long seed) {
        Random r = new Random(seed);
        for (long i = 0; i < s.byteSize(); i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
    }

    @Test
    void directIoWithAlignedBuffersRoundTrips() throws IOException {
        Path path = dir.resolve("direct.dat");
        if (!engine.supportsDirect()) {
            assertThrows(IllegalArgumentException.class,
                    () -> engine.open(path, OpenOptions.readWrite().withCreate(true).withDirect(true)));
            return;
        }
        try (IoFile file = engine.open(path, OpenOptions.readWrite().withCreate(true).withDirect(true)
                .withSize(1 << 20));
             BufferPool pool = BufferPool.create(16384, 8, file.alignment().max())) {
            MemorySegment out = pool.acquire();
            MemorySegment in = pool.acquire();
            fill(out, 42);
            IoBatch batch = new IoBatch(4);
            batch.write(file, 16384, out);
            batch.fdatasync(file);
            engine.execute(batch);
            batch.throwIfFailed();
            assertEquals(16384, batch.result(0));
            batch.clear();
            batch.read(file, 16384, in);
            engine.execute(batch);
            assertEquals(16384, batch.result(0));
            assertEquals(-1, out.mismatch(in), "bytes read back under O_DIRECT");
        }
    }

    @Test
    void directIoMisalignedFailsNamingTheAlignment() throws IOException {
        assumeTrue(engine.supportsDirect(), engine.name() + " does not do O_DIRECT");
        Path path = dir.resolve("direct.dat");
        try (IoFile file = engine.open(path, OpenOptions.readWrite().withCreate(true).withDirect(true)
                .withSize(1 << 20))) {
            int align = file.alignment().max();
            MemorySegment block = AlignedMemory.allocate(arena, 4L * align, align);
            IoBatch batch = new IoBatch(4);
            int badBuffer = batch.read(file, 0, block.asSlice(1, align));
            int badOffset = batch.read(file, 100, block.asSlice(0, align));
            int badLength = batch.write(file, 0, block.asSlice(0, align + 1));
            int good = batch.read(file, align, block.asSlice(align, align));
            engine.execute(batch);
            for (int i : new int[] {badBuffer, badOffset, badLength}) {
                assertEquals(-Errno.EINVAL, batch.result(i), "misaligned operation " + i);
                NativeIoException e = batch.failure(i);
                assertTrue(e.getMessage().contains("aligned to " + file.alignment().memory()), e.getMessage());
                assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());
            }
            assertEquals(align, batch.result(good), "an aligned operation in the same batch still runs");
        }
    }

    @Test
    void vectorsOfManyBuffersRoundTrip() throws IOException {
        // 40 buffers: more than one io_uring SQE's iovec array holds, so that engine does them itself
        Path path = dir.resolve("many.dat");
        try (IoFile file = engine.open(path, OpenOptions.readWrite().withCreate(true).withSize(1 << 20))) {
            int n = 40;
            MemorySegment[] out = new MemorySegment[n];
            MemorySegment[] in = new MemorySegment[n];
            for (int k = 0; k < n; k++) {
                out[k] = arena.allocate(512, 512).fill((byte) (k + 1));
                in[k] = arena.allocate(512, 512);
            }
            IoBatch batch = new IoBatch(2);
            batch.writev(file, 4096, out);
            engine.execute(batch);
            assertEquals(n * 512L, batch.result(0));
            batch.clear();
            batch.readv(file, 4096, in);
            engine.execute(batch);
            assertEquals(n * 512L, batch.result(0));
            for (int k = 0; k < n; k++) {
                assertEquals(-1L, out[k].mismatch(in[k]), "buffer " + k);
            }
        }
    }

    @Test
    void readsPastEndOfFileAreShortOrEmpty() throws IOException {
        Path path = dir.resolve("eof.dat");
        byte[] content = new byte[10_000];
        new Random(7).nextBytes(content);
        Files.write(path, content);
        try (IoFile file = engine.open(path, OpenOptions.readOnly())) {
            MemorySegment a = arena.allocate(4096);
            MemorySegment b = arena.allocate(4096);
            MemorySegment c = arena.allocate(100);
            IoBatch batch = new IoBatch(2);
            batch.read(file, 8192, a);
            batch.read(file, 20_000, b);
            batch.readv(file, 9_950, c, arena.allocate(100));
            engine.execute(batch);
            assertEquals(10_000 - 8192, batch.result(0));
            assertEquals(0, batch.result(1));
            assertEquals(50, batch.result(2));
            byte[] got = a.asSlice(0, 10_000 - 8192).toArray(ValueLayout.JAVA_BYTE);
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 8192, 10_000), got);
        }
    }

    @Test
    void aFailedOperationDoesNotFailItsNeighbours() throws IOException {
        Path path = dir.resolve("ro.dat");
        Files.write(path, new byte[8192]);
        try (IoFile ro = engine.open(path, OpenOptions.readOnly());
             IoFile rw = engine.open(dir.resolve("rw.dat"), OpenOptions.readWrite().withCreate(true)
                     .withSize(8192))) {
            MemorySegment buf = arena.allocate(4096);
            fill(buf, 3);
            IoBatch batch = new IoBatch(4);
            batch.write(rw, 0, buf);
            batch.write(ro, 0, buf);
            batch.read(ro, 4096, arena.allocate(4096));
            engine.execute(batch);
            assertEquals(4096, batch.result(0));
            assertEquals(-Errno.EBADF, batch.result(1), "a write to a read-only file");
            assertEquals(4096, batch.result(2));
            assertFalse(batch.allSucceeded());
            NativeIoException e = assertThrows(NativeIoException.class, batch::throwIfFailed);
            assertEquals(Errno.EBADF, e.errno());
            assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
        }
    }

    @Test
    void aBatchLargerThanAnyQueueIsSplitNotRejected() throws IOException {
        int n = 1000;
        try (IoFile file = engine.open(dir.resolve("big.dat"),
                OpenOptions.readWrite().withCreate(true).withSize((long) n * 512))) {
            MemorySegment buf = arena.allocate((long) n * 512);
            for (int i = 0; i < n; i++) {
                buf.asSlice(i * 512L, 512).fill((byte) i);
            }
            IoBatch batch = new IoBatch(8);
            for (int i = 0; i < n; i++) {
                batch.write(file, i * 512L, buf.asSlice(i * 512L, 512));
            }
            engine.execute(batch);
            batch.throwIfFailed();
            MemorySegment back = arena.allocate((long) n * 512);
            batch.clear();
            for (int i = n - 1; i >= 0; i--) {
                batch.read(file, i * 512L, back.asSlice(i * 512L, 512));
            }
            engine.execute(batch);
            batch.throwIfFailed();
            assertEquals((long) n * 512, batch.bytesTransferred());
            assertEquals(-1, buf.mismatch(back));
        }
    }

    @Test
    void aPreparerPlacesEachReadAsItIsIssued() throws IOException {
        int n = 100;
        Path path = dir.resolve("target.dat");
        byte[] content = new byte[n * 512];
        for (int b = 0; b < n; b++) {
            java.util.Arrays.fill(content, b * 512, (b + 1) * 512, (byte) (b + 1));
        }
        Files.write(path, content);
        try (IoFile file = engine.open(path, OpenOptions.readOnly())) {
            // Added with no place and no buffer; the preparer sends read i to block n - 1 - i.
            IoBatch batch = new IoBatch(8);
            for (int i = 0; i < n; i++) {
                batch.read(file, 0, MemorySegment.NULL);
            }
            MemorySegment[] into = new MemorySegment[n];
            batch.preparer(i -> {
                into[i] = arena.allocate(512, 512);
                batch.target(i, (n - 1 - i) * 512L, into[i]);
            });
            engine.execute(batch);
            batch.throwIfFailed();
            for (int i = 0; i < n; i++) {
                assertEquals(512, batch.result(i));
                assertEquals((long) (n - 1 - i) * 512, batch.offset(i));
                byte want = (byte) (n - i);
                assertEquals(want, into[i].get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0), "read " + i);
                assertEquals(want, into[i].get(java.lang.foreign.ValueLayout.JAVA_BYTE, 511), "read " + i);
            }
        }
    }

    @Test
    void preparerChoosesBuffersAndCancelsAndTheCompleterHearsOfEachOperationOnce() throws IOException {
        int n = 300;
        try (IoFile file = engine.open(dir.resolve("prep.dat"),
                OpenOptions.readWrite().withCreate(true).withSize((long) n * 512))) {
            // Buffers go back to a free list as the completer hears of their write, and the preparer
            // takes one for each write it is about to issue: fewer buffers than writes where the
            // engine prepares as it issues.
            java.util.ArrayDeque<MemorySegment> free = new java.util.ArrayDeque<>();
            MemorySegment[] used = new MemorySegment[n];
            int[] told = new int[n];
            List<Integer> order = new ArrayList<>();
            IoBatch batch = new IoBatch(8);
            for (int i = 0; i < n; i++) {
                batch.write(file, i * 512L, MemorySegment.NULL);
            }
            batch.fdatasync(file);
            int[] allocated = {0};
            batch.preparer(i -> {
                if (i == n) {
                    return;
                }
                if (i % 7 == 3) {
                    batch.cancel(i);
                    return;
                }
                MemorySegment b = free.poll();
                if (b == null) {
                    b = arena.allocate(512);
                    allocated[0]++;
                }
                b.fill((byte) i);
                used[i] = b;
                batch.buffer(i, b);
            });
            batch.completer(i -> {
                order.add(i);
                if (i < n) {
                    told[i]++;
                    if (used[i] != null) {
                        assertEquals(512, batch.result(i), "the result is final when the completer hears of it");
                        free.add(used[i]);
                    }
                }
            });
            engine.execute(batch);
            assertEquals(n + 1, order.size(), "once per operation, the sync included");
            for (int i = 0; i < n; i++) {
                assertEquals(1, told[i]);
                if (i % 7 == 3) {
                    assertEquals(-Errno.ECANCELED, batch.result(i), "a canceled write is not run");
                } else {
                    assertEquals(512, batch.result(i));
                }
            }
            assertEquals(0, batch.result(n));
            if (engine.buffersHeld(n) < n) {
                assertTrue(allocated[0] < n / 2, "buffers are reused as writes complete: " + allocated[0]);
            }
            byte[] disk = Files.readAllBytes(dir.resolve("prep.dat"));
            for (int i = 0; i < n; i++) {
                byte want = i % 7 == 3 ? 0 : (byte) i;
                assertEquals(want, disk[i * 512], "block " + i);
                assertEquals(want, disk[i * 512 + 511], "block " + i);
            }
        }
    }

    @Test
    void aCallerThatRecyclesBuffersNeedsBuffersHeldAndNoMore() throws IOException {
        int n = 240;
        long held = engine.buffersHeld(n);
        assertTrue(held >= 1 && held <= n, "buffersHeld(" + n + ")=" + held);
        assertEquals(0, engine.buffersHeld(0));
        assertTrue(engine.buffersHeld(1) == 1 && engine.buffersHeld(2 * n) >= held);
        try (IoFile file = engine.open(dir.resolve("held.dat"),
                OpenOptions.readWrite().withCreate(true).withSize((long) n * 512))) {
            java.util.ArrayDeque<MemorySegment> free = new java.util.ArrayDeque<>();
            for (long k = 0; k < held; k++) {
                free.add(arena.allocate(512));
            }
            MemorySegment[] used = new MemorySegment[n];
            int[] ranShort = {0};
            IoBatch batch = new IoBatch(8);
            for (int i = 0; i < n; i++) {
                batch.write(file, i * 512L, MemorySegment.NULL);
            }
            batch.preparer(i -> {
                MemorySegment b = free.poll();
                if (b == null) {
                    ranShort[0]++;
                    batch.cancel(i);
                    return;
                }
                b.fill((byte) (i + 1));
                used[i] = b;
                batch.buffer(i, b);
                // A canceled write holds its buffer until the completer hears of it; a long run of them
                // completes without reaching the device.
                if (canceledWhileHolding(i)) {
                    batch.cancel(i);
                }
            });
            batch.completer(i -> {
                if (used[i] != null) {
                    free.add(used[i]);
                }
            });
            engine.execute(batch);
            assertEquals(0, ranShort[0], "the preparer found no free buffer " + ranShort[0] + " times with buffersHeld("
                    + n + ")=" + held + " buffers");
            assertEquals(held, free.size(), "every buffer came back");
            byte[] disk = Files.readAllBytes(dir.resolve("held.dat"));
            for (int i = 0; i < n; i++) {
                boolean canceled = canceledWhileHolding(i);
                assertEquals(canceled ? -Errno.ECANCELED : 512, batch.result(i), "operation " + i);
                byte want = canceled ? 0 : (byte) (i + 1);
                assertEquals(want, disk[i * 512], "block " + i);
                assertEquals(want, disk[i * 512 + 511], "block " + i);
            }
        }
    }

    private static boolean canceledWhileHolding(int i) {
        return i % 11 == 5 || (i >= 100 && i < 160);
    }

    @Test
    void aCompleterThatThrowsLeavesTheEngineUsable() throws IOException {
        int n = 200;
        try (IoFile file = engine.open(dir.resolve("throw.dat"),
                OpenOptions.readWrite().withCreate(true).withSize((long) n * 512))) {
            MemorySegment buf = arena.allocate((long) n * 512);
            for (int i = 0; i < n; i++) {
                buf.asSlice(i * 512L, 512).fill((byte) (i + 1));
            }
            IoBatch batch = new IoBatch(8);
            for (int i = 0; i < n; i++) {
                batch.write(file, i * 512L, buf.asSlice(i * 512L, 512));
            }
            batch.completer(i -> {
                if (i == 5) {
                    throw new IllegalStateException("completer failed");
                }
            });
            assertThrows(IllegalStateException.class, () -> engine.execute(batch));
            // The thread's next batches see only their own completions.
            for (int round = 0; round < 3; round++) {
                MemorySegment back = arena.allocate((long) n * 512);
                IoBatch again = new IoBatch(8);
                for (int i = 0; i < n; i++) {
                    again.write(file, i * 512L, buf.asSlice(i * 512L, 512));
                }
                engine.execute(again);
                again.throwIfFailed();
                again.clear();
                for (int i = 0; i < n; i++) {
                    again.read(file, i * 512L, back.asSlice(i * 512L, 512));
                }
                engine.execute(again);
                again.throwIfFailed();
                for (int i = 0; i < n; i++) {
                    assertEquals(512, again.result(i));
                }
                assertEquals(-1, buf.mismatch(back));
            }
        }
    }

    @Test
    void syncOperationsSucceedAfterWrites() throws IOException {
        try (IoFile file = engine.open(dir.resolve("sync.dat"),
                OpenOptions.readWrite().withCreate(true).withSize(8192))) {
            MemorySegment buf = arena.allocate(4096);
            fill(buf, 11);
            IoBatch batch = new IoBatch(4);
            batch.write(file, 0, buf);
            batch.fsync(file);
            batch.write(file, 4096, buf, LinuxConstants.RWF_DSYNC);
            batch.fdatasync(file);
            engine.execute(batch);
            batch.throwIfFailed();
            assertEquals(0, batch.result(1));
            assertEquals(4096, batch.result(2));
            assertEquals(0, batch.result(3));
            byte[] disk = Files.readAllBytes(dir.resolve("sync.dat"));
            assertArrayEquals(buf.toArray(ValueLayout.JAVA_BYTE), java.util.Arrays.copyOfRange(disk, 4096, 8192));
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void batchesOfWritesAndAFlushCompleteOneAfterAnother() throws IOException {
        // The store's durable batch: n writes and a FDATASYNC, again and again on the same engine.
        OpenOptions o = OpenOptions.readWrite().withCreate(true).withSize(1 << 20).withDirect(engine.supportsDirect());
        try (IoFile file = engine.open(dir.resolve("durable.dat"), o);
             BufferPool pool = BufferPool.create(4096, 4, Math.max(4096, file.alignment().max()))) {
            IoBatch batch = new IoBatch(8);
            for (int round = 0; round < 5; round++) {
                batch.clear();
                for (int k = 0; k < 3; k++) {
                    MemorySegment b = pool.buffer(k);
                    b.fill((byte) (round * 3 + k));
                    batch.write(file, (round * 3L + k) * 4096, b);
                }
                batch.fdatasync(file);
                engine.execute(batch);
                batch.throwIfFailed();
                assertEquals(0, batch.result(3));
            }
            byte[] data = Files.readAllBytes(dir.resolve("durable.dat"));
            assertEquals(14, data[14 * 4096 + 7]);
        }
    }

    @Test
    void useAfterCloseFailsClearly() throws IOException {
        IoFile file = engine.open(dir.resolve("closed.dat"), OpenOptions.readWrite().withCreate(true).withSize(4096));
        file.close();
        assertDoesNotThrow(file::close, "close is idempotent");
        IoBatch batch = new IoBatch(1);
        batch.read(file, 0, arena.allocate(10));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.execute(batch));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals(IoBatch.NOT_EXECUTED, batch.result(0), "nothing ran");

        engine.close();
        assertDoesNotThrow(engine::close, "close is idempotent");
        IoBatch empty = new IoBatch(1);
        assertThrows(IllegalStateException.class, () -> engine.execute(empty));
        assertThrows(IllegalStateException.class,
                () -> engine.open(dir.resolve("x.dat"), OpenOptions.readWrite().withCreate(true)));
    }

    @Test
    void aFileOfAnotherEngineIsRefused() throws IOException {
        try (IoEngine other = new PsyncEngine();
             IoFile file = other.open(dir.resolve("other.dat"), OpenOptions.readWrite().withCreate(true))) {
            IoBatch batch = new IoBatch(1);
            batch.fsync(file);
            assertThrows(IllegalArgumentException.class, () -> engine.execute(batch));
        }
    }

    @Test
    void openingAMissingFileNamesIt() {
        Path missing = dir.resolve("missing.dat");
        NativeIoException e = assertThrows(NativeIoException.class,
                () -> engine.open(missing, OpenOptions.readOnly()));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void heapBuffersAreRefusedWithEfault() throws IOException {
        try (IoFile file = engine.open(dir.resolve("heap.dat"),
                OpenOptions.readWrite().withCreate(true).withSize(4096))) {
            IoBatch batch = new IoBatch(1);
            batch.read(file, 0, MemorySegment.ofArray(new byte[16]));
            engine.execute(batch);
            assertEquals(-Errno.EFAULT, batch.result(0));
        }
    }

    @Test
    void severalThreadsShareOneEngine() throws Exception {
        int threads = 4;
        int perThread = 64;
        try (IoFile file = engine.open(dir.resolve("mt.dat"),
                OpenOptions.readWrite().withCreate(true).withSize((long) threads * perThread * 4096))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    done.add(pool.submit(() -> {
                        try (Arena a = Arena.ofConfined()) {
                            IoBatch batch = new IoBatch(16);
                            MemorySegment buf = a.allocate((long) perThread * 4096);
                            fill(buf, id);
                            long base = (long) id * perThread * 4096;
                            for (int i = 0; i < perThread; i++) {
                                batch.write(file, base + i * 4096L, buf.asSlice(i * 4096L, 4096));
                            }
                            engine.execute(batch);
                            batch.throwIfFailed();
                            MemorySegment back = a.allocate(buf.byteSize());
                            batch.clear();
                            for (int i = 0; i < perThread; i++) {
                                batch.read(file, base + i * 4096L, back.asSlice(i * 4096L, 4096));
                            }
                            engine.execute(batch);
                            batch.throwIfFailed();
                            assertEquals(-1, buf.mismatch(back), "thread " + id);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void aFullFilesystemReportsEnospcAndNeverClaimsMoreThanFits() throws IOException {
        Path mount = Files.createDirectory(dir.resolve("small-fs"));
        long capacity = 1L << 20;
        assumeTrue(Root.mountTmpfs(mount, capacity), "needs root to mount a 1 MiB tmpfs for ENOSPC");
        try {
            Path path = mount.resolve("full.dat");
            if (!engine.name().equals("mmap")) {
                try (IoFile file = engine.open(path, OpenOptions.readWrite().withCreate(true))) {
                    MemorySegment buf = arena.allocate(64 * 1024);
                    fill(buf, 5);
                    IoBatch batch = new IoBatch(32);
                    for (int i = 0; i < 32; i++) {
                        batch.write(file, i * 65536L, buf);
                    }
                    engine.execute(batch);
                    long written = 0;
                    boolean enospc = false;
                    for (int i = 0; i < batch.size(); i++) {
                        if (batch.result(i) == -Errno.ENOSPC) {
                            enospc = true;
                            assertTrue(batch.failure(i).getMessage().contains("ENOSPC"));
                        } else if (batch.result(i) > 0) {
                            written += batch.result(i);
                        }
                    }
                    assertTrue(enospc, engine.name() + " reported ENOSPC");
                    assertTrue(written <= capacity, "claimed " + written + " bytes on a " + capacity + " filesystem");
                }
            } else {
                NativeIoException e = assertThrows(NativeIoException.class,
                        () -> engine.open(path, OpenOptions.readWrite().withCreate(true).withSize(2 * capacity)));
                assertEquals(Errno.ENOSPC, e.errno());
            }
        } finally {
            Root.unmount(mount);
        }
    }

    @Test
    void writtenBytesAreVisibleToOtherReaders() throws IOException {
        Path path = dir.resolve("visible.dat");
        try (IoFile file = engine.open(path, OpenOptions.readWrite().withCreate(true).withSize(8192))) {
            MemorySegment buf = arena.allocate(8192);
            fill(buf, 99);
            IoBatch batch = new IoBatch(1);
            batch.write(file, 0, buf);
            batch.fsync(file);
            engine.execute(batch);
            batch.throwIfFailed();
            try (NativeFile plain = NativeFile.open(path, io.rawio.nativeio.OpenFlag.RDONLY)) {
                MemorySegment back = arena.allocate(8192);
                assertEquals(8192, plain.readFully(back, 0));
                assertEquals(-1, buf.mismatch(back));
            }
        }
    }
}
