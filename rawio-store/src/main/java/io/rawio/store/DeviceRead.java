package io.rawio.store;

/**
 * One get's device read, issued by the caller on its own ring rather than by the store's engine: an
 * event loop that serves sockets and the store's reads from one io_uring ring plans the read with
 * {@link StoreRing#planRead}, reads {@link #length()} bytes at {@link #offset()} of descriptor
 * {@link #fd()} into memory aligned to {@link #ALIGNMENT} (the store's file may be open with O_DIRECT),
 * and hands the bytes to {@link StoreRing#finishRead}, which checks them (CRC32C, the slot's header)
 * as a getMany does, and puts the value into the DRAM tier. The store never sees the caller's ring.
 *
 * <p>A key written, evicted or deleted while its read is in flight is caught by the check
 * ({@link #READ_AGAIN}): the caller plans the read again, so a get racing a put sees the old
 * value or the new one. Not thread-safe: one caller owns a plan until it is finished.
 */
public final class DeviceRead {
    /** The memory a read lands in starts at a multiple of this (and the length is one). */
    public static final int ALIGNMENT = SlotStore.BLOCK_SIZE;
    /** {@link StoreRing#finishRead}'s answer for a key that left its slot while it was read: plan it again. */
    public static final long READ_AGAIN = -2;
    /** {@link StoreRing#finishRead}'s answer for a slot that failed its check: the key was dropped. */
    public static final long CORRUPT = -3;

    final byte[] key;
    final long position;
    final int valueLength;
    final int dataCrc;
    /** The DRAM tier's token, taken before the lookup (a write of the key after it refuses the value). */
    final long token;
    private final int fd;
    private final long offset;
    private final int length;
    /** Why the slot was rejected, once {@link StoreRing#finishRead} said {@link StoreRing#CORRUPT}. */
    String corrupt;

    DeviceRead(byte[] key, long position, int valueLength, int dataCrc, long token, int fd, long offset, int length) {
        this.key = key;
        this.position = position;
        this.valueLength = valueLength;
        this.dataCrc = dataCrc;
        this.token = token;
        this.fd = fd;
        this.offset = offset;
        this.length = length;
    }

    /** The descriptor to read (the store's file; valid while the store is open). */
    public int fd() {
        return fd;
    }

    /** Where in the file the read starts (a multiple of {@link #ALIGNMENT}). */
    public long offset() {
        return offset;
    }

    /** Bytes to read (a multiple of {@link #ALIGNMENT}). */
    public int length() {
        return length;
    }

    /** The value's length, once the read checks out. */
    public int valueLength() {
        return valueLength;
    }

    /** The key this read is for. */
    public byte[] key() {
        return key;
    }

    /** Why the slot was rejected (the key was dropped), after {@link StoreRing#CORRUPT}; else null. */
    public String corrupt() {
        return corrupt;
    }
}
