package io.rawio.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * uname(2). struct utsname (include/uapi/linux/utsname.h, new_utsname): six fields of 65 bytes:
 * sysname 0, nodename 65, release 130, version 195, machine 260, domainname 325.
 */
public record Uname(String sysname, String release, String version, String machine) {
    static final int FIELD = 65;

    public static Uname get() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(FIELD * 6L);
            int r = Libc.uname(b);
            if (r < 0) {
                throw new IllegalStateException("uname failed: " + Errno.name(-r));
            }
            return new Uname(b.getString(0), b.getString(2L * FIELD), b.getString(3L * FIELD),
                    b.getString(4L * FIELD));
        }
    }

    /** The kernel's major and minor version, {@code {6, 8}} for "6.8.0-45-generic". */
    public int[] kernelVersion() {
        String[] parts = release.split("[.-]");
        int major = parts.length > 0 ? parseOrZero(parts[0]) : 0;
        int minor = parts.length > 1 ? parseOrZero(parts[1]) : 0;
        return new int[] {major, minor};
    }

    private static int parseOrZero(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
