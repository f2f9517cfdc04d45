package io.rawio.server;

import static io.rawio.uring.IoUringConstants.IORING_OP_READ;
import static io.rawio.uring.IoUringConstants.IOSQE_FIXED_FILE;

import io.rawio.nativeio.NativeIoException;
import io.rawio.uring.IoUring;
import io.rawio.uring.SqeDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import java.util.function.IntToLongFunction;
import java.util.function.LongSupplier;

/**
 * Where the io_uring loop fills the SQE of a store read ({@link RingGets}): an IORING_OP_READ on the
 * loop's ring, of the store's file registered with the ring (IOSQE_FIXED_FILE, index 0: the read
 * takes no reference on the file) unless the kernel refuses or {@code -Drawio.uring.fixedFiles=false}.
 * The loop's thread only.
 */
final class UringStoreReads implements RingGets.Ring {
    private final IoUring ring;
    private final LongSupplier sqe;
    private final IntToLongFunction tag;
    private final Consumer<Connection> ready;
    private int storeFd = -1;
    private boolean fixed;

    /**
     * Reads on {@code ring}, each in the SQE {@code sqe} gives, tagged by {@code tag}; {@code ready}
     * brings a connection whose read completed into a round (if it is still open).
     */
    UringStoreReads(IoUring ring, LongSupplier sqe, IntToLongFunction tag, Consumer<Connection> ready) {
        this.ring = ring;
        this.sqe = sqe;
        this.tag = tag;
        this.ready = ready;
    }

    @Override
    public void read(int fd, MemorySegment buf, int length, long offset, long userData) {
        if (storeFd == -1) {
            storeFd = fd; // the store's file: registered once, on the loop's thread, at the first read
            if (Boolean.parseBoolean(System.getProperty("rawio.uring.fixedFiles", "true"))) {
                try {
                    ring.registerFiles(fd);
                    fixed = true;
                } catch (NativeIoException | RuntimeException e) {
                    fixed = false;
                }
            }
        }
        MemorySegment sqes = ring.sqeArray();
        long at = sqe.getAsLong();
        if (fixed && fd == storeFd) {
            SqeDescriptor.prep(sqes, at, IORING_OP_READ, 0, buf.address(), length, offset, userData);
            SqeDescriptor.flags(sqes, at, IOSQE_FIXED_FILE);
        } else {
            SqeDescriptor.prep(sqes, at, IORING_OP_READ, fd, buf.address(), length, offset, userData);
        }
    }

    /**
     * Drops the store's file from the ring's registered files (on the loop's thread, before the ring
     * closes): a registered file holds a reference that the ring's teardown drops only later, so the
     * store's lock would outlive its close (a new server on the store would find it in use).
     */
    void unregister() {
        if (fixed) {
            fixed = false;
            try {
                ring.unregisterFiles();
            } catch (NativeIoException | RuntimeException e) {
                // the ring's teardown still drops it
            }
        }
    }

    @Override
    public long tag(int id) {
        return tag.applyAsLong(id);
    }

    @Override
    public void ready(Connection c) {
        ready.accept(c);
    }
}
