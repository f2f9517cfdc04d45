package io.rawio.engine;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.Statx;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every engine shares: opening (with preallocation), the closed state, the syscall counter, and
 * the checks that run before a batch.
 */
abstract class AbstractIoEngine implements IoEngine {
    private final String name;
    protected final LongAdder syscalls = new LongAdder();
    private volatile boolean closed;

    protected AbstractIoEngine(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public IoFile open(Path path, OpenOptions options) throws IOException {
        checkOpen();
        if (options.direct() && !supportsDirect()) {
            throw new IllegalArgumentException("engine " + name + " cannot do O_DIRECT");
        }
        NativeFile file = NativeFile.open(path, options.flags(), NativeFile.DEFAULT_MODE);
        try {
            preallocate(file, options);
            return wrap(file, options);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Makes the engine's file object around an opened descriptor. */
    protected IoFile wrap(NativeFile file, OpenOptions options) throws IOException {
        return new IoFile(this, file, options);
    }

    private static void preallocate(NativeFile file, OpenOptions options) throws NativeIoException {
        if (options.sizeBytes() <= 0 || !options.write()) {
            return;
        }
        Statx st = file.statx();
        if (!st.isRegularFile() || st.size() >= options.sizeBytes()) {
            return;
        }
        try {
            file.allocate(0, options.sizeBytes());
        } catch (NativeIoException e) {
            if (e.errno() != Errno.EOPNOTSUPP) {
                throw e;
            }
            // Filesystems without fallocate (tmpfs before 2.6.36, some FUSE): a sparse file still works.
            file.truncate(options.sizeBytes());
        }
    }

    @Override
    public final void execute(IoBatch batch) {
        checkOpen();
        batch.checkFiles(this);
        if (!preparesAsItIssues()) {
            batch.prepareThrough(batch.size() - 1);
        }
        long start = System.nanoTime();
        run(batch);
        batch.fillTimes(start, System.nanoTime());
        // Engines that did not tell the completer as operations completed: tell it now, in order.
        batch.notifyAllCompleted();
    }

    /**
     * Whether {@link #run} calls {@link IoBatch#prepareThrough} itself as it issues operations (and
     * then overrides {@link #buffersHeld(int)}); otherwise every operation is prepared before
     * {@code run}.
     */
    boolean preparesAsItIssues() {
        return false;
    }

    /** Runs a batch whose files have been checked. */
    protected abstract void run(IoBatch batch);

    /** One operation that passed {@link IoBatch#precheck}: bytes, or -errno. */
    @FunctionalInterface
    protected interface CheckedOp {
        long run(IoBatch batch, int i);
    }

    /**
     * The loop of the engines that run one operation at a time on the calling thread, in batch order:
     * each is timed, prechecked, and run unless the precheck gave its result.
     */
    protected static void runInOrder(IoBatch batch, CheckedOp op) {
        for (int i = 0; i < batch.size(); i++) {
            batch.issued(i, System.nanoTime());
            long pre = batch.precheck(i);
            batch.complete(i, pre < 0 ? pre : op.run(batch, i), System.nanoTime());
        }
    }

    @Override
    public long syscalls() {
        return syscalls.sum();
    }

    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException("engine is closed: engine=" + name);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return name;
    }
}
