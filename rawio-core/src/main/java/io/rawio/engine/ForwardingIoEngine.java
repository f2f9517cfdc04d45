package io.rawio.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An engine that forwards every {@link IoEngine} method to another: the base of every wrapping engine
 * (fault injection, test engines that record or alter what passes through). A subclass overrides what
 * it changes and keeps the wrapped engine's behaviour for the rest, including
 * {@link #buffersHeld(int)}, so callers size their buffers for a wrapper as for the engine inside.
 *
 * <p>As it stands the wrapper hands out the wrapped engine's own files, so a batch passes through
 * unchanged; a wrapper with files of its own overrides {@link #open} and {@link #execute} together.
 * The wrapper owns the wrapped engine: {@link #close()} closes it.
 */
public abstract class ForwardingIoEngine implements IoEngine {
    /** The engine this one forwards to. */
    protected final IoEngine inner;

    protected ForwardingIoEngine(IoEngine inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    /** The engine this one forwards to. */
    public IoEngine wrapped() {
        return inner;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public boolean supportsDirect() {
        return inner.supportsDirect();
    }

    @Override
    public IoFile open(Path path, OpenOptions options) throws IOException {
        return inner.open(path, options);
    }

    @Override
    public void execute(IoBatch batch) {
        inner.execute(batch);
    }

    @Override
    public long buffersHeld(int ops) {
        return inner.buffersHeld(ops);
    }

    @Override
    public void registerMemory(java.lang.foreign.MemorySegment region) {
        inner.registerMemory(region);
    }

    @Override
    public boolean shareRing(io.rawio.uring.IoUring ring, io.rawio.uring.IoUring.CqeVisitor others) {
        return inner.shareRing(ring, others);
    }

    @Override
    public void unshareRing() {
        inner.unshareRing();
    }

    @Override
    public boolean ringCompletion(long userData, int res) {
        return inner.ringCompletion(userData, res);
    }

    @Override
    public void runStarted() {
        inner.runStarted();
    }

    @Override
    public int startedInFlight() {
        return inner.startedInFlight();
    }

    @Override
    public void awaitStarted() {
        inner.awaitStarted();
    }

    @Override
    public void releaseThread() {
        inner.releaseThread();
    }

    @Override
    public boolean worksOnCallerThreads() {
        return inner.worksOnCallerThreads();
    }

    @Override
    public String failureHint(IoOp op, int errno) {
        return inner.failureHint(op, errno);
    }

    @Override
    public long syscalls() {
        return inner.syscalls();
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return name();
    }
}
