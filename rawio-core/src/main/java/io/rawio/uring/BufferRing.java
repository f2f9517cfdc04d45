package io.rawio.uring;

import static io.rawio.uring.IoUringConstants.*;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A ring of provided buffers (IORING_REGISTER_PBUF_RING, 5.19): {@code count} buffers of
 * {@code size} bytes, one group id. A RECV with IOSQE_BUFFER_SELECT and this group takes the next
 * buffer from the ring itself (no SQE per hand-over, as PROVIDE_BUFFERS needs); the CQE names it, and
 * the owner gives it back with {@link #recycle(int)} once it has copied the bytes out, then
 * {@link #publish()} (one release store of the tail for any number of buffers).
 *
 * <p>The ring is an array of struct io_uring_buf {addr u64, len u32, bid u16, resv u16} (16 bytes), in
 * page-aligned memory of ours; its tail is the u16 at byte 14, over the first entry's resv (struct
 * io_uring_buf_ring). The kernel reads entries from its head up to the tail we publish. The buffers
 * themselves are anonymous memory, touched only as data arrives. Not thread-safe: the ring's thread
 * recycles.
 */
public final class BufferRing implements AutoCloseable {
    private static final VarHandle SHORT = ValueLayout.JAVA_SHORT.varHandle();
    /** struct io_uring_buf_reg: ring_addr u64, ring_entries u32, bgid u16, flags u16, min_left u32, resv. */
    static final int REG_SIZE = 40;
    static final long ENTRY_SIZE = 16;
    static final long TAIL_OFFSET = 14;

    private final IoUring ring;
    private final int group;
    private final int count;
    private final int size;
    private final MemorySegment entries;
    private final MemorySegment buffers;
    private final int mask;
    /** The tail the kernel has seen, and entries added since. */
    private short tail;
    private int added;
    private boolean closed;

    private BufferRing(IoUring ring, int group, int count, int size, MemorySegment entries, MemorySegment buffers) {
        this.ring = ring;
        this.group = group;
        this.count = count;
        this.size = size;
        this.entries = entries;
        this.buffers = buffers;
        this.mask = count - 1;
    }

    /**
     * Registers {@code count} (a power of two, up to 32768) buffers of {@code size} bytes as group
     * {@code group} of {@code ring}, every one of them handed to the kernel.
     *
     * @throws NativeIoException when the kernel refuses (EINVAL before 5.19, EEXIST for a group in use)
     */
    public static BufferRing register(IoUring ring, int group, int count, int size) throws NativeIoException {
        if (Integer.bitCount(count) != 1 || count > 32768 || size < 1 || group < 0 || group > 0xffff) {
            throw new IllegalArgumentException("count must be a power of two up to 32768, size positive, group 0..65535:"
                    + " count=" + count + ", size=" + size + ", group=" + group);
        }
        MemorySegment entries = map(ENTRY_SIZE * count, "buffer ring");
        MemorySegment buffers;
        try {
            buffers = map((long) count * size, "provided buffers");
        } catch (NativeIoException e) {
            Libc.munmap(entries.address(), entries.byteSize());
            throw e;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment reg = a.allocate(REG_SIZE, 8);
            reg.set(ValueLayout.JAVA_LONG, 0, entries.address());
            reg.set(ValueLayout.JAVA_INT, 8, count);
            reg.set(ValueLayout.JAVA_SHORT, 12, (short) group);
            long r = ring.register(IORING_REGISTER_PBUF_RING, reg.address(), 1);
            if (r < 0) {
                Libc.munmap(entries.address(), entries.byteSize());
                Libc.munmap(buffers.address(), buffers.byteSize());
                throw new NativeIoException("io_uring_register PBUF_RING", (int) -r, null, ring.fd(),
                        NativeIoException.UNKNOWN, (long) count * size,
                        -r == Errno.EINVAL ? "buffer rings need Linux 5.19" : null);
            }
        }
        BufferRing b = new BufferRing(ring, group, count, size, entries, buffers);
        for (int i = 0; i < count; i++) {
            b.recycle(i);
        }
        b.publish();
        return b;
    }

    private static MemorySegment map(long bytes, String what) throws NativeIoException {
        long addr = Libc.mmap(0, bytes, LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE,
                LinuxConstants.MAP_PRIVATE | LinuxConstants.MAP_ANONYMOUS, -1, 0);
        if (addr < 0 && addr > -4096) {
            throw new NativeIoException("mmap " + what, (int) -addr, null, -1, 0, bytes, null);
        }
        return MemorySegment.ofAddress(addr).reinterpret(bytes);
    }

    /** The group id a RECV names to take from this ring. */
    public int group() {
        return group;
    }

    public int count() {
        return count;
    }

    /** Bytes per buffer: the most one receive into it takes. */
    public int bufferSize() {
        return size;
    }

    /** Buffer {@code id}, all of it (a CQE's res says how much was received into it). */
    public MemorySegment buffer(int id) {
        return buffers.asSlice((long) id * size, size);
    }

    /** The memory of every buffer, back to back ({@code id * bufferSize()} is where buffer id starts). */
    public MemorySegment memory() {
        return buffers;
    }

    /** Gives buffer {@code id} back; the kernel sees it after {@link #publish()}. */
    public void recycle(int id) {
        if (id < 0 || id >= count) {
            throw new IllegalArgumentException("no buffer " + id + " in a ring of " + count);
        }
        long at = ((tail + added) & mask) * ENTRY_SIZE;
        entries.set(ValueLayout.JAVA_LONG, at, buffers.address() + (long) id * size);
        entries.set(ValueLayout.JAVA_INT, at + 8, size);
        entries.set(ValueLayout.JAVA_SHORT, at + 12, (short) id);
        added++;
    }

    /** Makes the recycled buffers visible to the kernel: the entries, then (release) the new tail. */
    public void publish() {
        if (added == 0) {
            return;
        }
        tail = (short) (tail + added);
        added = 0;
        SHORT.setRelease(entries, TAIL_OFFSET, tail);
    }

    /** Unregisters the group and frees the ring and the buffers (no request may still use them). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment reg = a.allocate(REG_SIZE, 8);
            reg.set(ValueLayout.JAVA_SHORT, 12, (short) group);
            ring.register(IORING_UNREGISTER_PBUF_RING, reg.address(), 1);
        }
        Libc.munmap(entries.address(), entries.byteSize());
        Libc.munmap(buffers.address(), buffers.byteSize());
    }
}
