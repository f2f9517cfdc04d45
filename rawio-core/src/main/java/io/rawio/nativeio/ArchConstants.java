package io.rawio.nativeio;

import java.util.Locale;

/**
 * Linux constants whose values depend on the CPU architecture, one table per architecture.
 *
 * <p>Most of the Linux ABI is shared by x86-64 and aarch64 (asm-generic), but the open(2) flags
 * below are not: x86-64 keeps the historic i386 values in {@code arch/x86/include/uapi/asm/fcntl.h}
 * while arm64 overrides them in {@code arch/arm64/include/uapi/asm/fcntl.h}. Call sites take these
 * values from {@link #current()} and never spell them as literals.
 *
 * @param arch         the architecture name as rawio reports it ({@code x86_64}, {@code aarch64})
 * @param oDirect      {@code O_DIRECT}
 * @param oDirectory   {@code O_DIRECTORY}
 * @param oNofollow    {@code O_NOFOLLOW}
 * @param oLargefile   {@code O_LARGEFILE}
 * @param sysIoUringSetup    syscall number of io_uring_setup (unified table, 425 on both)
 * @param sysIoUringEnter    syscall number of io_uring_enter
 * @param sysIoUringRegister syscall number of io_uring_register
 * @param sysIoSetup     syscall number of io_setup (native AIO; x86-64 keeps its own numbers, arm64
 *                       the asm-generic ones)
 * @param sysIoDestroy   syscall number of io_destroy
 * @param sysIoSubmit    syscall number of io_submit
 * @param sysIoGetevents syscall number of io_getevents
 * @param sysIoCancel    syscall number of io_cancel
 * @param sysGetMempolicy syscall number of get_mempolicy (239 on x86-64, 236 in asm-generic)
 * @param blkGetSize64 {@code BLKGETSIZE64} = _IOR(0x12, 114, size_t)
 * @param blkSszGet    {@code BLKSSZGET} = _IO(0x12, 104)
 * @param blkPbszGet   {@code BLKPBSZGET} = _IO(0x12, 123)
 */
public record ArchConstants(
        String arch,
        int oDirect,
        int oDirectory,
        int oNofollow,
        int oLargefile,
        long sysIoUringSetup,
        long sysIoUringEnter,
        long sysIoUringRegister,
        long sysIoSetup,
        long sysIoDestroy,
        long sysIoSubmit,
        long sysIoGetevents,
        long sysIoCancel,
        long sysGetMempolicy,
        long blkGetSize64,
        long blkSszGet,
        long blkPbszGet) {

    /** x86-64: arch/x86/include/uapi/asm/fcntl.h, arch/x86/entry/syscalls/syscall_64.tbl. */
    public static final ArchConstants X86_64 = new ArchConstants(
            "x86_64", 0x4000, 0x10000, 0x20000, 0x8000, 425, 426, 427, 206, 207, 209, 208, 210, 239, 0x80081272L, 0x1268, 0x127b);

    /** aarch64: arch/arm64/include/uapi/asm/fcntl.h, include/uapi/asm-generic/unistd.h. */
    public static final ArchConstants AARCH64 = new ArchConstants(
            "aarch64", 0x10000, 0x4000, 0x8000, 0x20000, 425, 426, 427, 0, 1, 2, 4, 3, 236, 0x80081272L, 0x1268, 0x127b);

    private static final ArchConstants CURRENT = forName(System.getProperty("os.arch", ""));

    /**
     * The table of the running JVM's architecture.
     *
     * @throws UnsupportedOperationException on an architecture rawio has no table for
     */
    public static ArchConstants current() {
        if (CURRENT == null) {
            throw new UnsupportedOperationException(unsupportedReason());
        }
        return CURRENT;
    }

    /** Whether rawio has a constant table for this architecture. */
    public static boolean supported() {
        return CURRENT != null;
    }

    static String unsupportedReason() {
        return "unsupported architecture: os.arch=" + System.getProperty("os.arch")
                + " (rawio supports x86_64 and aarch64)";
    }

    /** The table for an {@code os.arch} value, or null when there is none. */
    public static ArchConstants forName(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            default -> null;
        };
    }
}
