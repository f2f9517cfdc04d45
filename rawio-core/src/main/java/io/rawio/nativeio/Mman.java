package io.rawio.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * mmap(2), munmap, madvise, mincore and msync. A mapping is returned as a {@link MemorySegment}
 * whose lifetime is an {@link Arena}: closing the arena unmaps it, so no access after munmap can
 * reach freed pages.
 */
public final class Mman {
    private static final long PAGE = LinuxConstants.DEFAULT_ALIGNMENT;

    private Mman() {
    }

    /**
     * Maps {@code length} bytes of a file (or anonymous memory when {@code file} is null) and ties the
     * mapping to {@code arena}: it is unmapped when the arena closes.
     */
    public static MemorySegment map(Arena arena, NativeFile file, long offset, long length, int prot, int flags)
            throws NativeIoException {
        int fd = file == null ? -1 : file.fd();
        long addr = Libc.mmap(0, length, prot, file == null ? flags | LinuxConstants.MAP_ANONYMOUS : flags, fd, offset);
        if (addr < 0 && addr > -4096) {
            String hint = -addr == Errno.ENOMEM ? "out of address space or vm.max_map_count reached" : null;
            throw new NativeIoException("mmap", (int) -addr, file == null ? "anonymous" : file.path().toString(),
                    fd, offset, length, hint);
        }
        return MemorySegment.ofAddress(addr).reinterpret(length, arena, s -> Libc.munmap(s.address(), length));
    }

    /**
     * madvise(2) with an {@code MADV_*} advice. The range is widened to whole pages first, since
     * madvise fails with EINVAL on an address that is not page aligned.
     */
    public static void madvise(MemorySegment segment, int advice) throws NativeIoException {
        long start = segment.address() & -PAGE;
        long end = segment.address() + segment.byteSize();
        int r = Libc.madvise(start, end - start, advice);
        if (r < 0) {
            String hint = -r == Errno.EINVAL && advice == LinuxConstants.MADV_HUGEPAGE
                    ? "transparent huge pages are disabled (see /sys/kernel/mm/transparent_hugepage/enabled)"
                    : null;
            throw new NativeIoException("madvise", -r, null, -1, start, end - start, hint);
        }
    }

    /** msync(2) with {@code MS_SYNC} or {@code MS_ASYNC}. */
    public static void msync(MemorySegment segment, int flags) throws NativeIoException {
        long start = segment.address() & -PAGE;
        long end = segment.address() + segment.byteSize();
        int r = Libc.msync(start, end - start, flags);
        if (r < 0) {
            throw new NativeIoException("msync", -r, null, -1, start, end - start, null);
        }
    }

    /** mincore(2): how many pages of the segment are resident in memory. */
    public static long residentPages(MemorySegment segment) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = mincore(arena, segment);
            long resident = 0;
            for (long i = 0; i < vec.byteSize(); i++) {
                resident += vec.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 1;
            }
            return resident;
        }
    }

    /**
     * mincore(2): which pages of the segment are resident in memory, bit {@code i} for the segment's
     * {@code i}th page (counted from the page its first byte is in); at most 2^31 - 1 pages.
     */
    public static java.util.BitSet residency(MemorySegment segment) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = mincore(arena, segment);
            java.util.BitSet resident = new java.util.BitSet(Math.toIntExact(vec.byteSize()));
            for (int i = 0; i < vec.byteSize(); i++) {
                if ((vec.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 1) != 0) {
                    resident.set(i);
                }
            }
            return resident;
        }
    }

    /** mincore(2)'s vector for the pages the segment touches, one byte a page, in {@code arena}. */
    private static MemorySegment mincore(Arena arena, MemorySegment segment) throws NativeIoException {
        long start = segment.address() & -PAGE;
        long end = segment.address() + segment.byteSize();
        long pages = (end - start + PAGE - 1) / PAGE;
        MemorySegment vec = arena.allocate(Math.max(1, pages));
        int r = Libc.mincore(start, end - start, vec);
        if (r < 0) {
            throw new NativeIoException("mincore", -r, null, -1, start, end - start, null);
        }
        return vec.asSlice(0, pages);
    }
}
