package io.rawio.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The descriptor numbers of this process: move a descriptor above a number (fcntl F_DUPFD_CLOEXEC,
 * man 2 fcntl: the lowest free number at or above it), and count what is open (/proc/self/fd). The
 * kernel hands out the lowest free number, so where a descriptor lands matters to select(2), whose
 * sets end at FD_SETSIZE.
 */
public final class Descriptors {
    private Descriptors() {
    }

    /** fcntl(fd, cmd, int): the integer form, variadic after the command. */
    private static final MethodHandle FCNTL_INT = Libc.errnoCall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final Path FD_DIR = Path.of("/proc/self/fd");

    /** A duplicate of {@code fd} numbered {@code lowest} or more, close-on-exec; or -errno (-EMFILE, -EINVAL). */
    public static int dupAtLeast(int fd, int lowest) {
        MemorySegment c = Libc.captureState();
        try {
            int r = (int) FCNTL_INT.invokeExact(c, fd, LinuxConstants.F_DUPFD_CLOEXEC, lowest);
            return r < 0 ? -Libc.errno(c) : r;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Moves {@code fd} to a number {@code lowest} or more: the duplicate, with {@code fd} closed; or
     * -errno with {@code fd} left as it was.
     */
    public static int moveAtLeast(int fd, int lowest) {
        int d = dupAtLeast(fd, lowest);
        if (d >= 0) {
            Libc.close(fd);
        }
        return d;
    }

    /** Descriptors open in this process now, or -1 where /proc is not there. */
    public static int openCount() {
        return count(false);
    }

    /** Of them, sockets ("socket:[inode]" links), or -1 where /proc is not there. */
    public static int socketCount() {
        return count(true);
    }

    private static int count(boolean socketsOnly) {
        try (Stream<Path> s = Files.list(FD_DIR)) {
            return (int) s.filter(p -> !socketsOnly || isSocket(p)).count() - (socketsOnly ? 0 : 1);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static boolean isSocket(Path link) {
        try {
            return Files.readSymbolicLink(link).toString().startsWith("socket:");
        } catch (IOException e) {
            return false; // closed meanwhile
        }
    }
}
