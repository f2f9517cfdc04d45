package io.rawio.uring;

import static io.rawio.uring.IoUringConstants.IORING_REGISTER_BUFFERS2;
import static io.rawio.uring.IoUringConstants.IORING_REGISTER_BUFFERS_UPDATE;
import static io.rawio.uring.IoUringConstants.IORING_RSRC_REGISTER_SPARSE;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Iovec;
import io.rawio.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A ring's registered buffers as a table of slots filled one at a time (IORING_REGISTER_BUFFERS2 with
 * IORING_RSRC_REGISTER_SPARSE, 5.19; each slot set with IORING_REGISTER_BUFFERS_UPDATE, 5.13): memory
 * made over time is registered as it is made, pinned once, and a READ_FIXED or WRITE_FIXED into it names
 * its slot as buf_index. {@link #add} takes a free slot, {@link #remove} empties it again (a request in
 * flight keeps the buffer it was submitted with), {@link #close} unregisters the whole table.
 *
 * <p>Not thread-safe; on a ring set up with SINGLE_ISSUER, use it from the ring's submitter thread.
 */
public final class SparseBufferTable implements AutoCloseable {
    /** The most buffers the kernel registers with one ring (IORING_MAX_REG_BUFFERS). */
    public static final int MAX_SLOTS = 1 << 14;
    /** sizeof(struct io_uring_rsrc_register) and sizeof(struct io_uring_rsrc_update2). */
    private static final int RSRC_STRUCT = 32;

    private final IoUring ring;
    private final int[] free;
    private int freeCount;
    private boolean closed;

    /**
     * Registers a table of {@code slots} empty slots with {@code ring} (its only registered buffers).
     *
     * @throws NativeIoException EINVAL before Linux 5.19, EBUSY when the ring has buffers registered already
     */
    public SparseBufferTable(IoUring ring, int slots) throws NativeIoException {
        if (slots < 1 || slots > MAX_SLOTS) {
            throw new IllegalArgumentException("slots must be 1 to " + MAX_SLOTS + ": " + slots);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rr = a.allocate(RSRC_STRUCT, 8); // struct io_uring_rsrc_register
            rr.set(ValueLayout.JAVA_INT, 0, slots); // nr
            rr.set(ValueLayout.JAVA_INT, 4, IORING_RSRC_REGISTER_SPARSE); // flags; resv2, data, tags: 0
            long r = ring.register(IORING_REGISTER_BUFFERS2, rr.address(), RSRC_STRUCT);
            if (r < 0) {
                throw new NativeIoException("io_uring_register BUFFERS2 (sparse, " + slots + " slots)", (int) -r, null);
            }
        }
        this.ring = ring;
        this.free = new int[slots];
        for (int i = 0; i < slots; i++) {
            free[i] = slots - 1 - i; // slot 0 first
        }
        this.freeCount = slots;
    }

    /**
     * Registers {@code region} in a free slot; returns the slot, or -1 when every slot is taken.
     *
     * @throws NativeIoException ENOMEM when RLIMIT_MEMLOCK cannot take its pages, EFAULT for memory the
     *     kernel will not pin; the slot stays free
     */
    public int add(MemorySegment region) throws NativeIoException {
        if (closed) {
            throw new IllegalStateException("buffer table closed");
        }
        if (freeCount == 0) {
            return -1;
        }
        int slot = free[freeCount - 1];
        update(slot, region);
        freeCount--;
        return slot;
    }

    /** Empties {@code slot}: its memory may be freed once the requests naming it have completed. */
    public void remove(int slot) throws NativeIoException {
        if (closed) {
            return; // unregistered with the table
        }
        update(slot, null);
        free[freeCount++] = slot;
    }

    /** Slots free now. */
    public int freeSlots() {
        return freeCount;
    }

    private void update(int slot, MemorySegment region) throws NativeIoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment iov = a.allocate(Iovec.SIZE, 8); // a NULL, 0-byte iovec empties the slot
            if (region != null) {
                Iovec.set(iov, 0, region, region.byteSize());
            }
            MemorySegment up = a.allocate(RSRC_STRUCT, 8); // struct io_uring_rsrc_update2
            up.set(ValueLayout.JAVA_INT, 0, slot); // offset
            up.set(ValueLayout.JAVA_LONG, 8, iov.address()); // data
            up.set(ValueLayout.JAVA_INT, 24, 1); // nr
            long r = ring.register(IORING_REGISTER_BUFFERS_UPDATE, up.address(), RSRC_STRUCT);
            if (r < 0) {
                String hint = -r == Errno.ENOMEM
                        ? "RLIMIT_MEMLOCK is too low to pin the buffers: raise it (ulimit -l) or run as root" : null;
                throw new NativeIoException("io_uring_register BUFFERS_UPDATE (slot " + slot + ")", (int) -r, null,
                        ring.fd(), NativeIoException.UNKNOWN, region == null ? 0 : region.byteSize(), hint);
            }
        }
    }

    /** Unregisters the table (every slot with it). */
    @Override
    public void close() throws NativeIoException {
        if (!closed) {
            closed = true;
            ring.unregisterBuffers();
        }
    }
}
