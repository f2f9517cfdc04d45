package io.rawio.nativeio;

import java.util.Locale;
import java.util.Set;

/** open(2) flags, mapped to their values for the running architecture. */
public enum OpenFlag {
    RDONLY, WRONLY, RDWR, CREAT, EXCL, TRUNC, APPEND, DIRECT, SYNC, DSYNC, NOATIME, CLOEXEC, DIRECTORY, NOFOLLOW;

    /** This flag's bits on the running architecture. */
    public int bits() {
        ArchConstants a = ArchConstants.current();
        return switch (this) {
            case RDONLY -> LinuxConstants.O_RDONLY;
            case WRONLY -> LinuxConstants.O_WRONLY;
            case RDWR -> LinuxConstants.O_RDWR;
            case CREAT -> LinuxConstants.O_CREAT;
            case EXCL -> LinuxConstants.O_EXCL;
            case TRUNC -> LinuxConstants.O_TRUNC;
            case APPEND -> LinuxConstants.O_APPEND;
            case DIRECT -> a.oDirect();
            case SYNC -> LinuxConstants.O_SYNC;
            case DSYNC -> LinuxConstants.O_DSYNC;
            case NOATIME -> LinuxConstants.O_NOATIME;
            case CLOEXEC -> LinuxConstants.O_CLOEXEC;
            case DIRECTORY -> a.oDirectory();
            case NOFOLLOW -> a.oNofollow();
        };
    }

    /** The kernel's name, {@code O_DIRECT}. */
    public String kernelName() {
        return "O_" + name();
    }

    /** The flags word for a set of flags. */
    public static int bits(Set<OpenFlag> flags) {
        int bits = 0;
        for (OpenFlag f : flags) {
            bits |= f.bits();
        }
        return bits;
    }

    /** Parses {@code direct}, {@code O_DIRECT} or {@code DIRECT}. */
    public static OpenFlag parse(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.startsWith("O_")) {
            t = t.substring(2);
        }
        try {
            return valueOf(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown open flag: " + text);
        }
    }
}
