package io.rawio.engine;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A reusable batch of I/O operations and, once an engine has executed it, one result per operation:
 * bytes transferred ({@code >= 0}) or {@code -errno} for that operation alone.
 *
 * <p>Storage is struct-of-arrays and is reused across {@link #clear()}, so filling and executing a
 * batch allocates nothing in steady state. A batch grows when more operations are added than its
 * capacity. It is not thread-safe: one thread fills it, hands it to an engine, and reads the results.
 *
 * <p>Ordering: operations of one batch may run concurrently and complete in any order, except that a
 * FSYNC or FDATASYNC starts only after every operation before it in the batch has completed. Writes
 * that overlap each other (or a read) in one batch, with no sync between them, have no defined order.
 *
 * <p>Callers add operations, set a {@link Preparer} and {@link Completer}, and read results. What
 * engines do to a batch (record a result or a time, run the preparer and completer, check the files)
 * is package-private: only the engines of this package can set a result, so a result a caller reads
 * is always the one an engine recorded.
 */
public final class IoBatch {
    /** The result of an operation the engine has not executed yet. */
    public static final long NOT_EXECUTED = Long.MIN_VALUE;

    private IoOp[] ops;
    private IoFile[] files;
    private long[] offsets;
    private MemorySegment[] buffers;
    private MemorySegment[][] vectors;
    private long[] lengths;
    private int[] rwFlags;
    private long[] results;
    private long[] issuedNs;
    private long[] completedNs;
    private boolean[] canceled;
    private boolean[] notified;
    /** A status the device gave a failed operation (NVMe passthrough), 0 when none. */
    private int[] deviceStatus;
    private int size;
    private Preparer preparer;
    private int preparedUpTo;
    private Completer completer;

    public IoBatch(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: capacity=" + capacity);
        }
        ops = new IoOp[capacity];
        files = new IoFile[capacity];
        offsets = new long[capacity];
        buffers = new MemorySegment[capacity];
        vectors = new MemorySegment[capacity][];
        lengths = new long[capacity];
        rwFlags = new int[capacity];
        results = new long[capacity];
        issuedNs = new long[capacity];
        completedNs = new long[capacity];
        canceled = new boolean[capacity];
        notified = new boolean[capacity];
        deviceStatus = new int[capacity];
    }

    /** Removes every operation; the storage is kept. */
    public void clear() {
        Arrays.fill(files, 0, size, null);
        Arrays.fill(buffers, 0, size, null);
        Arrays.fill(vectors, 0, size, null);
        size = 0;
        preparer = null;
        preparedUpTo = 0;
        completer = null;
    }

    /**
     * Fills an operation's buffer just before it is issued (for a write: its bytes). Engines that can
     * overlap it with I/O already in flight (io_uring) call it for each operation as they issue it,
     * so preparing the next write overlaps the device's work on the previous ones; every other engine
     * has it called for all operations before the batch starts. Called at most once per operation,
     * in index order, on the thread that called execute.
     */
    @FunctionalInterface
    public interface Preparer {
        void prepare(int index);
    }

    /** Sets the batch's preparer (cleared by {@link #clear()}). */
    public void preparer(Preparer p) {
        this.preparer = p;
        this.preparedUpTo = 0;
    }

    /**
     * Told once per operation, on the thread that called execute, when the operation's result is
     * final (for example to check and copy out what a read brought, or to reuse a write's buffer).
     * io_uring calls it as completions arrive, while later operations are in flight; every other
     * engine calls it for each operation, in index order, when the batch has run. It must not throw
     * and must not execute batches on the same engine.
     */
    @FunctionalInterface
    public interface Completer {
        void completed(int index);
    }

    /** The batch's preparer, or null. */
    public Preparer preparer() {
        return preparer;
    }

    /** Sets the batch's completer (cleared by {@link #clear()}). */
    public void completer(Completer c) {
        this.completer = c;
    }

    /** Whether the batch has a completer. */
    boolean hasCompleter() {
        return completer != null;
    }

    /**
     * Engines call this when operation {@code i}'s result is final; runs the completer once per
     * operation (later calls for the same operation do nothing).
     */
    void notifyCompleted(int i) {
        checkIndex(i);
        if (completer != null && !notified[i]) {
            notified[i] = true;
            completer.completed(i);
        }
    }

    /** Runs the completer for every operation it has not been run for (after the batch has run). */
    void notifyAllCompleted() {
        if (completer == null) {
            return;
        }
        for (int i = 0; i < size; i++) {
            notifyCompleted(i);
        }
    }

    /**
     * Cancels operation {@code i} before it is issued (a {@link Preparer} may cancel its own
     * operation): the engine does not run it and its result is {@code -ECANCELED}.
     */
    public void cancel(int i) {
        canceled[checkIndex(i)] = true;
    }

    public boolean isCanceled(int i) {
        return canceled[checkIndex(i)];
    }

    /**
     * Replaces the buffer of a READ or WRITE that has not been issued yet, so a {@link Preparer} can
     * choose it as the operation is issued (for example from buffers that earlier operations of the
     * same batch have finished with). The operation's length becomes the buffer's size.
     */
    public void buffer(int i, MemorySegment buffer) {
        IoOp op = ops[checkIndex(i)];
        if (op != IoOp.READ && op != IoOp.WRITE) {
            throw new IllegalArgumentException("only a READ or WRITE has one buffer: op=" + op);
        }
        buffers[i] = buffer;
        lengths[i] = buffer.byteSize();
    }

    /**
     * Replaces the file offset and buffer of a READ or WRITE that has not been issued yet, so a
     * {@link Preparer} can decide both as the operation is issued (a read whose position is looked up
     * while the reads before it are in flight). The operation's length becomes the buffer's size.
     */
    public void target(int i, long offset, MemorySegment buffer) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: offset=" + offset);
        }
        buffer(i, buffer);
        offsets[i] = offset;
    }

    /** Runs the preparer for every operation up to and including {@code index} not yet prepared. */
    void prepareThrough(int index) {
        if (preparer == null) {
            return;
        }
        while (preparedUpTo <= index && preparedUpTo < size) {
            preparer.prepare(preparedUpTo++);
        }
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return ops.length;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Adds an operation as given; wrapping engines use it to copy operations without cloning vectors. */
    int add(IoOp op, IoFile file, long offset, MemorySegment buffer, MemorySegment[] vector, long length,
            int flags) {
        if (file == null) {
            throw new NullPointerException("file");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: offset=" + offset);
        }
        if (size == ops.length) {
            grow();
        }
        int i = size++;
        ops[i] = op;
        files[i] = file;
        offsets[i] = offset;
        buffers[i] = buffer;
        vectors[i] = vector;
        lengths[i] = length;
        rwFlags[i] = flags;
        results[i] = NOT_EXECUTED;
        issuedNs[i] = 0;
        completedNs[i] = 0;
        canceled[i] = false;
        notified[i] = false;
        deviceStatus[i] = 0;
        return i;
    }

    /**
     * Sets where operation {@code i} goes and what it transfers (a READ or WRITE's buffer, or a READV or
     * WRITEV's vector) and its length, as given: wrapping engines copy a prepared operation, or a prefix
     * of it, into their inner batch with it (a preparer may have chosen its offset too: {@link #target}).
     */
    void replace(int i, long offset, MemorySegment buffer, MemorySegment[] vector, long length) {
        checkIndex(i);
        offsets[i] = offset;
        buffers[i] = buffer;
        vectors[i] = vector;
        lengths[i] = length;
    }

    private void grow() {
        int n = ops.length * 2;
        ops = Arrays.copyOf(ops, n);
        files = Arrays.copyOf(files, n);
        offsets = Arrays.copyOf(offsets, n);
        buffers = Arrays.copyOf(buffers, n);
        vectors = Arrays.copyOf(vectors, n);
        lengths = Arrays.copyOf(lengths, n);
        rwFlags = Arrays.copyOf(rwFlags, n);
        results = Arrays.copyOf(results, n);
        issuedNs = Arrays.copyOf(issuedNs, n);
        completedNs = Arrays.copyOf(completedNs, n);
        canceled = Arrays.copyOf(canceled, n);
        notified = Arrays.copyOf(notified, n);
        deviceStatus = Arrays.copyOf(deviceStatus, n);
    }

    /** Adds a read of {@code buffer.byteSize()} bytes at {@code offset}; returns its index. */
    public int read(IoFile file, long offset, MemorySegment buffer) {
        return add(IoOp.READ, file, offset, buffer, null, buffer.byteSize(), 0);
    }

    /** Adds a write of all of {@code buffer} at {@code offset}; returns its index. */
    public int write(IoFile file, long offset, MemorySegment buffer) {
        return add(IoOp.WRITE, file, offset, buffer, null, buffer.byteSize(), 0);
    }

    /**
     * Adds a write with per-operation RWF_* flags (for example {@code RWF_DSYNC} for a write that is
     * durable when it completes). Engines without per-write flags emulate RWF_DSYNC with fdatasync.
     */
    public int write(IoFile file, long offset, MemorySegment buffer, int rwFlags) {
        return add(IoOp.WRITE, file, offset, buffer, null, buffer.byteSize(), rwFlags);
    }

    /** Adds a vectored read: the buffers are filled from consecutive file positions. */
    public int readv(IoFile file, long offset, MemorySegment... buffers) {
        return add(IoOp.READV, file, offset, null, buffers.clone(), totalLength(buffers), 0);
    }

    /** Adds a vectored write of the buffers to consecutive file positions. */
    public int writev(IoFile file, long offset, MemorySegment... buffers) {
        return add(IoOp.WRITEV, file, offset, null, buffers.clone(), totalLength(buffers), 0);
    }

    public int fsync(IoFile file) {
        return add(IoOp.FSYNC, file, 0, null, null, 0, 0);
    }

    public int fdatasync(IoFile file) {
        return add(IoOp.FDATASYNC, file, 0, null, null, 0, 0);
    }

    private static long totalLength(MemorySegment[] buffers) {
        if (buffers.length == 0) {
            throw new IllegalArgumentException("a vectored operation needs at least one buffer");
        }
        long total = 0;
        for (MemorySegment b : buffers) {
            total += b.byteSize();
        }
        return total;
    }

    public IoOp op(int i) {
        return ops[checkIndex(i)];
    }

    public IoFile file(int i) {
        return files[checkIndex(i)];
    }

    public long offset(int i) {
        return offsets[checkIndex(i)];
    }

    /** The buffer of a READ or WRITE (null for other operations). */
    public MemorySegment buffer(int i) {
        return buffers[checkIndex(i)];
    }

    /** The buffers of a READV or WRITEV (null for other operations); do not modify the array. */
    public MemorySegment[] vector(int i) {
        return vectors[checkIndex(i)];
    }

    /** Bytes the operation asked for (0 for syncs). */
    public long length(int i) {
        return lengths[checkIndex(i)];
    }

    public int rwFlags(int i) {
        return rwFlags[checkIndex(i)];
    }

    /** Bytes transferred, or -errno, or {@link #NOT_EXECUTED}. */
    public long result(int i) {
        return results[checkIndex(i)];
    }

    /** Engines record an operation's outcome here. */
    void result(int i, long value) {
        results[checkIndex(i)] = value;
    }

    /**
     * Engines call this when operation {@code i} is handed to the kernel (pread called, SQE submitted):
     * the time between the batch's start and this is the submission latency.
     */
    void issued(int i, long nanoTime) {
        issuedNs[checkIndex(i)] = nanoTime;
    }

    /** Engines call this when operation {@code i} completes: records the result and the time. */
    void complete(int i, long result, long nanoTime) {
        checkIndex(i);
        results[i] = result;
        completedNs[i] = nanoTime;
    }

    /**
     * Engines that talk to the device directly (uring-cmd) call this when operation {@code i} failed
     * with a status from the device: its result is then the errno that status maps to, and
     * {@link #failure(int)} names the status.
     */
    void deviceStatus(int i, int status) {
        deviceStatus[checkIndex(i)] = status;
    }

    /** The NVMe status a failed operation got from the device (uring-cmd), or 0 when it got none. */
    public int deviceStatus(int i) {
        return deviceStatus[checkIndex(i)];
    }

    /** {@link System#nanoTime()} when operation {@code i} was issued, or 0 when the engine did not say. */
    public long issuedNs(int i) {
        return issuedNs[checkIndex(i)];
    }

    /** {@link System#nanoTime()} when operation {@code i} completed, or 0 when the engine did not say. */
    public long completedNs(int i) {
        return completedNs[checkIndex(i)];
    }

    /**
     * Fills in the times an engine did not record: issue at {@code startNs}, completion at
     * {@code endNs}. Called by {@link AbstractIoEngine} after every batch.
     */
    void fillTimes(long startNs, long endNs) {
        for (int i = 0; i < size; i++) {
            if (issuedNs[i] == 0) {
                issuedNs[i] = startNs;
            }
            if (completedNs[i] == 0) {
                completedNs[i] = endNs;
            }
        }
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("index=" + i + ", size=" + size);
        }
        return i;
    }

    /** Whether every operation succeeded (reads may be short at end of file). */
    public boolean allSucceeded() {
        for (int i = 0; i < size; i++) {
            if (results[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** Sum of the bytes transferred by the operations that succeeded. */
    public long bytesTransferred() {
        long total = 0;
        for (int i = 0; i < size; i++) {
            if (results[i] > 0) {
                total += results[i];
            }
        }
        return total;
    }

    /** Throws the failure of the first operation that failed, if any. */
    public void throwIfFailed() throws NativeIoException {
        for (int i = 0; i < size; i++) {
            if (results[i] < 0) {
                throw failure(i);
            }
        }
    }

    /**
     * The failure of operation {@code i} as an exception naming the call, errno, path, fd, offset,
     * length and, where one helps, a hint (the alignment O_DIRECT needs, a full device, …).
     *
     * @throws IllegalStateException when the operation did not fail
     */
    public NativeIoException failure(int i) {
        long r = result(i);
        if (r >= 0 || r == NOT_EXECUTED) {
            throw new IllegalStateException("operation did not fail: index=" + i + ", result=" + r);
        }
        int errno = (int) -r;
        IoFile f = files[i];
        return new NativeIoException(ops[i].syscallName(), errno, f.path().toString(),
                f.isClosed() ? -1 : f.fd(), ops[i].isSync() ? NativeIoException.UNKNOWN : offsets[i],
                ops[i].isSync() ? NativeIoException.UNKNOWN : lengths[i], hint(i, errno));
    }

    private String hint(int i, int errno) {
        IoFile f = files[i];
        if (deviceStatus[i] != 0) {
            return io.rawio.nvme.NvmeStatus.describe(deviceStatus[i]);
        }
        String engines = f.engine().failureHint(ops[i], errno);
        if (engines != null) {
            return engines;
        }
        return switch (errno) {
            case Errno.EINVAL -> f.isDirect() && !isAligned(i) ? f.alignment().describe() : null;
            case Errno.ENOSPC -> "the filesystem or device is full";
            case Errno.EFBIG -> "the offset is past the largest file size this filesystem allows";
            case Errno.EBADF -> ops[i].isWrite() && !f.options().write() ? "the file was opened read-only" : null;
            case Errno.EFAULT -> "the buffer is not native memory or not writable";
            default -> null;
        };
    }

    /** Whether operation {@code i} meets its file's direct-I/O alignment (always true for syncs). */
    public boolean isAligned(int i) {
        IoOp op = ops[i];
        if (op.isSync()) {
            return true;
        }
        var a = files[i].alignment();
        if ((offsets[i] & (a.offset() - 1)) != 0) {
            return false;
        }
        if (op.isVectored()) {
            for (MemorySegment b : vectors[i]) {
                if (!a.accepts(b.address(), 0, b.byteSize())) {
                    return false;
                }
            }
            return true;
        }
        return a.accepts(buffers[i].address(), offsets[i], lengths[i]);
    }

    /**
     * Checks what every engine checks before running operation {@code i}: a native buffer, writable for
     * a read, and the file's alignment under O_DIRECT; and that it was not canceled. Returns 0, or the
     * -errno to record as the result without issuing the operation (-EFAULT, -EBADF, -EINVAL,
     * -ECANCELED).
     */
    long precheck(int i) {
        IoOp op = ops[i];
        IoFile f = files[i];
        if (canceled[i]) {
            return -Errno.ECANCELED;
        }
        if (op.isSync()) {
            return 0;
        }
        if (op.isWrite() && !f.options().write()) {
            return -Errno.EBADF;
        }
        if (op.isVectored()) {
            for (MemorySegment b : vectors[i]) {
                if (!b.isNative() || (op.isRead() && b.isReadOnly())) {
                    return -Errno.EFAULT;
                }
            }
        } else if (!buffers[i].isNative() || (op.isRead() && buffers[i].isReadOnly())) {
            return -Errno.EFAULT;
        }
        if (f.isDirect() && !isAligned(i)) {
            return -Errno.EINVAL;
        }
        return 0;
    }

    /**
     * Fails fast, before anything runs, when an operation names a closed file or a file another engine
     * opened.
     */
    void checkFiles(IoEngine engine) {
        for (int i = 0; i < size; i++) {
            IoFile f = files[i];
            if (f.engine() != engine) {
                throw new IllegalArgumentException("file was opened by another engine: file=" + f
                        + ", engine=" + engine.name());
            }
            if (f.isClosed()) {
                throw new IllegalStateException("file is closed: path=" + f.path());
            }
        }
    }
}
