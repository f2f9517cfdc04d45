package io.rawio.libaio;

import io.rawio.nativeio.ArchConstants;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.NativeIoException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One kernel AIO context (aio_context_t) over raw system calls, no libaio.so: io_setup, io_submit,
 * io_getevents, io_destroy (io_submit(2), io_getevents(2)).
 *
 * <p>Not thread-safe: completions are not tied to the thread that submitted them, so a context shared
 * by two threads would hand one thread's completions to the other. One thread submits and reaps.
 */
public final class AioContext implements AutoCloseable {
    private final long ctx;
    private final int maxEvents;
    private boolean closed;

    private AioContext(long ctx, int maxEvents) {
        this.ctx = ctx;
        this.maxEvents = maxEvents;
    }

    /**
     * io_setup for {@code maxEvents} requests in flight.
     *
     * @throws NativeIoException when the kernel refuses (EAGAIN: fs.aio-max-nr exhausted, ENOSYS …)
     */
    public static AioContext create(int maxEvents) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            // io_setup(2): *ctxp must be zero on entry.
            MemorySegment ctxp = arena.allocate(ValueLayout.JAVA_LONG);
            ctxp.set(ValueLayout.JAVA_LONG, 0, 0L);
            long r = Libc.syscall(ArchConstants.current().sysIoSetup(), maxEvents, ctxp.address(), 0, 0, 0, 0);
            if (r < 0) {
                throw new NativeIoException("io_setup", (int) -r, null, -1, NativeIoException.UNKNOWN, maxEvents,
                        setupHint((int) -r));
            }
            return new AioContext(ctxp.get(ValueLayout.JAVA_LONG, 0), maxEvents);
        }
    }

    static String setupHint(int errno) {
        return switch (errno) {
            case Errno.EAGAIN -> "the system-wide limit of AIO requests is reached: fs.aio-nr=" + readSysctl("aio-nr")
                    + ", fs.aio-max-nr=" + readSysctl("aio-max-nr") + " (raise it with sysctl fs.aio-max-nr)";
            case Errno.ENOSYS -> "this kernel has no native AIO (CONFIG_AIO off)";
            case Errno.EPERM -> "native AIO is blocked, likely by a seccomp filter";
            default -> null;
        };
    }

    private static String readSysctl(String name) {
        try {
            return Files.readString(Path.of("/proc/sys/fs", name)).trim();
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /** Requests in flight at most, as given to io_setup. */
    public int maxEvents() {
        return maxEvents;
    }

    /**
     * io_submit of {@code nr} iocbs whose addresses are in {@code iocbpp}: how many the kernel took (a
     * prefix, possibly fewer than {@code nr}), or -errno when it took none (the first iocb's error).
     */
    public long submit(long nr, MemorySegment iocbpp) {
        checkOpen();
        return Libc.syscall(ArchConstants.current().sysIoSubmit(), ctx, nr, iocbpp.address(), 0, 0, 0);
    }

    /**
     * io_getevents without a timeout: waits for at least {@code minNr} completions and copies up to
     * {@code nr} into {@code events} (struct io_event each). Returns how many, or -errno (-EINTR).
     */
    public long getevents(long minNr, long nr, MemorySegment events) {
        checkOpen();
        return Libc.syscall(ArchConstants.current().sysIoGetevents(), ctx, minNr, nr, events.address(), 0, 0);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("AIO context is closed");
        }
    }

    /**
     * io_cancel: asks the kernel to cancel one submitted iocb; on success its io_event is written to
     * {@code result}. Returns 0, or -errno: -EINVAL when the iocb is not in flight in this context, and
     * for most files -EINVAL or -EAGAIN anyway (only a few drivers can cancel; file reads and writes run
     * to completion), so callers treat it as best effort.
     */
    public long cancel(MemorySegment iocb, MemorySegment result) {
        checkOpen();
        return Libc.syscall(ArchConstants.current().sysIoCancel(), ctx, iocb.address(), result.address(), 0, 0, 0);
    }

    /** io_destroy: waits for (or cancels) the requests in flight and releases the context. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Libc.syscall(ArchConstants.current().sysIoDestroy(), ctx, 0, 0, 0, 0, 0);
    }

    // ------------------------------------------------------------------ availability, probed once

    private static final Optional<String> UNAVAILABLE = probeAvailability();

    private static Optional<String> probeAvailability() {
        if (!ArchConstants.supported()) {
            return Optional.of("unsupported architecture: " + System.getProperty("os.arch"));
        }
        try (AioContext c = create(1)) {
            return Optional.empty();
        } catch (NativeIoException e) {
            return Optional.of(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(String.valueOf(e.getMessage()));
        }
    }

    /** Whether native AIO can be used here (one io_setup succeeded at start-up). */
    public static boolean available() {
        return UNAVAILABLE.isEmpty();
    }

    /** Why native AIO cannot be used here, or empty. */
    public static Optional<String> unavailableReason() {
        return UNAVAILABLE;
    }
}
