package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngine;
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
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Formats a store: lays out superblocks, checkpoint regions and slots ({@link #layout}), fills a new
 * file with zeros (or only fallocates it), writes an empty checkpoint and both superblocks, and
 * removes a file whose open or preallocation failed. Refuses an existing file, or a device that holds
 * data, unless forced.
 */
final class StoreFormatter {
    static final int BLOCK_SIZE = SlotStore.BLOCK_SIZE;
    /** The largest slot. */
    static final long MAX_SLOT_SIZE = 1L << 30;

    private StoreFormatter() {
    }

    /** Bytes one zero-fill write covers, and writes in flight. */
    static final int ZERO_CHUNK = 8 << 20;
    static final int ZERO_DEPTH = 4;


    /**
     * Formats a new store: a regular file created and preallocated to {@code sizeBytes} (as
     * {@code prealloc} says), or a block device (its whole capacity; {@code sizeBytes} 0). Refuses an
     * existing file, or a device whose first blocks hold data, unless {@code force}.
     */
    static void format(Path path, long sizeBytes, long slotSize, boolean force, StoreOptions options,
            Preallocation prealloc, FormatProgress progress) throws IOException {
        format(path, sizeBytes, SlotClasses.of(slotSize), force, options, prealloc, progress);
    }

    /** Formats a new store with these slot classes; see the other {@code format}. */
    static void format(Path path, long sizeBytes, SlotClasses classes, boolean force, StoreOptions options,
            Preallocation prealloc, FormatProgress progress) throws IOException {
        boolean exists = Files.exists(path);
        boolean device = exists && Statx.of(path).isDevice();
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
            layout(sizeBytes, classes); // refuses a size too small before anything is created
        }
        try (IoEngine engine = StoreFile.createEngine(options, s -> { })) {
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
                Superblock sb = layout(size, fitting(classes, f, options));
                if (!device && prealloc == Preallocation.WRITE_ZEROS) {
                    // Whole blocks: a tail shorter than a block lies past the last slot and is left as it is.
                    writeZeros(engine, f, arena, 0, size / BLOCK_SIZE * BLOCK_SIZE, progress);
                }
                MemorySegment buf = AlignedMemory.allocate(arena, CheckpointDescriptor.HEADER_SIZE, BLOCK_SIZE);
                IoBatch batch = new IoBatch(4 + SuperblockDescriptor.MAX_CLASSES);
                // An empty checkpoint, generation 1, scan from position 0; the other region invalid.
                MemorySegment empty = AlignedMemory.allocate(arena, BLOCK_SIZE, BLOCK_SIZE);
                empty.fill((byte) 0);
                long[] scanStarts = new long[sb.classes().size()];
                for (int c = 0; c < scanStarts.length; c++) {
                    scanStarts[c] = Superblock.position(c, 0);
                }
                CheckpointDescriptor.encodeHeader(buf, new CheckpointDescriptor.Header(1, scanStarts, 0, 0,
                        Le.crc32c(buf, 0, 0), 1, CheckpointDescriptor.FORMAT_VERSION));
                batch.write(f, sb.checkpoint1(), buf);
                batch.write(f, sb.checkpoint0(), empty);
                batch.fdatasync(f);
                engine.execute(batch);
                batch.throwIfFailed();
                // Invalidate each class's slot 0 so a reused device cannot look like a written position 0.
                batch.clear();
                for (SuperblockDescriptor.SlotClass c : sb.classes()) {
                    batch.write(f, c.slotOffset(0), empty);
                }
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

    /**
     * The classes a store on {@code f} gets: without its sector classes when the store will use direct
     * I/O and the file takes it only in units larger than a sector (offsets, lengths or memory).
     */
    static SlotClasses fitting(SlotClasses classes, IoFile f, StoreOptions options) throws IOException {
        long unit = directUnit(f, options.direct() && f.engine().supportsDirect());
        return unit > SlotDescriptor.SECTOR ? classes.fitting(unit) : classes;
    }

    /** The unit direct I/O on {@code f} takes (offsets, lengths and memory), at most a block; 1 when not {@code direct}. */
    static long directUnit(IoFile f, boolean direct) throws IOException {
        if (!direct) {
            return 1;
        }
        io.rawio.nativeio.Alignment a = f.alignment();
        return Math.min(SlotDescriptor.BLOCK, Math.max(a.offset(), a.memory()));
    }

    /** The geometry of a store of {@code size} bytes with {@code slotSize} slots. */
    static Superblock layout(long size, long slotSize) {
        return layout(size, SlotClasses.of(slotSize));
    }

    /**
     * The geometry of a store of {@code size} bytes with these classes: two superblocks, two checkpoint
     * regions sized for about 64 bytes an entry, then each class's slots, one class after the other, each
     * with its share of the rest.
     */
    static Superblock layout(long size, SlotClasses classes) {
        long meta = 2L * SuperblockDescriptor.SIZE;
        long approxSlots = 0;
        for (int i = 0; i < classes.slotSizes().size(); i++) {
            approxSlots += (long) (Math.max(0, size - meta) * classes.share(i) / classes.slotSizes().get(i));
        }
        long ckpt = Blocks.roundUp(Math.max(1L << 20, approxSlots * 64) + CheckpointDescriptor.HEADER_SIZE, BLOCK_SIZE);
        long slotsOffset = meta + 2 * ckpt;
        long space = size - slotsOffset;
        List<SuperblockDescriptor.SlotClass> list = new ArrayList<>();
        long at = slotsOffset;
        long first = 0;
        for (int i = 0; i < classes.slotSizes().size(); i++) {
            long slotSize = classes.slotSizes().get(i);
            long share = i == classes.slotSizes().size() - 1 ? size - at : (long) (space * classes.share(i));
            long count = Math.max(0, share) / slotSize;
            if (count < 2) {
                throw new IllegalArgumentException("size too small: size=" + size + " holds " + Math.max(0, count)
                        + " slots of " + slotSize + " bytes after " + slotsOffset + " bytes of metadata"
                        + (classes.slotSizes().size() > 1 ? " (class " + i + ", share "
                        + String.format(java.util.Locale.ROOT, "%.2f", classes.share(i) * 100) + "%)" : "") + "; need at least 2");
            }
            list.add(new SuperblockDescriptor.SlotClass(i, slotSize, count, at, first));
            at = Blocks.roundUp(at + count * slotSize, BLOCK_SIZE); // after a sector class, the next starts on a block
            first += count;
        }
        if (first > KeyIndex.MAX_SLOTS) {
            throw new IllegalArgumentException("too many slots: " + first + " (at most " + KeyIndex.MAX_SLOTS
                    + "; use larger slots or a smaller size)");
        }
        return new Superblock(UUID.randomUUID(), BLOCK_SIZE, classes.slotSizes().getLast(), first, meta, meta + ckpt, ckpt,
                slotsOffset, SlotStore.MAX_KEY_LENGTH, System.currentTimeMillis(), list);
    }
}
