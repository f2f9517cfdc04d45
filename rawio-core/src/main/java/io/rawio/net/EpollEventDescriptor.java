package io.rawio.net;

import io.rawio.nativeio.ArchConstants;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * struct epoll_event, whose layout depends on the architecture: x86-64 declares it packed
 * (arch/x86/include/uapi/asm/... via __EPOLL_PACKED), so the 64-bit data follows the events word
 * directly; elsewhere (aarch64) data is 8-byte aligned.
 *
 * <pre>
 * x86-64 (12 bytes):   0 events u32 | 4 data u64
 * aarch64 (16 bytes):  0 events u32 | 4 pad | 8 data u64
 * </pre>
 */
public final class EpollEventDescriptor {
    private EpollEventDescriptor() {
    }

    private static final boolean PACKED = ArchConstants.current().arch().equals("x86_64");
    /** Bytes of one struct epoll_event on this architecture. */
    public static final int SIZE = PACKED ? 12 : 16;
    public static final long EVENTS_OFFSET = 0;
    public static final long DATA_OFFSET = PACKED ? 4 : 8;

    private static final ValueLayout.OfLong DATA = ValueLayout.JAVA_LONG_UNALIGNED;

    /** Fills event {@code i} of an array of them. */
    public static void set(MemorySegment events, int i, int mask, long data) {
        long at = (long) i * SIZE;
        events.set(ValueLayout.JAVA_INT_UNALIGNED, at + EVENTS_OFFSET, mask);
        events.set(DATA, at + DATA_OFFSET, data);
    }

    public static int events(MemorySegment events, int i) {
        return events.get(ValueLayout.JAVA_INT_UNALIGNED, (long) i * SIZE + EVENTS_OFFSET);
    }

    public static long data(MemorySegment events, int i) {
        return events.get(DATA, (long) i * SIZE + DATA_OFFSET);
    }
}
