package io.rawio.store;

import io.rawio.engine.EngineConfig;
import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngine;
import io.rawio.engine.IoEngines;
import io.rawio.engine.IoFile;
import io.rawio.engine.OpenOptions;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.Statx;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * An open store file or device: the engine, the file (with an exclusive flock, and O_EXCL on a
 * device), and its superblock, read and, when one copy is bad, repaired from the other. Every part of
 * the store reaches the device through it. Immutable once opened; thread-safe.
 */
final class StoreFile implements AutoCloseable {
    static final int BLOCK_SIZE = SlotStore.BLOCK_SIZE;

    private final Path path;
    private final IoEngine engine;
    private final IoFile file;
    private final Superblock sb;
    private final String engineNotice;

    private StoreFile(Path path, IoEngine engine, IoFile file, Superblock sb, String engineNotice) {
        this.path = path;
        this.engine = engine;
        this.file = file;
        this.sb = sb;
        this.engineNotice = engineNotice;
    }

    /** The engine a store runs on: the asked-for one, or its fallback (told to {@code notice}). */
    static IoEngine createEngine(StoreOptions options, Consumer<String> notice) {
        // One operation per submission call: on devices that start work per submission (virtio-blk)
        // a batch's first writes start while the rest are being queued.
        return IoEngines.createWithFallback(options.engine(),
                new EngineConfig(Math.max(options.batchSize(), 2), 1), notice);
    }

    /**
     * Opens the store at {@code path} on {@code engine}, which it owns from then on (closed here when the
     * open fails).
     *
     * @throws StoreException.NotAStore when the path holds no rawio store
     * @throws StoreException.InUse when another process has it open
     */
    static StoreFile open(Path path, StoreOptions options, IoEngine engine, String notice) throws IOException {
        IoFile file = null;
        try {
            if (!Files.exists(path)) {
                throw new NoSuchFileException(path.toString(), null, "no such store");
            }
            Statx stat = Statx.of(path);
            boolean device = stat.isDevice();
            OpenOptions how = OpenOptions.readWrite().withDirect(options.direct()).withExclusive(device);
            long deadline = System.nanoTime() + StoreLock.GRACE_NANOS;
            file = StoreLock.waitingOutTheGone(stat, deadline, () -> {
                try {
                    return engine.open(path, how);
                } catch (NativeIoException e) {
                    if (device && e.errno() == Errno.EBUSY) {
                        return null; // O_EXCL: another open of the device has it
                    }
                    throw e;
                }
            });
            if (file == null) {
                throw new StoreException.InUse("store is in use by another process (device busy): " + path);
            }
            if (!StoreLock.acquire(file.nativeFile(), stat, deadline)) {
                throw new StoreException.InUse("store is in use by another process: " + path);
            }
            Superblock sb = readSuperblock(engine, file, path);
            long unit = StoreFormatter.directUnit(file, file.isDirect());
            for (SuperblockDescriptor.SlotClass c : sb.classes()) {
                if (c.slotSize() % unit != 0) {
                    throw new StoreException("store " + path + " has a class of " + c.slotSize() + "-byte slots,"
                            + " written in 512-byte sectors, but direct I/O here takes " + unit + "-byte units ("
                            + file.alignment().describe() + "); open it without O_DIRECT (--direct=0), or"
                            + " export its keys and format it here");
                }
            }
            return new StoreFile(path, engine, file, sb, notice.isEmpty() ? null : notice);
        } catch (IOException | RuntimeException e) {
            closeQuietly(file, engine);
            throw e;
        }
    }

    private static void closeQuietly(IoFile file, IoEngine engine) {
        try {
            if (file != null) {
                file.close();
            }
        } catch (IOException ignored) {
            // the open already failed; that error is the one to report
        }
        engine.close();
    }

