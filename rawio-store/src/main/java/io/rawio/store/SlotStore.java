package io.rawio.store;

import io.rawio.engine.EngineConfig;
import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngine;
import io.rawio.engine.IoEngines;
import io.rawio.engine.IoFile;
import io.rawio.engine.OpenOptions;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.Statx;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A key-value store of fixed-size slots on a block device or a preallocated file.
 *
 * <pre>
 *   +--------------+--------------+----------------+----------------+------------------------------+
 *   | superblock A | superblock B | checkpoint 0   | checkpoint 1   | slot 0 | slot 1 | ... | N-1 |
 *   |  4 KiB       |  4 KiB       | (alternating)  |                |  each one aligned buffer     |
 *   +--------------+--------------+----------------+----------------+------------------------------+
 * </pre>
 *
 * <p>Writes go round the slots as a ring: the p-th write (its position) lands in slot p mod N with
 * sequence p, so the slots written since a checkpoint are the positions after it, and recovery reads
 * only those. A slot is one buffer (header, key, value) and one write operation, so putMany of n keys
 * is n write operations, sent to the engine as dispatcher batches of up to
 * {@link #MAX_CHUNKS_IN_FLIGHT} chunks of {@code batchSize} keys. Every read checks both CRC32Cs and
 * never returns bytes that fail them.
 *
 * <p>Thread-safe: many threads may put and get at once. The index and the ring cursor are guarded by
 * one lock held only to allocate, look up and commit; I/O runs outside it. At most
 * {@link #MAX_CHUNKS_IN_FLIGHT} write chunks are in flight at once, which bounds the gap of
 * unacknowledged positions recovery must read across.
 */
public final class SlotStore implements AutoCloseable {
    /** The largest key, in bytes. */
    public static final int MAX_KEY_LENGTH = 1024;
    /** The block every slot and region is aligned to. */
    public static final int BLOCK_SIZE = 4096;
    /**
     * Write chunks (of batchSize keys) one dispatcher batch carries at most. Over all threads, what may
     * be in flight is bounded in positions (see {@link RingBounds}), not in chunks.
     */
    public static final int MAX_CHUNKS_IN_FLIGHT = 16;
    /** Recovery reads slots of at most this size whole, many per read. */
    static final long SCAN_WHOLE_SLOT_MAX = 16 * 1024;
    /** Bytes per recovery read of whole slots. */
    static final long SCAN_READ_BYTES = 1 << 20;

    private final Path path;
    private final StoreOptions options;
    private final IoEngine engine;
    private final IoFile file;
    private final Superblock sb;
    private final KeyIndex index;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a chunk leaves {@link #inFlight}: writers waiting for room in the ring may go on. */
    private final java.util.concurrent.locks.Condition ringRoom = lock.newCondition();
    private final RingBounds bounds;
    private final TreeMap<Long, Integer> inFlight = new TreeMap<>();
    /**
     * With FIFO_REINSERT, keys with a write (value or tombstone) planned and not yet committed: never
     * reinserted meanwhile. Other eviction modes reinsert nothing and keep it empty.
     */
    private final java.util.HashMap<java.nio.ByteBuffer, Integer> pendingKeys = new java.util.HashMap<>();
    /** Started once recovery succeeded (a failed open leaves no thread behind); null when off. */
    private volatile ScheduledExecutorService checkpointer;
    private final String engineNotice;
    /** Per-thread slot buffers, reused across batches so a put does not map and fault fresh memory. */
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
    private final List<Scratch> scratches = java.util.Collections.synchronizedList(new ArrayList<>());

    /** A growable aligned region a thread carves its batch's slot buffers from. */
    private final class Scratch {
        Arena arena;
        MemorySegment region = MemorySegment.NULL;
        long used;
        /** The most a batch asked for since the region was last sized; the next reset grows to it. */
        long peak;

        Scratch() {
            scratches.add(this);
        }

        /**
         * A slice of the region, or memory of {@code fallback} when the region is too small for this
         * batch; the region grows to what the batch needed (up to {@link #SCRATCH_MAX}) at the next
         * {@link #reset()}, so a thread doing batches of one size stops allocating after the first.
         */
        MemorySegment take(long size, Arena fallback) {
            peak = Math.max(peak, used + size);
            if (used + size > region.byteSize()) {
                return AlignedMemory.allocate(fallback, size, BLOCK_SIZE);
            }
            MemorySegment s = region.asSlice(used, size);
            used += size;
            return s;
        }

        /** Starts a batch that expects to take about {@code expected} bytes. */
        void reset(long expected) {
            used = 0;
            peak = Math.max(peak, expected);
            if (peak > region.byteSize() && region.byteSize() < SCRATCH_MAX) {
                long want = Math.min(SCRATCH_MAX, Math.max(peak, region.byteSize() * 2));
                if (arena != null) {
                    arena.close();
                }
                arena = Arena.ofShared();
                // Transparent huge pages where the kernel allows them: O_DIRECT pins a buffer's
                // pages for every I/O, and a 2 MiB page is one entry to pin instead of 512.
                region = AlignedMemory.mapAnonymous(arena, roundUp(want, AlignedMemory.HUGE_PAGE_SIZE), true);
            }
            peak = 0;
        }

        void free() {
            if (arena != null) {
                arena.close();
                arena = null;
            }
        }
    }

    /** The most scratch memory one thread keeps between batches. */
    static final long SCRATCH_MAX = 64L << 20;

    private long cursor;
    private long generation;
    private volatile StoreException.Failed failure;
    private volatile boolean closed;
    private long writesSinceCheckpoint;
    /** Where recovery would start reading if the process died now. */
    private long checkpointScanStart;

    private long hits;
    private long misses;
    private long evictions;
    private long reinsertions;
    private long corruptions;
    private long bytesWritten;
    private long bytesStored;
    private long checkpoints;
    private long recoveredKeys;
    private long recoveryScanned;
    private long openMillis;

    // ------------------------------------------------------------------ create / open

    /** How {@link #format} reserves a regular file's blocks. A block device is never written ahead. */
    public enum Preallocation {
        /**
         * fallocate, then write zeros over the whole file (the default). Takes as long as writing the
         * file once, and leaves every block allocated and written, so no later write pays for
         * converting an unwritten extent (on ext4 a first O_DIRECT write into a fallocated range ran
         * at two thirds of the speed of a rewrite).
         */
        WRITE_ZEROS,
        /** fallocate only: instant, but each block's first write converts an unwritten extent. */
        FALLOCATE
    }

    /** Told how far {@link Preallocation#WRITE_ZEROS} has come, after every few MiB. */
    @FunctionalInterface
    public interface FormatProgress {
        FormatProgress NONE = (done, total) -> { };

        void written(long done, long total);
    }

    /** Bytes one zero-fill write covers, and writes in flight. */
    static final int ZERO_CHUNK = 8 << 20;
    static final int ZERO_DEPTH = 4;

    /**
     * Formats a new store with {@link Preallocation#WRITE_ZEROS}: see
     * {@link #format(Path, long, long, boolean, StoreOptions, Preallocation, FormatProgress)}.
     */
    public static void format(Path path, long sizeBytes, long slotSize, boolean force, StoreOptions options)
            throws IOException {
        format(path, sizeBytes, slotSize, force, options, Preallocation.WRITE_ZEROS, FormatProgress.NONE);
    }

    /**
     * Formats a new store: a regular file created and preallocated to {@code sizeBytes} (as
     * {@code prealloc} says), or a block device (its whole capacity; {@code sizeBytes} 0). Refuses an
     * existing file, or a device whose first blocks hold data, unless {@code force}.
     */
    public static void format(Path path, long sizeBytes, long slotSize, boolean force, StoreOptions options,
            Preallocation prealloc, FormatProgress progress) throws IOException {
        if (slotSize < BLOCK_SIZE || slotSize % BLOCK_SIZE != 0) {
            throw new IllegalArgumentException("slot size must be a positive multiple of " + BLOCK_SIZE
                    + ": slot=" + slotSize);
        }
        if (slotSize > (1L << 30)) {
            throw new IllegalArgumentException("slot size must be at most 1 GiB: slot=" + slotSize);
        }
        boolean exists = Files.exists(path);
        boolean device = exists && Statx.of(path).isBlockDevice();
        if (exists && Files.isDirectory(path)) {
            throw new IllegalArgumentException("is a directory: " + path);
        }
        if (exists && !device && !force) {
            throw new IllegalArgumentException("refusing to format existing file " + path + " (pass --force)");
        }
        if (!device && sizeBytes <= 0) {
            throw new IllegalArgumentException("size must be positive: size=" + sizeBytes);
        }
        if (!device) {
            layout(sizeBytes, slotSize); // refuses a size too small before anything is created
        }
        try (IoEngine engine = createEngine(options, s -> { })) {
            if (!device && exists) {
                Files.delete(path);
            }
            try (IoFile f = openForFormat(engine, path, device, sizeBytes, options.direct());
                    Arena arena = Arena.ofConfined()) {
                long size = device ? f.size() : sizeBytes;
                if (device && !force && holdsData(engine, f, arena)) {
                    throw new IllegalArgumentException("refusing to format " + path
                            + ": the device holds data (pass --force to destroy it)");
                }
                Superblock sb = layout(size, slotSize);
                if (!device && prealloc == Preallocation.WRITE_ZEROS) {
                    // Whole blocks: a tail shorter than a block lies past the last slot and is left as it is.
                    writeZeros(engine, f, arena, 0, size / BLOCK_SIZE * BLOCK_SIZE, progress);
                }
                MemorySegment buf = AlignedMemory.allocate(arena, CheckpointDescriptor.HEADER_SIZE, BLOCK_SIZE);
                IoBatch batch = new IoBatch(4);
                // An empty checkpoint, generation 1, scan from position 0; the other region invalid.
                MemorySegment empty = AlignedMemory.allocate(arena, BLOCK_SIZE, BLOCK_SIZE);
                empty.fill((byte) 0);
                CheckpointDescriptor.encodeHeader(buf, new CheckpointDescriptor.Header(1, 0, 0, 0, Le.crc32c(buf, 0, 0)));
                batch.write(f, sb.checkpoint1(), buf);
                batch.write(f, sb.checkpoint0(), empty);
                batch.fdatasync(f);
                engine.execute(batch);
                batch.throwIfFailed();
                // Invalidate slot 0's header so a reused device cannot look like a written position 0.
                batch.clear();
                batch.write(f, sb.slotOffset(0), empty);
                MemorySegment sbBuf = AlignedMemory.allocate(arena, SuperblockDescriptor.SIZE, BLOCK_SIZE);
                SuperblockDescriptor.encode(sb, sbBuf);
                batch.write(f, 0, sbBuf);
                batch.write(f, SuperblockDescriptor.SIZE, sbBuf);
                batch.fdatasync(f);
                engine.execute(batch);
                batch.throwIfFailed();
            }
        }
    }

    /**
     * Opens the file or device to format. It is written with O_DIRECT whenever the engine and the file
     * system allow it, even for a store that will be opened without: the zero fill then neither goes
     * through nor stays in the page cache. A store that asked for no O_DIRECT is formatted without it
     * where the file system refuses O_DIRECT (EINVAL).
     */
    private static IoFile openForFormat(IoEngine engine, Path path, boolean device, long sizeBytes, boolean direct)
            throws IOException {
        OpenOptions oo = OpenOptions.readWrite().withCreate(!device).withExclusive(device);
        if (!device) {
            oo = oo.withSize(sizeBytes);
        }
        boolean fallBack = !direct && engine.supportsDirect();
        try {
            return engine.open(path, oo.withDirect(direct || fallBack));
        } catch (IOException e) {
            removeAfterFailedOpen(path, device, e);
            if (!fallBack || !(e instanceof NativeIoException n) || n.errno() != Errno.EINVAL) {
                throw e;
            }
        }
        try {
            return engine.open(path, oo.withDirect(false));
        } catch (IOException e) {
            removeAfterFailedOpen(path, device, e);
            throw e;
        }
    }

    /**
     * Removes the file a failed open may have created (the kernel creates it before refusing O_DIRECT;
     * a failed preallocation leaves it short). A device is left alone; a failure to remove is added to
     * {@code cause} rather than hiding it.
     */
    private static void removeAfterFailedOpen(Path path, boolean device, IOException cause) {
        if (device) {
            return;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * Writes zeros over {@code length} bytes from {@code from} (both whole blocks), {@link #ZERO_DEPTH}
     * writes of up to {@link #ZERO_CHUNK} at a time, telling {@code progress} after each round.
     */
    private static void writeZeros(IoEngine engine, IoFile f, Arena arena, long from, long length,
            FormatProgress progress) throws NativeIoException {
        MemorySegment zeros = AlignedMemory.allocate(arena, Math.max(BLOCK_SIZE, Math.min(ZERO_CHUNK, length)),
                BLOCK_SIZE); // zeroed by the arena
        IoBatch batch = new IoBatch(ZERO_DEPTH);
        long done = 0;
        while (done < length) {
            batch.clear();
            for (int k = 0; k < ZERO_DEPTH && done < length; k++) {
                long n = Math.min(zeros.byteSize(), length - done);
                batch.write(f, from + done, zeros.asSlice(0, n));
                done += n;
            }
            engine.execute(batch);
            batch.throwIfFailed();
            progress.written(done, length);
        }
    }

    private static boolean holdsData(IoEngine engine, IoFile f, Arena arena) {
        MemorySegment buf = AlignedMemory.allocate(arena, 2L * BLOCK_SIZE, BLOCK_SIZE);
        IoBatch b = new IoBatch(1);
        b.read(f, 0, buf);
        engine.execute(b);
        if (b.result(0) < 0) {
            return true;
        }
        for (long i = 0; i < b.result(0); i += 8) {
            if (buf.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                return true;
            }
        }
        return false;
    }

    /** The geometry of a store of {@code size} bytes with {@code slotSize} slots. */
    static Superblock layout(long size, long slotSize) {
        long meta = 2L * SuperblockDescriptor.SIZE;
        long approxSlots = Math.max(0, (size - meta) / slotSize);
        long ckpt = roundUp(Math.max(1L << 20, approxSlots * 64) + CheckpointDescriptor.HEADER_SIZE, BLOCK_SIZE);
        long slotsOffset = meta + 2 * ckpt;
        long slotCount = (size - slotsOffset) / slotSize;
        if (slotCount < 2) {
            throw new IllegalArgumentException("size too small: size=" + size + " holds " + Math.max(0, slotCount)
                    + " slots of " + slotSize + " bytes after " + slotsOffset + " bytes of metadata; need at least 2");
        }
        if (slotCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many slots: " + slotCount + " (use larger slots)");
        }
        return new Superblock(UUID.randomUUID(), BLOCK_SIZE, slotSize, slotCount, meta, meta + ckpt, ckpt,
                slotsOffset, MAX_KEY_LENGTH, System.currentTimeMillis());
    }

    static long roundUp(long v, long a) {
        return (v + a - 1) / a * a;
    }

    private static IoEngine createEngine(StoreOptions options, Consumer<String> notice) {
        // One operation per submission call: on devices that start work per submission (virtio-blk)
        // a batch's first writes start while the rest are being queued.
        return IoEngines.createWithFallback(options.engine(),
                new EngineConfig(Math.max(options.batchSize(), 2), 1), notice);
    }

    /**
     * Opens a store: loads the newest valid checkpoint, then reads the slots written after it.
     *
     * @throws StoreException.NotAStore when the path holds no rawio store
     * @throws StoreException.InUse when another process has it open
     */
    public static SlotStore open(Path path, StoreOptions options) throws IOException {
        StringBuilder notice = new StringBuilder();
        IoEngine engine = createEngine(options, notice::append);
        return open(path, options, engine, notice.toString());
    }

    /**
     * Opens a store on an engine the caller made (a wrapper such as a fault-injecting engine); the
     * store owns the engine from then on and closes it.
     */
    public static SlotStore open(Path path, StoreOptions options, IoEngine engine) throws IOException {
        return open(path, options, engine, "");
    }

    private static SlotStore open(Path path, StoreOptions options, IoEngine engine, String notice)
            throws IOException {
        long start = System.nanoTime();
        IoFile file = null;
        try {
            if (!Files.exists(path)) {
                throw new java.nio.file.NoSuchFileException(path.toString(), null, "no such store");
            }
            boolean device = Statx.of(path).isBlockDevice();
            file = engine.open(path, OpenOptions.readWrite().withDirect(options.direct()).withExclusive(device));
            if (!file.nativeFile().flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB)) {
                throw new StoreException.InUse("store is in use by another process: " + path);
            }
            SlotStore s = new SlotStore(path, options, engine, file, readSuperblock(engine, file, path), notice);
            s.recover();
            s.startPeriodicCheckpoints();
            s.openMillis = (System.nanoTime() - start) / 1_000_000;
            return s;
        } catch (NativeIoException e) {
            closeQuietly(file, engine);
            if (e.errno() == io.rawio.nativeio.Errno.EBUSY) {
                throw new StoreException.InUse("store is in use by another process (device busy): " + path);
            }
            throw e;
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

    private SlotStore(Path path, StoreOptions options, IoEngine engine, IoFile file, Superblock sb, String notice) {
        this.path = path;
        this.options = options;
        this.engine = engine;
        this.file = file;
        this.sb = sb;
        this.index = new KeyIndex(sb.slotCount());
        this.bounds = new RingBounds(sb.slotCount());
        this.engineNotice = notice.isEmpty() ? null : notice;
    }

    private void startPeriodicCheckpoints() {
        if (options.checkpointIntervalMs() <= 0) {
            return;
        }
        ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rawio-store-checkpoint");
            t.setDaemon(true);
            return t;
        });
        ex.scheduleWithFixedDelay(this::periodicCheckpoint, options.checkpointIntervalMs(),
                options.checkpointIntervalMs(), TimeUnit.MILLISECONDS);
        checkpointer = ex;
    }

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
                            + " rawio reads format version " + SuperblockDescriptor.FORMAT_VERSION
                            + " (export its keys with the rawio that wrote it, then format it again)");
                }
                if (SuperblockDescriptor.hasMagic(a) || SuperblockDescriptor.hasMagic(c)) {
                    throw new StoreException.Corrupt("both superblocks of " + path + " fail their CRC32C");
                }
                throw new StoreException.NotAStore("not a rawio store: " + path);
            }
            Superblock good = first != null ? first : second;
            if (good.blockSize() != BLOCK_SIZE || good.maxKeyLength() > MAX_KEY_LENGTH) {
                throw new StoreException("store " + path + " was made with block size " + good.blockSize()
                        + " and keys of up to " + good.maxKeyLength() + " bytes; this version reads block size "
                        + BLOCK_SIZE + " and keys of up to " + MAX_KEY_LENGTH);
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
            if (good.slotOffset(good.slotCount()) > size) {
                throw new StoreException.Corrupt("store " + path + " is truncated: needs " + good.slotOffset(good.slotCount())
                        + " bytes, has " + size);
            }
            return good;
        }
    }

    // ------------------------------------------------------------------ recovery

    private void recover() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment hdr = AlignedMemory.allocate(arena, 2L * BLOCK_SIZE, BLOCK_SIZE);
            IoBatch b = new IoBatch(2);
            b.read(file, sb.checkpoint0(), hdr.asSlice(0, BLOCK_SIZE));
            b.read(file, sb.checkpoint1(), hdr.asSlice(BLOCK_SIZE, BLOCK_SIZE));
            engine.execute(b);
            b.throwIfFailed();
            CheckpointDescriptor.Header[] h = {
                CheckpointDescriptor.decodeHeader(hdr.asSlice(0, BLOCK_SIZE)),
                CheckpointDescriptor.decodeHeader(hdr.asSlice(BLOCK_SIZE, BLOCK_SIZE))
            };
            long[] regions = {sb.checkpoint0(), sb.checkpoint1()};
            boolean loaded = false;
            // Newest valid first; an unreadable or corrupt payload falls back to the other region.
            int[] order = h[0] != null && (h[1] == null || h[0].generation() > h[1].generation())
                    ? new int[] {0, 1} : new int[] {1, 0};
            for (int r : order) {
                if (h[r] != null && loadCheckpoint(arena, regions[r], h[r])) {
                    generation = Math.max(h[0] == null ? 0 : h[0].generation(), h[1] == null ? 0 : h[1].generation());
                    cursor = h[r].scanStart();
                    checkpointScanStart = cursor;
                    loaded = true;
                    break;
                }
            }
            if (!loaded || !scanFrom(arena, cursor)) {
                index.clear();
                fullScan(arena);
            }
            checkpointScanStart = Math.min(checkpointScanStart, cursor);
        }
    }

    /**
     * A checkpoint's entries, read and checked against the header's length and CRC32C; null when they
     * do not fit the region, cannot be read, or fail the CRC.
     */
    private MemorySegment checkpointPayload(Arena arena, long region, CheckpointDescriptor.Header h) {
        if (h.payloadLength() > sb.checkpointSize() - CheckpointDescriptor.HEADER_SIZE) {
            return null;
        }
        if (h.payloadLength() == 0) {
            return h.count() == 0 ? MemorySegment.NULL : null;
        }
        MemorySegment payload = AlignedMemory.allocate(arena, roundUp(h.payloadLength(), BLOCK_SIZE), BLOCK_SIZE);
        IoBatch b = new IoBatch(1);
        b.read(file, region + CheckpointDescriptor.HEADER_SIZE, payload);
        engine.execute(b);
        if (b.result(0) < h.payloadLength() || Le.crc32c(payload, 0, h.payloadLength()) != h.payloadCrc()) {
            return null;
        }
        return payload;
    }

    private boolean loadCheckpoint(Arena arena, long region, CheckpointDescriptor.Header h) {
        MemorySegment payload = checkpointPayload(arena, region, h);
        if (payload == null) {
            return false;
        }
        index.reserve(h.count());
        long at = 0;
        for (long i = 0; i < h.count(); i++) {
            long position = payload.get(Le.U64, at);
            int valueLength = payload.get(Le.U32, at + 8);
            int keyLength = Short.toUnsignedInt(payload.get(Le.U16, at + 12));
            int dataCrc = payload.get(Le.U32, at + CheckpointDescriptor.ENTRY_DATA_CRC);
            byte[] key = payload.asSlice(at + CheckpointDescriptor.ENTRY_FIXED, keyLength).toArray(ValueLayout.JAVA_BYTE);
            index.put(key, position, valueLength, dataCrc);
            at += CheckpointDescriptor.ENTRY_FIXED + keyLength;
        }
        return true;
    }

    /**
     * Reads the ring from {@code start}: every slot whose sequence is its position is applied. Returns
     * false when the ring came round past {@code start} since (a slot holds a later lap), which a
     * checkpoint every eighth of the ring prevents; the caller then reads every slot.
     */
    private boolean scanFrom(Arena arena, long start) throws IOException {
        long window = bounds.recoveryGap();
        // Small slots are read whole, many consecutive slots per read (1 MiB): the scan then costs a few
        // large reads instead of one read per slot. Larger slots: one read of each slot's first block.
        boolean whole = sb.slotSize() <= SCAN_WHOLE_SLOT_MAX;
        long stride = whole ? sb.slotSize() : BLOCK_SIZE;
        int perRead = whole ? (int) Math.max(1, SCAN_READ_BYTES / sb.slotSize()) : 1;
        int reads = whole ? 4 : 256;
        int batchN = perRead * reads;
        MemorySegment heads = AlignedMemory.allocate(arena, batchN * stride, BLOCK_SIZE);
        MemorySegment full = null;
        IoBatch b = new IoBatch(reads);
        int[] firstOfRead = new int[reads];
        long[] validOf = new long[batchN];
        long p = start;
        long lastValid = start - 1;
        long end = start + sb.slotCount();
        while (p < end && p - lastValid <= window) {
            b.clear();
            int n = 0;
            for (int r = 0; r < reads && p + n < end; r++) {
                long slot = index.slotOf(p + n);
                // A read never crosses the end of the ring.
                int m = (int) Math.min(Math.min(perRead, end - p - n), sb.slotCount() - slot);
                firstOfRead[r] = n;
                b.read(file, sb.slotOffset(slot), heads.asSlice(n * stride, m * stride));
                n += m;
            }
            engine.execute(b);
            for (int r = 0; r < b.size(); r++) {
                long got = Math.max(0, b.result(r));
                int next = r + 1 < b.size() ? firstOfRead[r + 1] : n;
                for (int i = firstOfRead[r]; i < next; i++) {
                    validOf[i] = Math.min(stride, Math.max(0, got - (i - firstOfRead[r]) * stride));
                }
            }
            recoveryScanned += n;
            for (int i = 0; i < n; i++) {
                long pos = p + i;
                if (validOf[i] < BLOCK_SIZE) {
                    continue;
                }
                MemorySegment head = heads.asSlice(i * stride, validOf[i]);
                if (!SlotDescriptor.headerValid(head, sb.storeId(), sb.slotSize())) {
                    continue;
                }
                if (SlotDescriptor.sequence(head) > pos) {
                    return false;
                }
                if (SlotDescriptor.sequence(head) != pos) {
                    continue;
                }
                int kl = SlotDescriptor.keyLength(head);
                int vl = SlotDescriptor.valueLength(head);
                long used = roundUp(SlotDescriptor.usedBytes(kl, vl, sb.slotSize()), BLOCK_SIZE);
                MemorySegment slot = head;
                if (used > head.byteSize()) {
                    if (full == null) {
                        full = AlignedMemory.allocate(arena, sb.slotSize(), BLOCK_SIZE);
                    }
                    IoBatch one = new IoBatch(1);
                    one.read(file, sb.slotOffset(index.slotOf(pos)), full.asSlice(0, used));
                    engine.execute(one);
                    if (one.result(0) < used) {
                        continue;
                    }
                    slot = full;
                }
                // The slot was rewritten at this position: whatever the checkpoint had there is gone.
                index.evictSlot(index.slotOf(pos));
                if (!SlotDescriptor.dataValid(slot, sb.slotSize())) {
                    continue;
                }
                byte[] key = slot.asSlice(SlotDescriptor.HEADER_SIZE, kl).toArray(ValueLayout.JAVA_BYTE);
                if (SlotDescriptor.flags(slot) == SlotDescriptor.FLAG_TOMBSTONE) {
                    index.remove(key);
                } else {
                    index.put(key, pos, vl, SlotDescriptor.dataCrc(slot));
                    recoveredKeys++;
                }
                lastValid = pos;
            }
            p += n;
        }
        cursor = lastValid + 1;
        return true;
    }

    /** No valid checkpoint: read every slot, and apply them in sequence order. */
    private void fullScan(Arena arena) throws IOException {
        TreeMap<Long, Integer> bySequence = new TreeMap<>();
        forEachSlotHeader(arena, (s, head, read) -> {
            recoveryScanned++;
            if (read && SlotDescriptor.headerValid(head, sb.storeId(), sb.slotSize())
                    && Long.remainderUnsigned(SlotDescriptor.sequence(head), sb.slotCount()) == s) {
                bySequence.put(SlotDescriptor.sequence(head), (int) s);
            }
        });
        if (bySequence.isEmpty()) {
            cursor = 0;
            return;
        }
        // Applied in order from the oldest: data CRCs and tombstones are checked as they are applied.
        scanAll(arena, bySequence);
        cursor = bySequence.lastKey() + 1;
    }

    @FunctionalInterface
    private interface HeaderVisitor {
        /** One slot's first block; {@code read} is false when it could not be read whole. */
        void visit(long slot, MemorySegment head, boolean read);
    }

    /** Reads the first block of every slot of the ring, 64 reads per dispatcher batch. */
    private void forEachSlotHeader(Arena arena, HeaderVisitor visitor) {
        int per = 64;
        MemorySegment heads = AlignedMemory.allocate(arena, (long) per * BLOCK_SIZE, BLOCK_SIZE);
        IoBatch b = new IoBatch(per);
        for (long s0 = 0; s0 < sb.slotCount(); s0 += per) {
            b.clear();
            int n = (int) Math.min(per, sb.slotCount() - s0);
            for (int i = 0; i < n; i++) {
                b.read(file, sb.slotOffset(s0 + i), heads.asSlice((long) i * BLOCK_SIZE, BLOCK_SIZE));
            }
            engine.execute(b);
            for (int i = 0; i < n; i++) {
                visitor.visit(s0 + i, heads.asSlice((long) i * BLOCK_SIZE, BLOCK_SIZE), b.result(i) == BLOCK_SIZE);
            }
        }
    }

    private void scanAll(Arena arena, TreeMap<Long, Integer> bySequence) {
        MemorySegment full = AlignedMemory.allocate(arena, sb.slotSize(), BLOCK_SIZE);
        IoBatch one = new IoBatch(1);
        for (var e : bySequence.entrySet()) {
            one.clear();
            one.read(file, sb.slotOffset(e.getValue()), full);
            engine.execute(one);
            if (one.result(0) < SlotDescriptor.HEADER_SIZE) {
                continue;
            }
            if (!SlotDescriptor.headerValid(full, sb.storeId(), sb.slotSize())
                    || !SlotDescriptor.dataValid(full, sb.slotSize())) {
                continue;
            }
            byte[] key = full.asSlice(SlotDescriptor.HEADER_SIZE, SlotDescriptor.keyLength(full)).toArray(ValueLayout.JAVA_BYTE);
            index.evictSlot(e.getValue());
            if (SlotDescriptor.flags(full) == SlotDescriptor.FLAG_TOMBSTONE) {
                index.remove(key);
            } else {
                index.put(key, e.getKey(), SlotDescriptor.valueLength(full), SlotDescriptor.dataCrc(full));
                recoveredKeys++;
            }
        }
    }

    // ------------------------------------------------------------------ writes

    /** The outcome of one key of a batch: its status, and what went wrong (null when OK). */
    public record Result(Status status, String error) {
        static final Result OK = new Result(Status.OK, null);

        static Result fail(Status status, String error) {
            return new Result(status, error);
        }

        public boolean ok() {
            return status == Status.OK;
        }
    }

    /** How a put or delete of one key ended. Nothing is written for any status but OK and FAILED. */
    public enum Status {
        /** Acknowledged under the store's durability. */
        OK,
        /** The caller's mistake: an empty or too long key, a value larger than a slot holds. */
        INVALID,
        /** Eviction is off and the next slot of the ring holds a live key. */
        FULL,
        /** A write or flush failed, now or earlier: the store refuses writes until it is reopened. */
        FAILED
    }

    /** The largest value a key of {@code keyLength} bytes can have. */
    public long maxValueLength(int keyLength) {
        return sb.slotSize() - SlotDescriptor.HEADER_SIZE - keyLength;
    }

    public void put(byte[] key, byte[] value) throws IOException {
        put(key, MemorySegment.ofArray(value));
    }

    /** Stores a value; returns when acknowledged under the store's durability. */
    public void put(byte[] key, MemorySegment value) throws IOException {
        Result r = putMany(List.of(key), List.of(value)).getFirst();
        if (!r.ok()) {
            throw failureFor(r);
        }
    }

    private StoreException failureFor(Result r) {
        return switch (r.status()) {
            case INVALID -> new StoreException.Invalid(r.error());
            case FULL -> new StoreException.Full(r.error());
            case FAILED -> failure != null ? new StoreException.Failed(r.error(), failure) : new StoreException(r.error());
            case OK -> throw new IllegalStateException("not a failure: " + r);
        };
    }

    /**
     * Stores many values: chunks of {@code batchSize} keys, each chunk one dispatcher batch of one write
     * per key (plus one fdatasync when durable), committed to the index when the chunk is acknowledged.
     * One result per key. A key given twice keeps its last value.
     */
    public List<Result> putMany(List<byte[]> keys, List<MemorySegment> values) throws IOException {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException("keys and values differ in count: keys=" + keys.size() + ", values="
                    + values.size());
        }
        checkOpen();
        Result[] results = new Result[keys.size()];
        for (int from = 0; from < keys.size(); ) {
            from = writeWindow(keys, values, from, keys.size(), results, SlotDescriptor.FLAG_LIVE);
        }
        return Arrays.asList(results);
    }

    /** Removes a key (a tombstone write, so the delete survives restart). Returns false when absent. */
    public boolean delete(byte[] key) throws IOException {
        checkOpen();
        lock.lock();
        try {
            if (index.find(key) < 0) {
                return false;
            }
        } finally {
            lock.unlock();
        }
        Result[] r = new Result[1];
        writeWindow(List.of(key), List.of(MemorySegment.NULL), 0, 1, r, SlotDescriptor.FLAG_TOMBSTONE);
        if (r[0].status() == Status.FULL && failure == null) {
            return deleteInPlace(key);
        }
        if (!r[0].ok()) {
            throw failureFor(r[0]);
        }
        return true;
    }

    /**
     * Delete when the ring has no slot for a tombstone (eviction off and full): the key's slot is
     * invalidated in place and a checkpoint without the key is written, so neither the checkpoint nor
     * the scan after it brings the key back.
     */
    private boolean deleteInPlace(byte[] key) throws IOException {
        long position;
        long used;
        int slot;
        lock.lock();
        try {
            int e = index.find(key);
            if (e < 0) {
                return false;
            }
            position = index.positionAt(e);
            slot = index.slotOf(position);
            used = roundUp(SlotDescriptor.usedBytes(key.length, index.valueLengthAt(e), sb.slotSize()), BLOCK_SIZE);
            index.remove(key);
            // No put may take the slot until its zeros have landed, or they could land over the put.
            index.markBusy(slot);
        } finally {
            lock.unlock();
        }
        try (Arena arena = Arena.ofConfined()) {
            // The whole slot, value blocks too: if a crash brings back a checkpoint that still lists the
            // key (the new one did not fit, or failed), its get fails the data CRC instead of returning
            // the deleted value.
            writeZeros(engine, file, arena, sb.slotOffset(slot), used, FormatProgress.NONE);
            IoBatch b = new IoBatch(1);
            b.fdatasync(file);
            engine.execute(b);
            failOn(b, "delete");
        } catch (NativeIoException e) {
            throw failed("delete", e);
        } finally {
            lock.lock();
            try {
                index.clearBusy(slot);
            } finally {
                lock.unlock();
            }
        }
        writeCheckpoint();
        return true;
    }

    private record Planned(int keyIndex, long position, int chunk) {
    }

    private record Reinsert(byte[] key, long oldPosition, long newPosition, int valueLength, int dataCrc, int chunk) {
    }

    /**
     * Chunks one dispatcher batch may carry: up to {@link #MAX_CHUNKS_IN_FLIGHT}, no more positions
     * than a quarter of the ring (so no slot is written twice in a batch and a checkpoint comes well
     * before the ring comes round), and, on engines that prepare every write before the batch starts,
     * no more slot memory than a thread keeps.
     */
    int windowChunks() {
        int bs = options.batchSize();
        long c = Math.min(MAX_CHUNKS_IN_FLIGHT, bounds.windowKeys(Long.MAX_VALUE) / bs);
        if (!engine.preparesLazily()) {
            c = Math.min(c, SCRATCH_MAX / ((long) bs * sb.slotSize()));
        }
        return (int) Math.max(1, c);
    }

    /**
     * Writes keys {@code [from, to)}, or the first chunks of them, as one dispatcher batch; returns the
     * index of the first key not handled.
     */
    private int writeWindow(List<byte[]> keys, List<MemorySegment> values, int from, int to, Result[] results,
            short flags) throws IOException {
        int bs = options.batchSize();
        int nChunks = (int) Math.min(windowChunks(), (to - from + (long) bs - 1) / bs);
        to = Math.min(to, from + nChunks * bs);
        // A tiny ring, or a batch larger than the positions in flight may span: a shorter window.
        to = (int) Math.min(to, from + bounds.windowKeys(to - from));
        for (int i = from; i < to; i++) {
            String bad = validate(keys.get(i), values.get(i));
            if (bad != null) {
                results[i] = Result.fail(Status.INVALID, bad);
            }
        }
        Window w = new Window(keys, values, results, flags, nChunks);
        lock.lock();
        try {
            // Every position in flight, over all threads, lies within RingBounds' budget of the oldest
            // one (recovery relies on it, and no two writes in flight share a slot): wait while this
            // window would stretch that.
            long need = to - from;
            while (!bounds.fits(oldestInFlight(), cursor, need) && failure == null) {
                ringRoom.awaitUninterruptibly();
            }
            if (failure != null) {
                // A write failed (before this call, or while it waited): plan nothing, evict nothing.
                for (int i = from; i < to; i++) {
                    if (results[i] == null) {
                        results[i] = Result.fail(Status.FAILED, refusal());
                    }
                }
                return to;
            }
            long limit = bounds.limit(oldestInFlight(), cursor);
            boolean full = false;
            for (int c = 0; c < nChunks; c++) {
                w.chunkStart[c] = cursor;
                int plannedBefore = w.planned.size();
                int reinsertsBefore = w.reinserts.size();
                for (int i = from + c * bs; i < Math.min(to, from + (c + 1) * bs); i++) {
                    if (results[i] != null) {
                        continue;
                    }
                    // Pending before its slot is chosen: a reinsertion this allocation makes must not
                    // rewrite the key's old value after its new one.
                    pend(keys.get(i));
                    long p = full ? -1 : allocate(w.reinserts, c, limit - (to - i));
                    if (p < 0) {
                        unpend(keys.get(i));
                        full = true;
                        results[i] = Result.fail(Status.FULL,
                                "store full: the next slot holds a live key and eviction is off"
                                + " (delete keys or use eviction)");
                        continue;
                    }
                    w.planned.add(new Planned(i, p, c));
                }
                w.hasWork[c] = w.planned.size() > plannedBefore || w.reinserts.size() > reinsertsBefore;
                if (w.hasWork[c]) {
                    inFlight.merge(w.chunkStart[c], 1, Integer::sum);
                }
            }
        } finally {
            lock.unlock();
        }
        if (!w.planned.isEmpty() || !w.reinserts.isEmpty()) {
            try (Arena arena = Arena.ofConfined()) {
                w.run(arena);
            } finally {
                // Chunks not committed (the engine threw): failed, their permits and positions released.
                for (int c = 0; c < nChunks; c++) {
                    if (w.hasWork[c] && !w.committed[c]) {
                        if (w.chunkError[c] == null) {
                            w.chunkError[c] = "write not completed";
                        }
                        w.commit(c);
                    }
                }
            }
            if (w.thrown != null) {
                throw w.thrown;
            }
        }
        if (failure == null && cursor - checkpointScanStart > autoCheckpointPositions()) {
            // Recovery reads the positions after the checkpoint: keep that range short (an eighth of
            // the ring) so opening after a crash stays fast, and well before the ring comes round.
            writeCheckpoint();
        }
        return to;
    }

    /** The first position of the oldest write in flight, or -1; the caller holds the lock. */
    private long oldestInFlight() {
        return inFlight.isEmpty() ? -1 : inFlight.firstKey();
    }

    private String refusal() {
        StoreException.Failed f = failure;
        return "store refuses writes after an earlier write error (reopen it)" + (f == null ? "" : ": " + f.getMessage());
    }

    /** The chunks of one dispatcher batch of writes: what each op is, and each chunk's progress. */
    private final class Window {
        final List<byte[]> keys;
        final List<MemorySegment> values;
        final Result[] results;
        final short flags;
        final int nChunks;
        final List<Planned> planned = new ArrayList<>();
        final List<Reinsert> reinserts = new ArrayList<>();
        final long[] chunkStart;
        final boolean[] hasWork;
        final boolean[] committed;
        final int[] remaining;
        final String[] chunkError;
        final boolean[] canceled;
        int nextCommit;
        /** Set once a chunk failed: the chunks after it fail too. */
        boolean failedBefore;
        /** An exception a preparer caught (a value that cannot be read): rethrown after the batch. */
        RuntimeException thrown;
        IoBatch batch;
        int[] chunkOf;
        /** Per op: the planned write's index, -1 - the reinsert's index, or Integer.MIN_VALUE (a sync). */
        int[] refOf;
        MemorySegment[] bufOf;
        /** Per planned write: the data CRC of its slot, set as the slot is filled. */
        int[] dataCrcs;

        Window(List<byte[]> keys, List<MemorySegment> values, Result[] results, short flags, int nChunks) {
            this.keys = keys;
            this.values = values;
            this.results = results;
            this.flags = flags;
            this.nChunks = nChunks;
            chunkStart = new long[nChunks];
            hasWork = new boolean[nChunks];
            committed = new boolean[nChunks];
            remaining = new int[nChunks];
            chunkError = new String[nChunks];
            canceled = new boolean[nChunks];
        }

        long slotBytes(Planned pl) {
            return roundUp(SlotDescriptor.usedBytes(keys.get(pl.keyIndex()).length,
                    values.get(pl.keyIndex()).byteSize(), sb.slotSize()), BLOCK_SIZE);
        }

        void run(Arena arena) {
            Scratch sc = scratch.get();
            long largest = 0;
            for (Planned pl : planned) {
                largest = Math.max(largest, slotBytes(pl));
            }
            sc.reset(buffersNeeded(planned.size()) * largest);
            int ops = planned.size() + reinserts.size() + nChunks;
            batch = new IoBatch(ops);
            dataCrcs = new int[planned.size()];
            // Reinserted slots: read their first block, give it the new sequence, write it back in place.
            MemorySegment[] heads = new MemorySegment[reinserts.size()];
            if (!reinserts.isEmpty()) {
                for (int i = 0; i < heads.length; i++) {
                    heads[i] = AlignedMemory.allocate(arena, BLOCK_SIZE, BLOCK_SIZE);
                    batch.read(file, sb.slotOffset(index.slotOf(reinserts.get(i).newPosition())), heads[i]);
                }
                engine.execute(batch);
                for (int i = 0; i < heads.length; i++) {
                    if (batch.result(i) < BLOCK_SIZE) {
                        String m = batch.result(i) < 0 ? batch.failure(i).getMessage() : "short read";
                        fail(m, new IoException(m));
                        for (int c = 0; c < nChunks; c++) {
                            if (hasWork[c]) {
                                chunkError[c] = m;
                                commit(c);
                            }
                        }
                        return;
                    }
                    heads[i].set(Le.U64, SlotDescriptor.SEQUENCE_OFFSET, reinserts.get(i).newPosition());
                    SlotDescriptor.sealHeader(heads[i]);
                }
                batch.clear();
            }
            chunkOf = new int[ops];
            refOf = new int[ops];
            bufOf = new MemorySegment[ops];
            long written = 0;
            int p = 0;
            int r = 0;
            for (int c = 0; c < nChunks; c++) {
                if (!hasWork[c]) {
                    continue;
                }
                int first = batch.size();
                for (; p < planned.size() && planned.get(p).chunk() == c; p++) {
                    written += slotBytes(planned.get(p));
                    // The buffer is chosen and filled as the op is issued (see the preparer).
                    int op = batch.write(file, sb.slotOffset(index.slotOf(planned.get(p).position())), MemorySegment.NULL);
                    chunkOf[op] = c;
                    refOf[op] = p;
                }
                for (; r < reinserts.size() && reinserts.get(r).chunk() == c; r++) {
                    int op = batch.write(file, sb.slotOffset(index.slotOf(reinserts.get(r).newPosition())), heads[r]);
                    chunkOf[op] = c;
                    refOf[op] = -1 - r;
                    written += BLOCK_SIZE;
                }
                if (options.durability() == StoreOptions.Durability.DURABLE) {
                    int op = batch.fdatasync(file);
                    chunkOf[op] = c;
                    refOf[op] = Integer.MIN_VALUE;
                }
                remaining[c] = batch.size() - first;
            }
            long bufferSize = largest;
            java.util.ArrayDeque<MemorySegment> free = new java.util.ArrayDeque<>();
            // Each slot is filled (copy, CRC32C, header) as the engine issues its write, into a buffer a
            // completed write gave back: on io_uring the next slots are prepared while the device writes
            // the previous ones, and buffers for the writes in flight are all the memory needed.
            batch.preparer(op -> {
                if (failure != null || thrown != null) {
                    batch.cancel(op);
                    return;
                }
                int ref = refOf[op];
                if (ref < 0) {
                    return;
                }
                Planned pl = planned.get(ref);
                MemorySegment b = free.poll();
                if (b == null) {
                    b = sc.take(bufferSize, arena);
                }
                bufOf[op] = b;
                MemorySegment slot = b.asSlice(0, slotBytes(pl));
                try {
                    dataCrcs[ref] = fillSlot(slot, keys.get(pl.keyIndex()), values.get(pl.keyIndex()), flags,
                            pl.position());
                } catch (RuntimeException e) {
                    thrown = e;
                    batch.cancel(op);
                    return;
                }
                batch.buffer(op, slot);
            });
            batch.completer(op -> {
                int c = chunkOf[op];
                if (bufOf[op] != null) {
                    free.push(bufOf[op]);
                    bufOf[op] = null;
                }
                long res = batch.result(op);
                if (res == -io.rawio.nativeio.Errno.ECANCELED) {
                    canceled[c] = true;
                } else if (res < 0 && chunkError[c] == null) {
                    NativeIoException e = batch.failure(op);
                    chunkError[c] = e.getMessage();
                    // At once, so the writes not yet issued are canceled.
                    fail(e.getMessage(), e);
                }
                if (--remaining[c] == 0) {
                    while (nextCommit < nChunks && (!hasWork[nextCommit] || remaining[nextCommit] == 0)) {
                        if (hasWork[nextCommit] && !committed[nextCommit]) {
                            commit(nextCommit);
                        }
                        nextCommit++;
                    }
                }
            });
            engine.execute(batch);
            lock.lock();
            try {
                bytesWritten += written;
            } finally {
                lock.unlock();
            }
        }

        /** Marks the store failed: it refuses writes from now on. */
        void fail(String message, Throwable cause) {
            lock.lock();
            try {
                if (failure == null) {
                    failure = new StoreException.Failed("write failed on " + path + ": " + message, cause);
                }
            } finally {
                lock.unlock();
            }
        }

        /** Commits chunk {@code c} to the index when it and every chunk before it succeeded, else fails it. */
        void commit(int c) {
            committed[c] = true;
            lock.lock();
            try {
                commitLocked(c);
            } finally {
                // Whatever happened above, the chunk leaves the in-flight set, or every writer waits.
                int[] range = chunkRange(c);
                for (int q = range[0]; q < range[1]; q++) {
                    unpend(keys.get(planned.get(q).keyIndex()));
                }
                inFlight.computeIfPresent(chunkStart[c], (k, v) -> v == 1 ? null : v - 1);
                ringRoom.signalAll();
                lock.unlock();
            }
        }

        /** Commits or fails chunk {@code c} in the index; the caller holds the lock. */
        private void commitLocked(int c) {
            String err = chunkError[c];
            if (err == null && (failedBefore || canceled[c])) {
                err = thrown != null && failure == null ? "put not written: " + thrown : refusal();
            }
            if (err == null) {
                int[] range = chunkRange(c);
                for (int q = range[0]; q < range[1]; q++) {
                    Planned pl = planned.get(q);
                    byte[] key = keys.get(pl.keyIndex());
                    if (flags == SlotDescriptor.FLAG_TOMBSTONE) {
                        int e = index.find(key);
                        long at = e >= 0 ? index.positionAt(e) : -1;
                        if (at < pl.position()) {
                            index.remove(key);
                        }
                    } else {
                        int e = index.find(key);
                        if (e < 0 || index.positionAt(e) < pl.position()) {
                            // a new key is kept by the index, so it gets its own copy; an update keeps
                            // the index's
                            index.put(e < 0 ? key.clone() : key, pl.position(),
                                    (int) values.get(pl.keyIndex()).byteSize(), dataCrcs[q]);
                        }
                        bytesStored += key.length + values.get(pl.keyIndex()).byteSize();
                    }
                    results[pl.keyIndex()] = Result.OK;
                    writesSinceCheckpoint++;
                }
                for (Reinsert ri : reinserts) {
                    if (ri.chunk() != c) {
                        continue;
                    }
                    if (mapsTo(ri.key(), ri.oldPosition())) {
                        index.put(ri.key(), ri.newPosition(), ri.valueLength(), ri.dataCrc());
                    }
                }
            } else {
                // Never retry and assume success: the chunk fails, and so does every later write.
                failedBefore = true;
                if (failure == null && thrown == null) {
                    failure = new StoreException.Failed("write failed on " + path + ": " + err, new IoException(err));
                }
                for (Reinsert ri : reinserts) {
                    if (ri.chunk() != c) {
                        continue;
                    }
                    if (mapsTo(ri.key(), ri.oldPosition())) {
                        index.remove(ri.key());
                    }
                }
                int[] range = chunkRange(c);
                for (int q = range[0]; q < range[1]; q++) {
                    results[planned.get(q).keyIndex()] = Result.fail(Status.FAILED, err);
                }
            }
        }

        /** The planned writes of chunk {@code c}: indexes [lo, hi) of {@link #planned}. */
        private int[] chunkRange(int c) {
            int lo = 0;
            while (lo < planned.size() && planned.get(lo).chunk() < c) {
                lo++;
            }
            int hi = lo;
            while (hi < planned.size() && planned.get(hi).chunk() == c) {
                hi++;
            }
            return new int[] {lo, hi};
        }
    }

    /** Positions written after a checkpoint that trigger the next one: N/8, at least 4096, at most N/2. */
    long autoCheckpointPositions() {
        return Math.min(sb.slotCount() / 2, Math.max(4096, sb.slotCount() / 8));
    }

    /** A failure of a chunk's I/O, carrying the first failed operation's message. */
    private static final class IoException extends IOException {
        IoException(String m) {
            super(m);
        }
    }

    /**
     * Next position for a new slot, evicting or reinserting what is there; -1 when REJECT and full. A
     * hot resident is reinserted only at positions below {@code reinsertBelow} (what the keys still to
     * place in this window leave of its half-ring bound); past that it is evicted like any other.
     */
    private long allocate(List<Reinsert> reinserts, int chunk, long reinsertBelow) {
        for (long tries = 0; tries <= sb.slotCount(); tries++) {
            long p = cursor;
            int slot = index.slotOf(p);
            byte[] resident = index.keyInSlot(slot);
            if (resident != null) {
                if (options.eviction() == StoreOptions.Eviction.REJECT) {
                    return -1;
                }
                int e = options.eviction() == StoreOptions.Eviction.FIFO_REINSERT ? index.find(resident) : -1;
                if (e >= 0 && index.isHot(e) && !isReinserting(reinserts, resident) && p < reinsertBelow
                        && !pendingKeys.containsKey(java.nio.ByteBuffer.wrap(resident))) {
                    reinserts.add(new Reinsert(resident, index.positionAt(e), p, index.valueLengthAt(e),
                            index.dataCrcAt(e), chunk));
                    reinsertions++;
                    cursor++;
                    continue;
                }
                index.evictSlot(slot);
                evictions++;
            }
            cursor++;
            return p;
        }
        return -1;
    }

    private void pend(byte[] key) {
        if (options.eviction() == StoreOptions.Eviction.FIFO_REINSERT) {
            pendingKeys.merge(java.nio.ByteBuffer.wrap(key), 1, Integer::sum);
        }
    }

    private void unpend(byte[] key) {
        if (options.eviction() == StoreOptions.Eviction.FIFO_REINSERT) {
            pendingKeys.computeIfPresent(java.nio.ByteBuffer.wrap(key), (k, v) -> v == 1 ? null : v - 1);
        }
    }

    /** Whether the index maps {@code key} to {@code position}; the caller holds the lock. */
    private boolean mapsTo(byte[] key, long position) {
        int e = index.find(key);
        return e >= 0 && index.positionAt(e) == position;
    }

    private static boolean isReinserting(List<Reinsert> reinserts, byte[] key) {
        for (Reinsert r : reinserts) {
            if (r.key() == key) {
                return true;
            }
        }
        return false;
    }

    /** Fills a slot buffer: key, value where the layout puts it, zeros elsewhere, header. Returns the data CRC. */
    private int fillSlot(MemorySegment slot, byte[] key, MemorySegment value, short flags, long position) {
        int vl = (int) value.byteSize();
        long keyEnd = SlotDescriptor.HEADER_SIZE + (long) key.length;
        long valueAt = SlotDescriptor.valueOffset(key.length, vl, sb.slotSize());
        MemorySegment.copy(key, 0, slot, ValueLayout.JAVA_BYTE, SlotDescriptor.HEADER_SIZE, key.length);
        slot.asSlice(keyEnd, valueAt - keyEnd).fill((byte) 0);
        if (vl > 0) {
            MemorySegment.copy(value, 0, slot, valueAt, vl);
        }
        slot.asSlice(valueAt + vl).fill((byte) 0);
        return SlotDescriptor.encodeHeader(slot, flags, position, key.length, vl, sb.storeId(), sb.slotSize());
    }

    private String validate(byte[] key, MemorySegment value) {
        if (key == null || key.length == 0) {
            return "empty key";
        }
        if (key.length > MAX_KEY_LENGTH) {
            return "key too long: length=" + key.length + ", max=" + MAX_KEY_LENGTH;
        }
        long max = maxValueLength(key.length);
        if (value.byteSize() > max) {
            return "value larger than a slot holds: value=" + value.byteSize() + ", max=" + max
                    + " (slot=" + sb.slotSize() + ")";
        }
        return null;
    }

    // ------------------------------------------------------------------ reads

    public boolean contains(byte[] key) {
        checkOpen();
        lock.lock();
        try {
            return index.find(key) >= 0;
        } finally {
            lock.unlock();
        }
    }

    /** The value as a copy, or null when the key is absent. */
    public byte[] get(byte[] key) throws IOException {
        GetResult r = getMany(List.of(key)).getFirst();
        if (r.corrupt() != null) {
            throw new StoreException.Corrupt(r.corrupt());
        }
        return r.value();
    }

    /**
     * Reads a value into {@code into}; returns its length, or -1 when absent.
     *
     * @throws IllegalArgumentException when {@code into} is too small
     * @throws StoreException.Corrupt when the slot fails its CRC (the key is dropped)
     */
    public long get(byte[] key, MemorySegment into) throws IOException {
        byte[] v = get(key);
        if (v == null) {
            return -1;
        }
        if (into.byteSize() < v.length) {
            throw new IllegalArgumentException("buffer too small: value=" + v.length + ", buffer=" + into.byteSize());
        }
        MemorySegment.copy(v, 0, into, ValueLayout.JAVA_BYTE, 0, v.length);
        return v.length;
    }

    /**
     * The outcome of one key of a getMany.
     *
     * @param value   the value, or null when absent or corrupt
     * @param corrupt why the slot was rejected, or null
     */
    public record GetResult(byte[] value, String corrupt) {
        public boolean found() {
            return value != null;
        }
    }

    /**
     * Reads many keys, keeping up to {@code batchSize} reads in flight. Each read is checked and its
     * value copied out as it completes, while the reads after it are in flight, and its buffer goes to
     * the next read issued. One result per key. A block-aligned value is read alone and checked
     * against the data CRC the index holds; any other is read with its header and key, and both
     * CRC32Cs are checked.
     */
    public List<GetResult> getMany(List<byte[]> keys) throws IOException {
        checkOpen();
        GetResult[] out = new GetResult[keys.size()];
        // On io_uring buffers are recycled, so one dispatcher batch can carry up to MAX_GET_BATCH keys
        // (looked up under the lock at once) and the engine, whose queue depth is the batch size,
        // keeps batchSize reads in flight across it.
        // Engines that prepare every read first need a buffer per read: as many as fit scratch memory.
        int bs = engine.preparesLazily() ? MAX_GET_BATCH
                : (int) Math.max(options.batchSize(), Math.min(4096, SCRATCH_MAX / sb.slotSize()));
        int cap = Math.min(bs, keys.size());
        long[] pos = new long[cap];
        int[] len = new int[cap];
        int[] crc = new int[cap];
        IoBatch batch = new IoBatch(Math.max(1, cap));
        int[] keyOf = new int[cap];
        MemorySegment[] bufOf = new MemorySegment[cap];
        for (int from = 0; from < keys.size(); from += bs) {
            int to = Math.min(keys.size(), from + bs);
            int base = from;
            lock.lock();
            try {
                for (int i = from; i < to; i++) {
                    int e = index.find(keys.get(i));
                    if (e < 0) {
                        misses++;
                        pos[i - from] = -1;
                        continue;
                    }
                    hits++;
                    if (options.eviction() == StoreOptions.Eviction.FIFO_REINSERT) {
                        index.markHot(e);
                    }
                    pos[i - from] = index.positionAt(e);
                    len[i - from] = index.valueLengthAt(e);
                    crc[i - from] = index.dataCrcAt(e);
                }
            } finally {
                lock.unlock();
            }
            batch.clear();
            long largest = 0;
            for (int i = from; i < to; i++) {
                if (pos[i - from] < 0) {
                    out[i] = new GetResult(null, null);
                    continue;
                }
                largest = Math.max(largest, slotReadBytes(keys.get(i), len[i - from]));
                // The buffer is chosen as the read is issued (see the preparer).
                int op = batch.read(file, sb.slotOffset(index.slotOf(pos[i - from])) + slotReadOffset(keys.get(i),
                        len[i - from]), MemorySegment.NULL);
                keyOf[op] = i;
            }
            if (batch.isEmpty()) {
                continue;
            }
            try (Arena arena = Arena.ofConfined()) {
                Scratch sc = scratch.get();
                sc.reset(buffersNeeded(batch.size()) * largest);
                long bufferSize = largest;
                java.util.ArrayDeque<MemorySegment> free = new java.util.ArrayDeque<>();
                int[] firstFailed = {Integer.MAX_VALUE};
                batch.preparer(op -> {
                    MemorySegment b = free.poll();
                    if (b == null) {
                        b = sc.take(bufferSize, arena);
                    }
                    bufOf[op] = b;
                    int k = keyOf[op];
                    batch.buffer(op, b.asSlice(0, slotReadBytes(keys.get(k), len[k - base])));
                });
                batch.completer(op -> {
                    int k = keyOf[op];
                    if (batch.result(op) < 0) {
                        firstFailed[0] = Math.min(firstFailed[0], op);
                    } else {
                        out[k] = verify(keys.get(k), pos[k - base], len[k - base], crc[k - base], batch.buffer(op),
                                batch.result(op));
                    }
                    if (bufOf[op] != null) {
                        free.push(bufOf[op]);
                        bufOf[op] = null;
                    }
                });
                engine.execute(batch);
                if (firstFailed[0] != Integer.MAX_VALUE) {
                    throw batch.failure(firstFailed[0]);
                }
            }
        }
        return Arrays.asList(out);
    }

    /**
     * Buffers a batch of {@code ops} reads or writes holds at once: on io_uring those in flight plus
     * those completed but not yet handed back (the completer runs after the ring is refilled), so
     * twice the queue depth; elsewhere one per operation.
     */
    private long buffersNeeded(int ops) {
        return engine.preparesLazily() ? Math.min(ops, 2L * Math.max(options.batchSize(), 2)) : ops;
    }

    /** Keys per getMany dispatcher batch on engines that recycle read buffers (as many as before for small slots). */
    static final int MAX_GET_BATCH = 4096;

    /** Bytes a get reads: the value's blocks when it is block-aligned, else header, key and value. */
    private long slotReadBytes(byte[] key, int valueLength) {
        return SlotDescriptor.valueAligned(key.length, valueLength, sb.slotSize()) ? roundUp(valueLength, BLOCK_SIZE)
                : roundUp(SlotDescriptor.usedBytes(key.length, valueLength, sb.slotSize()), BLOCK_SIZE);
    }

    /** Where in its slot a get starts reading: at the value when it is block-aligned, else at the header. */
    private long slotReadOffset(byte[] key, int valueLength) {
        return SlotDescriptor.valueAligned(key.length, valueLength, sb.slotSize())
                ? SlotDescriptor.valueOffset(key.length, valueLength, sb.slotSize()) : 0;
    }

    /**
     * Checks one completed get read of {@code r} bytes into {@code buf}: a block-aligned value against
     * the index's data CRC, anything else by its header (this key, this position) and both CRCs.
     */
    private GetResult verify(byte[] key, long position, int valueLength, int dataCrc, MemorySegment buf, long r) {
        long valueAt;
        boolean ok;
        if (SlotDescriptor.valueAligned(key.length, valueLength, sb.slotSize())) {
            valueAt = 0;
            ok = r >= valueLength && Le.crc32c(key, buf, 0, valueLength) == dataCrc;
        } else {
            valueAt = SlotDescriptor.HEADER_SIZE + key.length;
            if (r >= SlotDescriptor.HEADER_SIZE && SlotDescriptor.headerValid(buf, sb.storeId(), sb.slotSize())
                    && SlotDescriptor.sequence(buf) != position) {
                // Overwritten since the lookup (evicted or rewritten by a newer put): a miss, not corruption.
                return new GetResult(null, null);
            }
            ok = holdsLiveValue(buf, r, key, valueLength);
        }
        if (!ok) {
            lock.lock();
            try {
                if (!mapsTo(key, position)) {
                    // The key was evicted, deleted or rewritten while the read was in flight: a slot is
                    // only rewritten once the key in it has left the index, so this is a miss.
                    return new GetResult(null, null);
                }
                corruptions++;
                index.remove(key);
            } finally {
                lock.unlock();
            }
            return new GetResult(null, "corrupt slot: key=" + printable(key) + " position=" + position + " slot="
                    + index.slotOf(position) + " offset=" + sb.slotOffset(index.slotOf(position)) + " (CRC32C mismatch;"
                    + " the key was dropped)");
        }
        byte[] value = buf.asSlice(valueAt, valueLength).toArray(ValueLayout.JAVA_BYTE);
        return new GetResult(value, null);
    }

    static String printable(byte[] key) {
        String s = new String(key, StandardCharsets.UTF_8);
        return s.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? s : "0x" + java.util.HexFormat.of().formatHex(key);
    }

    /** Every key with its value length, in no particular order. */
    public List<KeyInfo> keys() {
        checkOpen();
        List<KeyInfo> out = new ArrayList<>();
        lock.lock();
        try {
            index.forEach((k, p, l, c) -> out.add(new KeyInfo(k.clone(), l, p, c)));
        } finally {
            lock.unlock();
        }
        return out;
    }

    /**
     * A key, its value's length, its position in the ring's write order, and the data CRC (CRC32C of
     * key ++ value) the index holds for it.
     */
    public record KeyInfo(byte[] key, int valueLength, long position, int dataCrc) {
    }

    // ------------------------------------------------------------------ checkpoint

    /**
     * Writes the index to the older checkpoint region (payload, fdatasync, header, fdatasync). Returns
     * false when the index does not fit the region; recovery then scans from the previous checkpoint.
     */
    public boolean checkpoint() throws IOException {
        checkOpen();
        return writeCheckpoint();
    }

    private synchronized boolean writeCheckpoint() throws IOException {
        if (failure != null) {
            throw failure;
        }
        long scanStart;
        long gen;
        long count;
        MemorySegment payload;
        long payloadLength;
        try (Arena arena = Arena.ofConfined()) {
            lock.lock();
            try {
                scanStart = inFlight.isEmpty() ? cursor : Math.min(cursor, inFlight.firstKey());
                payloadLength = (long) index.size() * CheckpointDescriptor.ENTRY_FIXED + index.keyBytes();
                if (payloadLength > sb.checkpointSize() - CheckpointDescriptor.HEADER_SIZE) {
                    return false;
                }
                payload = AlignedMemory.allocate(arena, Math.max(BLOCK_SIZE, roundUp(payloadLength, BLOCK_SIZE)), BLOCK_SIZE);
                long[] at = {0};
                index.forEach((k, p, l, c) -> {
                    payload.set(Le.U64, at[0], p);
                    payload.set(Le.U32, at[0] + 8, l);
                    payload.set(Le.U16, at[0] + 12, (short) k.length);
                    payload.set(Le.U32, at[0] + CheckpointDescriptor.ENTRY_DATA_CRC, c);
                    MemorySegment.copy(k, 0, payload, ValueLayout.JAVA_BYTE, at[0] + CheckpointDescriptor.ENTRY_FIXED, k.length);
                    at[0] += CheckpointDescriptor.ENTRY_FIXED + k.length;
                });
                if (at[0] != payloadLength) {
                    throw new IllegalStateException("index key bytes out of step: wrote " + at[0]
                            + " checkpoint bytes, expected " + payloadLength);
                }
                count = index.size();
                gen = ++generation;
                writesSinceCheckpoint = 0;
            } finally {
                lock.unlock();
            }
            long region = gen % 2 == 0 ? sb.checkpoint0() : sb.checkpoint1();
            payload.asSlice(payloadLength).fill((byte) 0);
            MemorySegment header = AlignedMemory.allocate(arena, CheckpointDescriptor.HEADER_SIZE, BLOCK_SIZE);
            CheckpointDescriptor.encodeHeader(header, new CheckpointDescriptor.Header(gen, scanStart, count,
                    payloadLength, Le.crc32c(payload, 0, payloadLength)));
            IoBatch b = new IoBatch(2);
            if (payloadLength > 0) {
                b.write(file, region + CheckpointDescriptor.HEADER_SIZE, payload.asSlice(0, roundUp(payloadLength, BLOCK_SIZE)));
            }
            b.fdatasync(file);
            engine.execute(b);
            failOn(b, "checkpoint");
            b.clear();
            b.write(file, region, header);
            b.fdatasync(file);
            engine.execute(b);
            failOn(b, "checkpoint");
            lock.lock();
            try {
                checkpointScanStart = scanStart;
                checkpoints++;
                bytesWritten += roundUp(payloadLength, BLOCK_SIZE) + CheckpointDescriptor.HEADER_SIZE;
            } finally {
                lock.unlock();
            }
            return true;
        }
    }

    /** Fails the store (it refuses writes from now on) on the first failed operation of {@code b}. */
    private void failOn(IoBatch b, String what) throws StoreException.Failed {
        for (int i = 0; i < b.size(); i++) {
            if (b.result(i) < 0) {
                throw failed(what, b.failure(i));
            }
        }
    }

    private StoreException.Failed failed(String what, NativeIoException e) {
        StoreException.Failed f = new StoreException.Failed(what + " write failed on " + path + ": " + e.getMessage(), e);
        if (failure == null) {
            failure = f;
        }
        return f;
    }

    private void periodicCheckpoint() {
        try {
            boolean due;
            lock.lock();
            try {
                due = writesSinceCheckpoint > 0;
            } finally {
                lock.unlock();
            }
            if (due && !closed && failure == null) {
                writeCheckpoint();
            }
        } catch (IOException | RuntimeException e) {
            // A failed checkpoint marked the store failed; the next write reports it.
        }
    }

    // ------------------------------------------------------------------ check

    /**
     * What {@link #check()} found.
     *
     * @param superblocksValid  valid superblock copies (2 when healthy)
     * @param checkpointsValid  checkpoint regions with a valid header and payload (1 or 2)
     * @param keys              keys in the index
     * @param keysVerified      keys whose slot read back with both CRCs right
     * @param keysCorrupt       keys whose slot failed a CRC
     * @param slotsRead         slots read
     * @param slotsDamaged      slots with this store's header magic whose header CRC fails
     */
    public record CheckReport(int superblocksValid, int checkpointsValid, long keys, long keysVerified,
            long keysCorrupt, long slotsRead, long slotsDamaged) {
        public boolean healthy() {
            return superblocksValid == 2 && checkpointsValid >= 1 && keysCorrupt == 0 && slotsDamaged == 0;
        }
    }

    /** Reads every key's slot, every slot header, both superblocks and both checkpoints; writes nothing. */
    public CheckReport check() throws IOException {
        checkOpen();
        int superblocks = 0;
        int ckpts = 0;
        long slotsDamaged = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(arena, 2L * SuperblockDescriptor.SIZE, BLOCK_SIZE);
            IoBatch b = new IoBatch(2);
            b.read(file, 0, buf);
            engine.execute(b);
            b.throwIfFailed();
            superblocks += SuperblockDescriptor.decode(buf.asSlice(0, SuperblockDescriptor.SIZE)) != null ? 1 : 0;
            superblocks += SuperblockDescriptor.decode(buf.asSlice(SuperblockDescriptor.SIZE)) != null ? 1 : 0;
            for (long region : new long[] {sb.checkpoint0(), sb.checkpoint1()}) {
                b.clear();
                MemorySegment h = buf.asSlice(0, BLOCK_SIZE);
                b.read(file, region, h);
                engine.execute(b);
                CheckpointDescriptor.Header hd = b.result(0) == BLOCK_SIZE ? CheckpointDescriptor.decodeHeader(h) : null;
                if (hd != null && checkpointPayload(arena, region, hd) != null) {
                    ckpts++;
                }
            }
            long[] damaged = {0};
            forEachSlotHeader(arena, (s, head, read) -> {
                if (read && head.get(Le.U32, SlotDescriptor.MAGIC_OFFSET) == SlotDescriptor.MAGIC
                        && head.get(Le.U64, SlotDescriptor.STORE_ID_OFFSET) == sb.storeId()
                        && !SlotDescriptor.headerValid(head, sb.storeId(), sb.slotSize())) {
                    damaged[0]++;
                }
            });
            slotsDamaged = damaged[0];
        }
        List<KeyInfo> keys = keys();
        long verified = 0;
        long corrupt = 0;
        // Every key's whole slot: header, sequence, the key as stored, value length and data CRC. (A get
        // of a block-aligned value reads the value alone; check also reads what a get does not.)
        long slotBytes = roundUp(sb.slotSize(), BLOCK_SIZE);
        int per = (int) Math.max(1, Math.min(options.batchSize(), CHECK_READ_BYTES / slotBytes));
        for (int from = 0; from < keys.size(); from += per) {
            int n = Math.min(per, keys.size() - from);
            try (Arena arena = Arena.ofConfined()) {
                IoBatch b = new IoBatch(n);
                for (int i = 0; i < n; i++) {
                    KeyInfo k = keys.get(from + i);
                    long used = roundUp(SlotDescriptor.usedBytes(k.key().length, k.valueLength(), sb.slotSize()),
                            BLOCK_SIZE);
                    b.read(file, sb.slotOffset(index.slotOf(k.position())), AlignedMemory.allocate(arena, used,
                            BLOCK_SIZE));
                }
                engine.execute(b);
                for (int i = 0; i < n; i++) {
                    KeyInfo k = keys.get(from + i);
                    MemorySegment slot = b.buffer(i);
                    if (slotHolds(slot, b.result(i), k)) {
                        verified++;
                    } else if (stillAt(k) && !rewrittenSince(slot, b.result(i), k)) {
                        corrupt++;
                    }
                }
            }
        }
        return new CheckReport(superblocks, ckpts, keys.size(), verified, corrupt, sb.slotCount(), slotsDamaged);
    }

    /** Bytes of slots check reads per dispatcher batch, at most. */
    static final long CHECK_READ_BYTES = 64L << 20;

    /** Whether a slot read of {@code r} bytes holds exactly this key's live value, by its header and CRCs. */
    private boolean slotHolds(MemorySegment slot, long r, KeyInfo k) {
        return holdsLiveValue(slot, r, k.key(), k.valueLength()) && SlotDescriptor.sequence(slot) == k.position()
                && SlotDescriptor.dataCrc(slot) == k.dataCrc();
    }

    /**
     * The listed key's own slot, rewritten at a later position of the same slot after the keys were
     * listed (a reinsertion in flight): not corruption.
     */
    private boolean rewrittenSince(MemorySegment slot, long r, KeyInfo k) {
        return holdsLiveValue(slot, r, k.key(), k.valueLength()) && SlotDescriptor.sequence(slot) > k.position()
                && index.slotOf(SlotDescriptor.sequence(slot)) == index.slotOf(k.position());
    }

    /**
     * Whether a whole-slot read of {@code r} bytes holds {@code key}'s live value of {@code valueLength}
     * bytes: a valid header of this store, the key as stored, and the data CRC. Not its sequence.
     */
    private boolean holdsLiveValue(MemorySegment slot, long r, byte[] key, int valueLength) {
        return r >= SlotDescriptor.usedBytes(key.length, valueLength, sb.slotSize())
                && SlotDescriptor.headerValid(slot, sb.storeId(), sb.slotSize())
                && SlotDescriptor.flags(slot) == SlotDescriptor.FLAG_LIVE
                && SlotDescriptor.keyLength(slot) == key.length
                && SlotDescriptor.valueLength(slot) == valueLength
                && slot.asSlice(SlotDescriptor.HEADER_SIZE, key.length).mismatch(MemorySegment.ofArray(key)) == -1
                && SlotDescriptor.dataValid(slot, sb.slotSize());
    }

    /** Whether a key still lives at the position it had (it was not rewritten or evicted meanwhile). */
    private boolean stillAt(KeyInfo k) {
        lock.lock();
        try {
            return mapsTo(k.key(), k.position());
        } finally {
            lock.unlock();
        }
    }

    /** Closes without writing anything (no checkpoint): for read-only tools such as check. */
    public void closeWithoutCheckpoint() throws IOException {
        abandon();
    }

    // ------------------------------------------------------------------ misc

    /** The index's mean probe length, for tests. */
    double indexMeanProbeLength() {
        lock.lock();
        try {
            return index.meanProbeLength();
        } finally {
            lock.unlock();
        }
    }

    public StoreStats stats() {
        lock.lock();
        try {
            return new StoreStats(index.size(), index.valueBytes(), sb.slotCount(), sb.slotSize(), hits, misses,
                    evictions, reinsertions, corruptions, bytesWritten, bytesStored, checkpoints, recoveredKeys,
                    recoveryScanned, openMillis, index.memoryBytes());
        } finally {
            lock.unlock();
        }
    }

    public Superblock superblock() {
        return sb;
    }

    public Path path() {
        return path;
    }

    /** The engine the store runs on. */
    public String engineName() {
        return engine.name();
    }

    /** What replaced the asked-for engine, and why, or null. */
    public String engineNotice() {
        return engineNotice;
    }

    /** Whether a write or flush failed and the store refuses writes. */
    public boolean isFailed() {
        return failure != null;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("store is closed: " + path);
        }
    }

    /**
     * Closes without a checkpoint, as if the process had been killed: what a restart then finds is
     * what was on the device. For crash tests.
     */
    void abandon() throws IOException {
        if (checkpointer != null) {
            checkpointer.shutdownNow();
        }
        closed = true;
        try {
            file.close();
        } finally {
            engine.close();
            freeScratch();
        }
    }

    private void freeScratch() {
        synchronized (scratches) {
            for (Scratch s : scratches) {
                s.free();
            }
            scratches.clear();
        }
    }

    /**
     * Writes a final checkpoint when anything changed since the last one (and the store has not
     * failed), then closes. Idempotent.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        if (checkpointer != null) {
            checkpointer.shutdownNow();
        }
        IOException first = null;
        try {
            boolean changed;
            lock.lock();
            try {
                changed = writesSinceCheckpoint > 0 || recoveredKeys > 0;
            } finally {
                lock.unlock();
            }
            // A store that was only read is left byte for byte as it was.
            if (failure == null && changed) {
                writeCheckpoint();
            }
        } catch (IOException e) {
            first = e;
        } finally {
            closed = true;
            try {
                file.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
            engine.close();
            freeScratch();
        }
        if (first != null) {
            throw first;
        }
    }
}
