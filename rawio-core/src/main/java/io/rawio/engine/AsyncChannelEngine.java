package io.rawio.engine;

import io.rawio.nativeio.Alignment;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * java.nio {@link AsynchronousFileChannel}: every data operation of a batch is started before any is
 * waited for, so the JDK's thread pool keeps several in flight (on Linux the JDK emulates asynchronous
 * file I/O with blocking calls on pool threads). FSYNC/FDATASYNC wait for everything before them.
 * The baseline for "async I/O in plain Java".
 */
public final class AsyncChannelEngine extends AbstractIoEngine {

    private final int queueDepth;

    public AsyncChannelEngine() {
        this(EngineConfig.DEFAULT);
    }

    /** At most {@code config.queueDepth()} operations in flight; a longer batch waits for the oldest. */
    public AsyncChannelEngine(EngineConfig config) {
        super("asyncchannel");
        this.queueDepth = config.queueDepth();
    }

    static final class ChannelFile extends IoFile {
        final AsynchronousFileChannel channel;

        ChannelFile(IoEngine engine, NativeFile file, OpenOptions options, Alignment alignment,
                AsynchronousFileChannel channel) {
            super(engine, file, options, alignment);
            this.channel = channel;
        }

        @Override
        public void close() throws NativeIoException {
            try {
                channel.close();
            } catch (IOException e) {
                // the descriptor is released even when close reports an error
            }
            super.close();
        }
    }

    /** The reads and writes run on the JDK's thread pool. */
    @Override
    public boolean worksOnCallerThreads() {
        return false;
    }

    @Override
    protected IoFile wrap(NativeFile file, OpenOptions options) throws IOException {
        return new ChannelFile(this, file, options, JdkChannels.alignment(file, options),
                AsynchronousFileChannel.open(file.path(), JdkChannels.openOptions(options), null));
    }

    @Override
    protected void run(IoBatch batch) {
        int n = batch.size();
        @SuppressWarnings("unchecked")
        Future<Integer>[] pending = new Future[n];
        ByteBuffer[] buffers = new ByteBuffer[n];
        int waitedUpTo = 0;
        for (int i = 0; i < n; i++) {
            IoOp op = batch.op(i);
            if (op.isSync()) {
                waitAll(batch, pending, buffers, waitedUpTo, i);
                waitedUpTo = i + 1;
                batch.issued(i, System.nanoTime());
                long pre = batch.precheck(i);
                batch.complete(i, pre < 0 ? pre : force(batch, i), System.nanoTime());
                continue;
            }
            long pre = batch.precheck(i);
            batch.issued(i, System.nanoTime());
            if (pre < 0) {
                batch.complete(i, pre, System.nanoTime());
                continue;
            }
            if (op.isVectored()) {
                // Vectored operations run in place: AsynchronousFileChannel has no scatter/gather.
                batch.complete(i, vectored(batch, i), System.nanoTime());
                continue;
            }
            if (i - waitedUpTo >= queueDepth) {
                waitAll(batch, pending, buffers, waitedUpTo, waitedUpTo + 1);
                waitedUpTo++;
            }
            AsynchronousFileChannel ch = ((ChannelFile) batch.file(i)).channel;
            buffers[i] = shareable(batch.buffer(i));
            pending[i] = op == IoOp.READ ? ch.read(buffers[i], batch.offset(i)) : ch.write(buffers[i], batch.offset(i));
            syscalls.increment();
        }
        waitAll(batch, pending, buffers, waitedUpTo, n);
    }

    private void waitAll(IoBatch batch, Future<Integer>[] pending, ByteBuffer[] buffers, int from, int to) {
        for (int i = from; i < to; i++) {
            if (pending[i] == null) {
                continue;
            }
            long r = finish(batch, i, pending[i], buffers[i]);
            if (r >= 0 && batch.op(i) == IoOp.WRITE && (batch.rwFlags(i) & LinuxConstants.RWF_DSYNC) != 0) {
                r = forceChannel(((ChannelFile) batch.file(i)).channel, false) < 0 ? -Errno.EIO : r;
            }
            batch.complete(i, r, System.nanoTime());
            pending[i] = null;
            buffers[i] = null;
        }
    }

    private long finish(IoBatch batch, int i, Future<Integer> f, ByteBuffer bb) {
        return finishOne(((ChannelFile) batch.file(i)).channel, f, bb, batch.offset(i), batch.op(i) == IoOp.READ);
    }

    private long vectored(IoBatch batch, int i) {
        AsynchronousFileChannel ch = ((ChannelFile) batch.file(i)).channel;
        boolean read = batch.op(i) == IoOp.READV;
        long total = 0;
        for (MemorySegment b : batch.vector(i)) {
            ByteBuffer bb = shareable(b);
            Future<Integer> f = read ? ch.read(bb, batch.offset(i) + total) : ch.write(bb, batch.offset(i) + total);
            syscalls.increment();
            long r = finishOne(ch, f, bb, batch.offset(i) + total, read);
            if (r < 0) {
                return r;
            }
            total += r;
            if (r < b.byteSize()) {
                break;
            }
        }
        return total;
    }

    /** Waits for an operation and completes a short transfer with further calls. */
    private long finishOne(AsynchronousFileChannel ch, Future<Integer> f, ByteBuffer bb, long offset, boolean read) {
        try {
            long done = 0;
            while (true) {
                int r = f.get();
                if (r < 0) {
                    return done;
                }
                done += r;
                if (!bb.hasRemaining() || (read && r == 0)) {
                    return done;
                }
                f = read ? ch.read(bb, offset + done) : ch.write(bb, offset + done);
                syscalls.increment();
            }
        } catch (ExecutionException e) {
            return e.getCause() instanceof IOException io ? -FileChannelEngine.errnoOf(io) : -Errno.EIO;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -Errno.EINTR;
        }
    }

    /**
     * A view of the caller's buffer that the JDK's pool threads may touch. A buffer from a confined
     * arena is accessible only by its owner thread, and a pool thread touching it would fail and
     * leave the Future pending forever. The caller is blocked in {@link #execute} until every
     * operation completed, so the memory outlives the view, as it does for a kernel that is handed the
     * address.
     */
    private static ByteBuffer shareable(MemorySegment s) {
        return MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize()).asByteBuffer();
    }

    private long force(IoBatch batch, int i) {
        return forceChannel(((ChannelFile) batch.file(i)).channel, batch.op(i) == IoOp.FSYNC);
    }

    private long forceChannel(AsynchronousFileChannel ch, boolean metadata) {
        try {
            ch.force(metadata);
            syscalls.increment();
            return 0;
        } catch (IOException e) {
            return -FileChannelEngine.errnoOf(e);
        }
    }
}