    /** Both superblock copies: the valid one, the other repaired from it; a clear refusal of anything else. */
    private static Superblock readSuperblock(IoEngine engine, IoFile file, Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(arena, 2L * SuperblockDescriptor.SIZE, BLOCK_SIZE);
            IoBatch b = new IoBatch(1);
            b.read(file, 0, buf);
            engine.execute(b);
            b.throwIfFailed();
            if (b.result(0) < buf.byteSize()) {
                throw new StoreException.NotAStore("not a rawio store: " + path + " (too small)");
            }
            MemorySegment a = buf.asSlice(0, SuperblockDescriptor.SIZE);
            MemorySegment c = buf.asSlice(SuperblockDescriptor.SIZE, SuperblockDescriptor.SIZE);
            Superblock first = SuperblockDescriptor.decode(a);
            Superblock second = SuperblockDescriptor.decode(c);
            if (first == null && second == null) {
                int version = Math.max(SuperblockDescriptor.intactVersion(a), SuperblockDescriptor.intactVersion(c));
                if (version >= 0) {
                    throw new StoreException("store " + path + " has format version " + version + "; this version of"
                            + " rawio reads format version " + SuperblockDescriptor.OLDEST_READABLE_VERSION + " or "
                            + SuperblockDescriptor.FORMAT_VERSION
                            + " (export its keys with the rawio that wrote it, then format it again)");
                }
                if (SuperblockDescriptor.hasMagic(a) || SuperblockDescriptor.hasMagic(c)) {
                    throw new StoreException.Corrupt("both superblocks of " + path + " fail their CRC32C");
                }
                throw new StoreException.NotAStore("not a rawio store: " + path);
            }
            Superblock good = first != null ? first : second;
            if (good.blockSize() != BLOCK_SIZE || good.maxKeyLength() > SlotStore.MAX_KEY_LENGTH) {
                throw new StoreException("store " + path + " was made with block size " + good.blockSize()
                        + " and keys of up to " + good.maxKeyLength() + " bytes; this version reads block size "
                        + BLOCK_SIZE + " and keys of up to " + SlotStore.MAX_KEY_LENGTH);
            }
            if (good.slotCount() > KeyIndex.MAX_SLOTS) {
                throw new StoreException("store " + path + " has " + good.slotCount() + " slots; this version of rawio"
                        + " indexes at most " + KeyIndex.MAX_SLOTS);
            }
            if (first == null || second == null) {
                // Repair the bad copy from the good one.
                MemorySegment fix = first == null ? a : c;
                SuperblockDescriptor.encode(good, fix);
                b.clear();
                b.write(file, first == null ? 0 : SuperblockDescriptor.SIZE, fix);
                b.fdatasync(file);
                engine.execute(b);
                b.throwIfFailed();
            }
            long size = file.size();
            if (good.end() > size) {
                throw new StoreException.Corrupt("store " + path + " is truncated: needs "
                        + good.end() + " bytes, has " + size);
            }
            return good;
        }
    }

    /** One slot's first block, as {@link #forEachSlotHeader} reads it. */
    @FunctionalInterface
    interface HeaderVisitor {
        /** {@code read} is false when the block could not be read whole. */
        void visit(long slot, MemorySegment head, boolean read);
    }

    /** Reads the first block of every slot of every class, 64 reads per dispatcher batch. */
    void forEachSlotHeader(Arena arena, HeaderVisitor visitor) {
        int per = 64;
        MemorySegment heads = AlignedMemory.allocate(arena, (long) per * BLOCK_SIZE, BLOCK_SIZE);
        IoBatch b = new IoBatch(per);
        for (long s0 = 0; s0 < sb.slotCount(); s0 += per) {
            b.clear();
            int n = (int) Math.min(per, sb.slotCount() - s0);
            for (int i = 0; i < n; i++) {
                b.read(file, sb.globalSlotOffset(s0 + i), heads.asSlice((long) i * BLOCK_SIZE, BLOCK_SIZE));
            }
            engine.execute(b);
            for (int i = 0; i < n; i++) {
                visitor.visit(s0 + i, heads.asSlice((long) i * BLOCK_SIZE, BLOCK_SIZE), b.result(i) == BLOCK_SIZE);
            }
        }
    }

    /** Runs a batch on this store's engine. */
    void execute(IoBatch batch) {
        engine.execute(batch);
    }

    Path path() {
        return path;
    }

    IoEngine engine() {
        return engine;
    }

    IoFile file() {
        return file;
    }

    Superblock superblock() {
        return sb;
    }

    /** What replaced the asked-for engine, and why, or null. */
    String engineNotice() {
        return engineNotice;
    }

    /** Closes the file, then the engine (even when closing the file failed). */
    @Override
    public void close() throws IOException {
        try {
            file.close();
        } finally {
            engine.close();
        }
    }
}
