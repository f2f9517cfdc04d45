package io.rawio.engine;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.Mman;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Copies to and from a shared mapping of the whole file (MAP_SHARED), with an optional madvise hint
 * ({@link OpenOptions#madvise()}). The mapping covers the file's size at open, or
 * {@link OpenOptions#sizeBytes()} when larger; a write past it fails with EFBIG, since a mapping
 * cannot grow the file. A read past it returns 0 bytes, like pread at end of file. FSYNC is
 * msync(MS_SYNC) of the mapping then fsync; FDATASYNC is msync alone. No O_DIRECT: every byte goes
 * through the page cache.
 *
 * <p>An I/O error under a mapped page surfaces as a fault in the copy; it is reported as -EIO.
 */
public final class MmapEngine extends AbstractIoEngine {

    @Override
    public String failureHint(IoOp op, int errno) {
        return errno == io.rawio.nativeio.Errno.EFBIG
                ? "the mmap engine cannot grow a file: open it with a size (OpenOptions.withSize)" : null;
    }

    public MmapEngine() {
        super("mmap");
    }

    @Override
    public boolean supportsDirect() {
        return false;
    }

    static final class MappedFile extends IoFile {
        final Arena arena;
        final MemorySegment mapping;

        MappedFile(IoEngine engine, NativeFile file, OpenOptions options, Arena arena, MemorySegment mapping)
                throws IOException {
            super(engine, file, options);
            this.arena = arena;
            this.mapping = mapping;
        }

        @Override
        public synchronized void close() throws NativeIoException {
            if (!isClosed()) {
                arena.close();
            }
            super.close();
        }
    }

    @Override
    protected IoFile wrap(NativeFile file, OpenOptions options) throws IOException {
        long size = Math.max(file.size(), options.sizeBytes());
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping = MemorySegment.NULL;
            if (size > 0) {
                int prot = LinuxConstants.PROT_READ | (options.write() ? LinuxConstants.PROT_WRITE : 0);
                mapping = Mman.map(arena, file, 0, size, prot, LinuxConstants.MAP_SHARED);
                if (options.madvise() >= 0) {
                    Mman.madvise(mapping, options.madvise());
                }
            }
            return new MappedFile(this, file, options, arena, mapping);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override
    protected void run(IoBatch batch) {
        runInOrder(batch, this::runOne);
    }

    private long runOne(IoBatch batch, int i) {
        MappedFile f = (MappedFile) batch.file(i);
        try {
            return switch (batch.op(i)) {
                case READ -> copyOut(f.mapping, batch.offset(i), batch.buffer(i));
                case WRITE -> {
                    long r = copyIn(f.mapping, batch.offset(i), batch.buffer(i));
                    if (r >= 0 && (batch.rwFlags(i) & LinuxConstants.RWF_DSYNC) != 0) {
                        long s = msync(f.mapping.asSlice(batch.offset(i), batch.length(i)));
                        yield s < 0 ? s : r;
                    }
                    yield r;
                }
                case READV -> {
                    long total = 0;
                    for (MemorySegment b : batch.vector(i)) {
                        long r = copyOut(f.mapping, batch.offset(i) + total, b);
                        total += r;
                        if (r < b.byteSize()) {
                            break;
                        }
                    }
                    yield total;
                }
                case WRITEV -> {
                    if (batch.offset(i) + batch.length(i) > f.mapping.byteSize()) {
                        yield -Errno.EFBIG;
                    }
                    long total = 0;
                    for (MemorySegment b : batch.vector(i)) {
                        total += copyIn(f.mapping, batch.offset(i) + total, b);
                    }
                    yield total;
                }
                case FSYNC -> {
                    long r = msync(f.mapping);
                    yield r < 0 ? r : PosixTransfers.sync(f.fd(), false, syscalls);
                }
                case FDATASYNC -> msync(f.mapping);
            };
        } catch (InternalError e) {
            // The JDK turns SIGBUS in a copy from a mapping (a failed page-in) into InternalError.
            return -Errno.EIO;
        }
    }

    private static long copyOut(MemorySegment mapping, long offset, MemorySegment dst) {
        long size = mapping.byteSize();
        if (offset >= size) {
            return 0;
        }
        long n = Math.min(dst.byteSize(), size - offset);
        MemorySegment.copy(mapping, offset, dst, 0, n);
        return n;
    }

    private static long copyIn(MemorySegment mapping, long offset, MemorySegment src) {
        long n = src.byteSize();
        if (offset + n > mapping.byteSize()) {
            return -Errno.EFBIG;
        }
        MemorySegment.copy(src, 0, mapping, offset, n);
        return n;
    }

    private long msync(MemorySegment range) {
        if (range.byteSize() == 0) {
            return 0;
        }
        long start = range.address() & -(long) LinuxConstants.DEFAULT_ALIGNMENT;
        long end = range.address() + range.byteSize();
        syscalls.increment();
        return Libc.msync(start, end - start, LinuxConstants.MS_SYNC);
    }
}
