package io.rawio.server;

import static io.rawio.uring.IoUringConstants.IORING_OP_READ;
import static io.rawio.uring.IoUringConstants.IORING_OP_READ_FIXED;
import static io.rawio.uring.IoUringConstants.IOSQE_FIXED_FILE;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.uring.IoUring;
import io.rawio.uring.SparseBufferTable;
import io.rawio.uring.SqeDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import java.util.function.IntToLongFunction;
import java.util.function.LongSupplier;

/**
 * Where the io_uring loop fills the SQE of a store read ({@link RingGets}): an IORING_OP_READ_FIXED on
 * the loop's ring into a read buffer registered with the ring ({@link ReadBuffers.Pins}: a sparse table
 * of registered buffers, each buffer put in a slot as it is made, so its pages are not pinned again for
 * every read), of the store's file registered with the ring (IOSQE_FIXED_FILE, index 0: the read
 * takes no reference on the file). Each falls back to the plain form where the kernel refuses it
 * (RLIMIT_MEMLOCK for the buffers, say) or {@code -Drawio.uring.fixedBuffers=false},
 * {@code -Drawio.uring.fixedFiles=false}. The loop's thread only.
 */
final class UringStoreReads implements RingGets.Ring, ReadBuffers.Pins {
    private final IoUring ring;
    private final LongSupplier sqe;
    private final IntToLongFunction tag;
    private final Consumer<Connection> ready;
    private int storeFd = -1;
    private boolean fixed;
    /** Buffers are registered (until the kernel refuses one); the table of slots, once made. */
    private boolean pinning = Boolean.parseBoolean(System.getProperty("rawio.uring.fixedBuffers", "true"));
    private final int slots;
    /** The registered read buffers, once the first is made (the loop's thread registers them). */
    private SparseBufferTable table;
    /** Why buffers are not registered, or null. */
    private String pinsOff;
    /** Reads that went out as READ_FIXED (for INFO and tests). */
    long fixedReads;

    /**
     * Reads on {@code ring}, each in the SQE {@code sqe} gives, tagged by {@code tag}; {@code ready}
     * brings a connection whose read completed into a round (if it is still open).
     */
    UringStoreReads(IoUring ring, LongSupplier sqe, IntToLongFunction tag, Consumer<Connection> ready, int slots) {
        this.slots = Math.max(1, Math.min(SparseBufferTable.MAX_SLOTS, slots));
        if (!pinning) {
            pinsOff = "-Drawio.uring.fixedBuffers=false";
        }
        this.ring = ring;
        this.sqe = sqe;
        this.tag = tag;
        this.ready = ready;
    }

    @Override
    public void read(int fd, ReadBuffers.Buffer into, int length, long offset, long userData) {
        MemorySegment buf = into.memory;
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
        byte op = into.slot >= 0 ? IORING_OP_READ_FIXED : IORING_OP_READ;
        if (fixed && fd == storeFd) {
            SqeDescriptor.prep(sqes, at, op, 0, buf.address(), length, offset, userData);
            SqeDescriptor.flags(sqes, at, IOSQE_FIXED_FILE);
        } else {
            SqeDescriptor.prep(sqes, at, op, fd, buf.address(), length, offset, userData);
        }
        if (into.slot >= 0) {
            SqeDescriptor.bufIndex(sqes, at, (short) into.slot);
            fixedReads++;
        }
    }

    /** A new read buffer: registered in a free slot (the table made at the first), or -1. */
    @Override
    public int pin(MemorySegment m) {
        if (!pinning) {
            return -1;
        }
        try {
            if (table == null) {
                table = new SparseBufferTable(ring, slots);
            }
            // -1 past the table's slots (a budget past 128 MiB): the rest are read into plainly
            return table.add(m);
        } catch (NativeIoException e) {
            // The table refused, or out of locked memory (RLIMIT_MEMLOCK): the next one would be refused
            // too. Anything else (a buffer the kernel will not take): this one is read into plainly.
            if (table == null || e.errno() == Errno.ENOMEM) {
                pinning = false;
                pinsOff = e.getMessage();
            }
            return -1;
        }
    }

    @Override
    public void unpin(int slot) {
        try {
            table.remove(slot);
        } catch (NativeIoException | RuntimeException e) {
            // the slot stays registered to the freed buffer's pages (the kernel holds them): not used again
        }
    }

    @Override
    public void unpinAll() {
        pinning = false;
        if (table != null) {
            try {
                table.close();
            } catch (NativeIoException | RuntimeException e) {
                // the ring's teardown drops them
            }
        }
    }

    /** For the ready line and INFO: whether store reads go into registered buffers. */
    String describe() {
        return pinsOff == null ? "READ_FIXED into registered buffers where the kernel takes them (INFO ring_fixed_reads)"
                : "READ (buffers not registered: " + pinsOff + ")";
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
