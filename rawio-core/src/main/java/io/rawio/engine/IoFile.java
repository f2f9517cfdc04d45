package io.rawio.engine;

import io.rawio.nativeio.Alignment;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import java.nio.file.Path;

/**
 * A file opened by an {@link IoEngine}, to be named in that engine's batches. Every engine keeps the
 * libc descriptor ({@link #nativeFile()}) for statx, alignment and flushes; engines that move bytes
 * another way (a FileChannel, a mapping) keep that alongside, in their subclass.
 *
 * <p>{@link #close()} is idempotent. A batch that names a closed file fails with
 * {@link IllegalStateException} before any of its operations runs.
 */
public class IoFile implements AutoCloseable {
    private final IoEngine engine;
    private final NativeFile file;
    private final OpenOptions options;
    private final Alignment alignment;

    protected IoFile(IoEngine engine, NativeFile file, OpenOptions options) throws NativeIoException {
        this(engine, file, options, file.alignment());
    }

    /** For engines whose I/O path needs a stricter alignment than the file's own. */
    protected IoFile(IoEngine engine, NativeFile file, OpenOptions options, Alignment alignment) {
        this.engine = engine;
        this.file = file;
        this.options = options;
        this.alignment = alignment;
    }

    /** The engine that opened this file; batches must go to that engine. */
    public IoEngine engine() {
        return engine;
    }

    public NativeFile nativeFile() {
        return file;
    }

    /** The descriptor (throws IllegalStateException once closed). */
    public int fd() {
        return file.fd();
    }

    public Path path() {
        return file.path();
    }

    public OpenOptions options() {
        return options;
    }

    public boolean isDirect() {
        return options.direct();
    }

    /** The alignment direct I/O needs on this file. */
    public Alignment alignment() {
        return alignment;
    }

    /** The file's size (a block device's capacity). */
    public long size() throws NativeIoException {
        return file.size();
    }

    public boolean isClosed() {
        return file.isClosed();
    }

    @Override
    public void close() throws NativeIoException {
        file.close();
    }

    @Override
    public String toString() {
        return engine.name() + ":" + file.path();
    }
}
