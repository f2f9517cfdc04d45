package io.rawio.engine;

import io.rawio.nativeio.Alignment;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.util.Locale;

/**
 * java.nio {@link FileChannel} positional reads and writes: what a Java program does today, kept as
 * the baseline every other engine is measured against. O_DIRECT goes through
 * {@link ExtendedOpenOption#DIRECT}.
 *
 * <p>FileChannel reports failures as exceptions without errno; this engine maps the common messages
 * back to errno values (ENOSPC, EIO, …) so results have the same shape as the other engines'.
 */
public final class FileChannelEngine extends AbstractIoEngine {

    public FileChannelEngine() {
        super("filechannel");
    }

    static final class ChannelFile extends IoFile {
        final FileChannel channel;

        ChannelFile(IoEngine engine, NativeFile file, OpenOptions options, Alignment alignment, FileChannel channel) {
            super(engine, file, options, alignment);
            this.channel = channel;
        }

        @Override
        public void close() throws io.rawio.nativeio.NativeIoException {
            try {
                channel.close();
            } catch (IOException e) {
                // The channel's descriptor is released even when close reports an error.
            }
            super.close();
        }
    }

    @Override
    protected IoFile wrap(NativeFile file, OpenOptions options) throws IOException {
        return new ChannelFile(this, file, options, JdkChannels.alignment(file, options),
                FileChannel.open(file.path(), JdkChannels.openOptions(options)));
    }

    @Override
    protected void run(IoBatch batch) {
        runInOrder(batch, this::runOne);
    }

    private long runOne(IoBatch batch, int i) {
        FileChannel ch = ((ChannelFile) batch.file(i)).channel;
        try {
            return switch (batch.op(i)) {
                case READ -> read(ch, batch.buffer(i), batch.offset(i));
                case WRITE -> {
                    long r = write(ch, batch.buffer(i), batch.offset(i));
                    if ((batch.rwFlags(i) & io.rawio.nativeio.LinuxConstants.RWF_DSYNC) != 0) {
                        ch.force(false);
                        syscalls.increment();
                    }
                    yield r;
                }
                case READV -> {
                    long total = 0;
                    for (MemorySegment b : batch.vector(i)) {
                        long r = read(ch, b, batch.offset(i) + total);
                        total += r;
                        if (r < b.byteSize()) {
                            break;
                        }
                    }
                    yield total;
                }
                case WRITEV -> {
                    long total = 0;
                    for (MemorySegment b : batch.vector(i)) {
                        total += write(ch, b, batch.offset(i) + total);
                    }
                    yield total;
                }
                case FSYNC, FDATASYNC -> {
                    ch.force(batch.op(i) == IoOp.FSYNC);
                    syscalls.increment();
                    yield 0;
                }
            };
        } catch (IOException e) {
            return -errnoOf(e);
        }
    }

    private long read(FileChannel ch, MemorySegment buf, long offset) throws IOException {
        ByteBuffer bb = buf.asByteBuffer();
        long done = 0;
        while (bb.hasRemaining()) {
            int r = ch.read(bb, offset + done);
            syscalls.increment();
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    private long write(FileChannel ch, MemorySegment buf, long offset) throws IOException {
        ByteBuffer bb = buf.asByteBuffer();
        long done = 0;
        while (bb.hasRemaining()) {
            done += ch.write(bb, offset + done);
            syscalls.increment();
        }
        return done;
    }

    /** The errno behind a FileChannel exception, from its message (the JDK puts strerror text there). */
    static int errnoOf(IOException e) {
        if (e instanceof ClosedChannelException) {
            return Errno.EBADF;
        }
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (m.contains("no space left")) {
            return Errno.ENOSPC;
        }
        if (m.contains("invalid argument") || m.contains("not a multiple of the block size")
                || m.contains("not aligned")) {
            return Errno.EINVAL;
        }
        if (m.contains("bad file descriptor")) {
            return Errno.EBADF;
        }
        if (m.contains("file too large")) {
            return Errno.EFBIG;
        }
        if (m.contains("permission denied")) {
            return Errno.EACCES;
        }
        return Errno.EIO;
    }
}
