package io.rawio.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * struct iovec from include/uapi/linux/uio.h.
 *
 * <pre>
 *   0               8               16
 *   +---------------+---------------+
 *   |   iov_base    |    iov_len    |
 *   +---------------+---------------+
 * </pre>
 */
public final class Iovec {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("iov_base"), JAVA_LONG.withName("iov_len"));
    public static final long BASE_OFFSET = 0;
    public static final long LEN_OFFSET = 8;
    public static final long SIZE = 16;
    /** IOV_MAX on Linux (include/uapi/linux/uio.h UIO_MAXIOV). */
    public static final int IOV_MAX = 1024;

    private Iovec() {
    }

    /** Writes entry {@code index} of an iovec array. */
    public static void set(MemorySegment array, int index, MemorySegment buffer, long length) {
        long base = index * SIZE;
        array.set(JAVA_LONG, base + BASE_OFFSET, buffer.address());
        array.set(JAVA_LONG, base + LEN_OFFSET, length);
    }

    public static void set(MemorySegment array, int index, long address, long length) {
        long base = index * SIZE;
        array.set(JAVA_LONG, base + BASE_OFFSET, address);
        array.set(JAVA_LONG, base + LEN_OFFSET, length);
    }
}
