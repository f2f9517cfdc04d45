package io.rawio.memory;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.Mman;
import io.rawio.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Aligned off-heap memory that is NOT zeroed on allocation ({@link Arena#allocate} zeroes every
 * byte, which for a 1 GiB I/O buffer is a second pass over memory the first read overwrites anyway).
 *
 * <p>Small blocks come from posix_memalign(3) and are freed with free(3); blocks of
 * {@link #MMAP_THRESHOLD} bytes or more are anonymous mmap(2) mappings, page aligned by
 * construction, whose pages the kernel supplies on first touch. Either way the memory is released
 * when the arena it is tied to closes.
 */
public final class AlignedMemory {
    /** Blocks at least this large are mapped rather than malloc'ed. */
    public static final long MMAP_THRESHOLD = 1L << 20;
    /** The size of a transparent huge page on x86-64 and on arm64 with 4 KiB pages. */
    public static final long HUGE_PAGE_SIZE = 2L << 20;

    private AlignedMemory() {
    }

    /**
     * {@code size} bytes aligned to {@code alignment} (a power of two), freed when {@code arena} closes.
     *
     * @throws IllegalArgumentException when size is not positive or alignment not a power of two
     * @throws OutOfMemoryError         when the C library or the kernel has no memory
     */
    public static MemorySegment allocate(Arena arena, long size, long alignment) {
        checkArgs(size, alignment);
        if (size >= MMAP_THRESHOLD && alignment <= LinuxConstants.DEFAULT_ALIGNMENT) {
            return mapAnonymous(arena, size, false);
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment memptr = tmp.allocate(JAVA_LONG);
            // posix_memalign needs at least sizeof(void *).
            int r = Libc.posixMemalign(memptr, Math.max(alignment, 8), size);
            if (r < 0) {
                throw new OutOfMemoryError("posix_memalign failed: " + Errno.name(-r) + " size=" + size
                        + " alignment=" + alignment);
            }
            long address = memptr.get(JAVA_LONG, 0);
            return MemorySegment.ofAddress(address).reinterpret(size, arena, s -> Libc.free(s.address()));
        }
    }

    /**
     * An anonymous private mapping of {@code size} bytes (rounded up to whole pages). With
     * {@code hugePages} the mapping is aligned to 2 MiB and advised MADV_HUGEPAGE so that transparent
     * huge pages can back it; where THP is disabled the advice fails and the memory stays in 4 KiB
     * pages (see {@link #hugePagesAvailable()}).
     */
    public static MemorySegment mapAnonymous(Arena arena, long size, boolean hugePages) {
        long page = LinuxConstants.DEFAULT_ALIGNMENT;
        long length = (size + page - 1) & -page;
        int prot = LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE;
        int flags = LinuxConstants.MAP_PRIVATE | LinuxConstants.MAP_ANONYMOUS;
        if (!hugePages) {
            long addr = Libc.mmap(0, length, prot, flags, -1, 0);
            checkMapped(addr, length);
            return MemorySegment.ofAddress(addr).reinterpret(size, arena, s -> Libc.munmap(addr, length));
        }
        // Over-map by one huge page, then unmap the unaligned head and tail.
        long span = length + HUGE_PAGE_SIZE;
        long raw = Libc.mmap(0, span, prot, flags, -1, 0);
        checkMapped(raw, span);
        long aligned = (raw + HUGE_PAGE_SIZE - 1) & -HUGE_PAGE_SIZE;
        if (aligned > raw) {
            Libc.munmap(raw, aligned - raw);
        }
        long tail = raw + span - (aligned + length);
        if (tail > 0) {
            Libc.munmap(aligned + length, tail);
        }
        MemorySegment seg = MemorySegment.ofAddress(aligned)
                .reinterpret(size, arena, s -> Libc.munmap(aligned, length));
        try {
            Mman.madvise(seg, LinuxConstants.MADV_HUGEPAGE);
        } catch (NativeIoException e) {
            // THP is off or not built in: the buffer still works in small pages.
        }
        return seg;
    }

    private static void checkMapped(long addr, long length) {
        if (addr < 0 && addr > -4096) {
            throw new OutOfMemoryError("mmap of anonymous memory failed: " + Errno.name((int) -addr)
                    + " length=" + length);
        }
    }

    private static void checkArgs(long size, long alignment) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: size=" + size);
        }
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: alignment=" + alignment);
        }
    }

    /** Whether transparent huge pages can be requested with MADV_HUGEPAGE, and if not, why. */
    public static String hugePagesStatus() {
        try {
            String mode = java.nio.file.Files.readString(
                    java.nio.file.Path.of("/sys/kernel/mm/transparent_hugepage/enabled")).trim();
            // The active mode is the bracketed one: "always [madvise] never".
            if (mode.contains("[never]")) {
                return "unavailable: transparent huge pages are disabled (" + mode + ")";
            }
            return "available: " + mode;
        } catch (java.io.IOException e) {
            return "unavailable: /sys/kernel/mm/transparent_hugepage/enabled is missing (kernel without THP)";
        }
    }

    public static boolean hugePagesAvailable() {
        return hugePagesStatus().startsWith("available");
    }
}
