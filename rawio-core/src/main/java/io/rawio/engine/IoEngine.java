package io.rawio.engine;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The one dispatcher: every byte rawio moves goes through {@link #execute(IoBatch)}, whatever the
 * engine underneath (psync, pvsync, filechannel, asyncchannel, mmap, uring, uring-fixed, uring-cmd,
 * libaio, posixaio). Callers never branch
 * on the engine: where engines differ in a way a caller must plan for, the engine states it as a
 * quantity ({@link #buffersHeld(int)}), not as a flag to test.
 *
 * <p>The one exception to going through {@code execute}: a lab that studies one system call
 * (pwritev2 with RWF_DSYNC, splice, sendfile) may call it directly through {@code io.rawio.nativeio},
 * since the call itself is what it measures. Everything else, the store and the benchmarks' I/O
 * included, goes through {@code execute}.
 *
 * <p>Wrapping engines (fault injection, test engines) extend {@link ForwardingIoEngine}.
 *
 * <p>Contract, checked by the conformance suite for every engine:
 * <ul>
 *   <li>{@code execute} returns when every operation of the batch has completed, with one result per
 *       operation: bytes, or {@code -errno} for that operation alone. Other operations still run.</li>
 *   <li>Short transfers are completed: a READ result is less than its length only at end of file, a
 *       WRITE result is its length or an error.</li>
 *   <li>A batch larger than the engine's queue is split, never rejected.</li>
 *   <li>FSYNC and FDATASYNC act as barriers within the batch (see {@link IoBatch}).</li>
 *   <li>Under O_DIRECT a misaligned operation fails with -EINVAL, and
 *       {@link IoBatch#failure(int)} names the alignment required.</li>
 *   <li>A batch naming a closed file throws {@link IllegalStateException} and runs nothing; so does
 *       any call on a closed engine. {@link #close()} is idempotent.</li>
 *   <li>Engines are safe for use by several threads at once, each with its own batch.</li>
 * </ul>
 */
public interface IoEngine extends AutoCloseable {

    /** The engine's name as the CLI spells it ({@code psync}, {@code uring}, …). */
    String name();

    /** Whether this engine can open files with O_DIRECT. */
    default boolean supportsDirect() {
        return true;
    }

    /**
     * Opens a file for this engine's batches.
     *
     * @throws io.rawio.nativeio.NativeIoException when open(2) or preallocation fails
     * @throws IllegalArgumentException when the options ask for something this engine cannot do
     */
    IoFile open(Path path, OpenOptions options) throws IOException;

    /** Executes the batch; see the contract above. */
    void execute(IoBatch batch);

    /**
     * How many buffers a batch of {@code ops} operations holds at once when the caller recycles the
     * buffer of each completed operation into a later one: its {@link IoBatch.Preparer} takes a
     * buffer from the caller's free list for operation {@code i} (and may put it in the batch with
     * {@link IoBatch#buffer(int, java.lang.foreign.MemorySegment)}) and its {@link IoBatch.Completer}
     * gives that buffer back. A caller with this many buffers never finds its free list empty in the
     * preparer; operations that fail or are canceled hold their buffer until the completer is told
     * too. The answer depends only on {@code ops} and the engine's configuration, never on timing.
     *
     * <ul>
     *   <li>Engines that prepare every operation before running any and tell the completer after the
     *       batch (psync, pvsync, filechannel, asyncchannel, mmap, libaio, posixaio): {@code ops}.</li>
     *   <li>io_uring (uring, uring-fixed), which prepares each operation as it issues it and tells the
     *       completer as operations complete: the operations in flight (at most the queue depth) plus
     *       those completed but not yet handed back, which the engine hands back once the ring has
     *       been refilled (at most one queue depth more), so {@code min(ops, 2 * queueDepth)}.</li>
     *   <li>A wrapping engine: what the engine it wraps holds.</li>
     * </ul>
     *
     * @param ops operations in the batch, at least 0
     * @return buffers held at once, between {@code min(ops, 1)} and {@code ops}
     */
    default long buffersHeld(int ops) {
        if (ops < 0) {
            throw new IllegalArgumentException("ops must not be negative: ops=" + ops);
        }
        return ops;
    }

    /**
     * A hint that {@code region} will carry many operations' buffers for as long as the engine is open:
     * an engine that can pin memory for faster I/O does (uring-fixed registers it, and an operation
     * whose buffer lies inside it goes out as READ_FIXED/WRITE_FIXED); the others ignore it. The
     * caller keeps the region alive until the engine is closed. Results never depend on it.
     */
    default void registerMemory(java.lang.foreign.MemorySegment region) {
    }

    /**
     * The calling thread's batches from now on go to {@code ring}, an io_uring ring this thread already
     * drives (an event loop's, set up and enabled on it), instead of a ring of the engine's own:
     * one ring for the thread's sockets and its file I/O. Completions on it that are not the engine's
     * (their user_data above 32 bits) go to {@code others}, in the order reaped, for the ring's owner to
     * handle after the batch. Returns false when this engine does not use io_uring (nothing changes).
     * {@link #unshareRing()} ends it; call it on the same thread before the ring is closed.
     */
    default boolean shareRing(io.rawio.uring.IoUring ring, io.rawio.uring.IoUring.CqeVisitor others) {
        return false;
    }

    /** The calling thread's batches go to a ring of the engine's own again ({@link #shareRing}). */
    default void unshareRing() {
    }

    /**
     * Starts {@code batch} and returns before it completes where the calling thread's batches go to a
     * ring it shares ({@link #shareRing}): its operations go into that ring, and the thread goes on with
     * other work while the device does them. The ring's owner hands each completion whose user_data is
     * the engine's to {@link #ringCompletion} as it reaps, and calls {@link #runStarted()} after each
     * reap: that refills the ring, runs the batch's completer, and once every operation has its result,
     * calls {@code done} (with null, or what the preparer or completer threw; the batch is then over,
     * its unissued operations NOT_EXECUTED). Elsewhere the batch runs at once, as {@link #execute} runs
     * it, and {@code done} is called before this returns. {@code done} always runs on the calling thread,
     * outside any reap, so it may run batches of its own.
     */
    default void start(IoBatch batch, java.util.function.Consumer<RuntimeException> done) {
        RuntimeException thrown = null;
        try {
            execute(batch);
        } catch (RuntimeException e) {
            thrown = e;
        }
        done.accept(thrown);
    }

    /**
     * A completion the owner of a shared ring reaped ({@link #shareRing}): returns whether it is one of
     * the calling thread's started batches' ({@link #start}), kept for {@link #runStarted()}. Nothing
     * else is done here: the owner may be in the middle of reaping.
     */
    default boolean ringCompletion(long userData, int res) {
        return false;
    }

    /**
     * Handles the completions {@link #ringCompletion} kept: resubmits what must be, issues the next
     * operations of the started batches, runs their completers, and the {@code done} of each batch
     * that is over. Call it on the thread that started them, after reaping.
     */
    default void runStarted() {
    }

    /** Batches the calling thread started ({@link #start}) that are not over. */
    default int startedInFlight() {
        return 0;
    }

    /**
     * Waits until every batch the calling thread started is over (their {@code done} called), reaping
     * the shared ring itself; the owner's completions reaped meanwhile go to its {@code others}.
     */
    default void awaitStarted() {
    }

    /**
     * Whether all the engine's work happens on the threads that call {@link #execute} (so their CPU
     * time is the engine's). False for engines with worker threads of their own.
     */
    default boolean worksOnCallerThreads() {
        return true;
    }

    /**
     * What this engine knows about an operation failing with {@code errno} that the general hints do
     * not (for {@link io.rawio.nativeio.NativeIoException}'s hint), or null.
     */
    default String failureHint(IoOp op, int errno) {
        return null;
    }

    /**
     * The calling thread does no more I/O on this engine: what the engine keeps for it (an io_uring
     * ring, an AIO context, aiocbs) is released now, by that thread, not when the engine closes; a server
     * whose connections each have a thread calls it as each ends. A ring set up SINGLE_ISSUER
     * unregisters its files only from the thread that owns it; from any other, its references to the
     * files (and so their flocks) outlive the engine's close until the kernel's own teardown. A later
     * batch on this thread sets up what it needs again. Call it with no batch of the thread's started.
     */
    default void releaseThread() {
    }

    /** Syscalls this engine has made so far (all threads), for syscalls-per-I/O figures. */
    long syscalls();

    /** Releases the engine's resources; files it opened stay open until closed. Idempotent. */
    @Override
    void close();
}
