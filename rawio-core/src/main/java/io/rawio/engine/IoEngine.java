package io.rawio.engine;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The one dispatcher: every byte rawio moves goes through {@link #execute(IoBatch)}, whatever the
 * engine underneath (psync, pvsync, filechannel, mmap, uring, uring-fixed). Callers never branch on
 * the engine.
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
     * Whether {@link #execute} runs a batch's {@link IoBatch.Preparer} for each operation as it issues
     * it and its {@link IoBatch.Completer} as each completes, overlapping both with the operations in
     * flight (io_uring); otherwise every operation is prepared before any runs and completers run
     * after the batch, so a caller that recycles buffers from completed operations needs one buffer
     * per operation.
     */
    default boolean preparesLazily() {
        return false;
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

    /** Syscalls this engine has made so far (all threads), for syscalls-per-I/O figures. */
    long syscalls();

    /** Releases the engine's resources; files it opened stay open until closed. Idempotent. */
    @Override
    void close();
}
