package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.engine.ForwardingIoEngine;
import io.rawio.engine.IoEngines;
import io.rawio.engine.IoFile;
import io.rawio.engine.OpenOptions;
import io.rawio.engine.PsyncEngine;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.Mman;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import io.rawio.uring.IoUring;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store opened without O_DIRECT ({@code --direct=0}): its reads and writes go through the page
 * cache. It is formatted with O_DIRECT all the same where the file system allows it, so the zero fill
 * leaves nothing in the page cache; and what it writes reads back after a reopen with or without O_DIRECT.
 */
class BufferedStoreTest {
    private static final long SIZE = 64L << 20;
    private static final int[] VALUE_SIZES = {0, 100, 4096, 60_000};

    @TempDir
    Path dir;

    @Test
    void aBufferedStoreIsZeroFilledWithoutGoingThroughThePageCache() throws IOException {
        assumeTrue(fileSystemTakesODirect(), "the file system of the test directory refuses O_DIRECT");
        Path p = dir.resolve("b.store");
        SlotStore.format(p, SIZE, 65536, false, StoreTesting.psyncOptions().withDirect(false),
                Preallocation.WRITE_ZEROS, FormatProgress.NONE);
        long pages = SIZE / 4096;
        long resident = residentPages(p);
        assertTrue(resident <= 16, resident + " of " + pages + " pages of the new store are in the page cache");
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions().withDirect(false))) {
            assertEquals(0, s.stats().keys());
            assertTrue(s.check().healthy());
        }
    }

    @Test
    @Timeout(120)
    void bufferedStoresRoundTripOnEveryEngineAndReopenEitherWay() throws IOException {
        List<String> engines = new ArrayList<>(List.of("psync", "pvsync", "filechannel"));
        if (IoUring.available()) {
            engines.add("uring");
        }
        boolean direct = fileSystemTakesODirect();
        for (String engine : engines) {
            Path p = dir.resolve(engine + ".store");
            StoreOptions buffered = StoreOptions.defaults().withEngine(engine).withDirect(false).withBatchSize(8);
            SlotStore.format(p, SIZE, 65536, false, buffered);
            List<byte[]> keys = new ArrayList<>();
            List<MemorySegment> values = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                keys.add(StoreTesting.key(engine + i));
                values.add(MemorySegment.ofArray(value(engine, i)));
            }
            try (SlotStore s = SlotStore.open(p, buffered)) {
                assertTrue(s.putMany(keys, values).stream().allMatch(SlotStore.Result::ok), engine);
                List<GetResult> got = s.getMany(keys);
                for (int i = 0; i < keys.size(); i++) {
                    assertArrayEquals(value(engine, i), got.get(i).value(), engine + " key " + i);
                }
                assertTrue(s.delete(keys.get(3)), engine);
                s.put(keys.get(5), value(engine, 6));
            }
            // Reopened the same way, and with O_DIRECT where the file system has it: the values written
            // through the page cache were flushed at close.
            List<StoreOptions> reopen = new ArrayList<>(List.of(buffered));
            if (direct) {
                reopen.add(buffered.withDirect(true));
            }
            for (StoreOptions o : reopen) {
                try (SlotStore t = SlotStore.open(p, o)) {
                    String how = engine + (o.direct() ? ", O_DIRECT" : ", buffered");
                    assertFalse(t.contains(keys.get(3)), how);
                    assertArrayEquals(value(engine, 6), t.get(keys.get(5)), how);
                    for (int i = 0; i < keys.size(); i++) {
                        if (i != 3 && i != 5) {
                            assertArrayEquals(value(engine, i), t.get(keys.get(i)), how + " key " + i);
                        }
                    }
                    CheckReport r = t.check();
                    assertTrue(r.healthy(), how + ": " + r);
                    assertEquals(keys.size() - 1, r.keysVerified(), how);
                }
            }
        }
    }

    @Test
    void whereTheFileSystemRefusesODirectABufferedStoreIsFormattedWithout() throws IOException {
        // An engine that refuses O_DIRECT as such a file system does: the open creates the file, then fails.
        IoEngines.register(new IoEngines.Kind("test-no-direct", "psync on a file system without O_DIRECT",
                c -> new NoDirectEngine(), java.util.Optional::empty, null));
        StoreOptions o = StoreOptions.defaults().withEngine("test-no-direct").withDirect(false);
        Path p = dir.resolve("nd.store");
        SlotStore.format(p, SIZE, 65536, false, o);
        try (SlotStore s = SlotStore.open(p, o)) {
            s.put(StoreTesting.key("k"), value("nd", 3));
            assertArrayEquals(value("nd", 3), s.get(StoreTesting.key("k")));
            assertTrue(s.check().healthy());
        }
        // A store that asks for O_DIRECT there gets the file system's refusal, and no file is left.
        Path q = dir.resolve("nd-direct.store");
        NativeIoException e = assertThrows(NativeIoException.class,
                () -> SlotStore.format(q, SIZE, 65536, false, o.withDirect(true)));
        assertEquals(Errno.EINVAL, e.errno());
        assertFalse(Files.exists(q), "the refused format left its file behind");
    }

    @Test
    void aFormatWhosePreallocationFailsLeavesNoFile() {
        // Larger than the file system can hold (ext4 files end at 16 TiB; other file systems run out of space).
        Path p = dir.resolve("huge.store");
        IOException e = assertThrows(IOException.class,
                () -> SlotStore.format(p, 64L << 40, 1L << 20, false, StoreTesting.psyncOptions()));
        assertFalse(Files.exists(p), "the failed format left its file behind: " + e.getMessage());
    }

    /** psync, except that an O_DIRECT open creates the file and then fails with EINVAL. */
    private static final class NoDirectEngine extends ForwardingIoEngine {
        NoDirectEngine() {
            super(new PsyncEngine());
        }

        @Override
        public String name() {
            return "test-no-direct";
        }

        @Override
        public IoFile open(Path path, OpenOptions options) throws IOException {
            if (options.direct()) {
                if (options.create() && !Files.exists(path)) {
                    Files.createFile(path);
                }
                throw new NativeIoException("open", Errno.EINVAL, path.toString());
            }
            return inner.open(path, options);
        }
    }

    private static byte[] value(String engine, int i) {
        return StoreTesting.valueFor(engine + i, VALUE_SIZES[i % VALUE_SIZES.length]);
    }

    private boolean fileSystemTakesODirect() throws IOException {
        Path probe = dir.resolve("direct.probe");
        try (NativeFile f = NativeFile.open(probe, OpenFlag.RDWR, OpenFlag.CREAT, OpenFlag.DIRECT)) {
            return true;
        } catch (NativeIoException e) {
            return false;
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private static long residentPages(Path p) throws IOException {
        try (NativeFile f = NativeFile.open(p, OpenFlag.RDONLY); Arena arena = Arena.ofConfined()) {
            MemorySegment m = Mman.map(arena, f, 0, Files.size(p), LinuxConstants.PROT_READ,
                    LinuxConstants.MAP_SHARED);
            return Mman.residentPages(m);
        }
    }
}
