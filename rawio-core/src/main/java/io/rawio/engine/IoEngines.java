package io.rawio.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The engines by name: how the CLI, the bench and the store create them without knowing their classes.
 */
public final class IoEngines {
    /** One engine kind: how to create it and, when it cannot run here, why. */
    public record Kind(String name, String description, Function<EngineConfig, IoEngine> factory,
            Supplier<Optional<String>> unavailableReason, String fallback) {
    }

    /** The name asyncchannel had before libaio existed; refused, with a hint, wherever an engine is named. */
    private static final String RENAMED_AIO = "aio";

    private static final Map<String, Kind> KINDS = new LinkedHashMap<>();

    static {
        register(new Kind("psync", "pread/pwrite, one call per operation", c -> new PsyncEngine(),
                Optional::empty, null));
        register(new Kind("pvsync", "preadv/pwritev, adjacent operations coalesced", c -> new PvsyncEngine(),
                Optional::empty, null));
        register(new Kind("filechannel", "java.nio FileChannel positional read/write (the JDK baseline)",
                c -> new FileChannelEngine(), Optional::empty, null));
        register(new Kind("asyncchannel", "java.nio AsynchronousFileChannel, every operation of a batch in flight",
                c -> new AsyncChannelEngine(c), Optional::empty, null));
        register(new Kind("mmap", "copies to/from a MAP_SHARED mapping (no O_DIRECT)", c -> new MmapEngine(),
                Optional::empty, null));
        register(new Kind("uring", "io_uring: a batch is N SQEs and one io_uring_enter",
                c -> new UringEngine(false, c), UringEngine::unavailableReason, "psync"));
        register(new Kind("uring-fixed", "io_uring with registered buffers (READ_FIXED/WRITE_FIXED) and files",
                c -> new UringEngine(true, c), UringEngine::unavailableReason, "uring"));
        register(new Kind("uring-cmd",
                "NVMe passthrough: io_uring URING_CMD to a generic device /dev/ngXnY (NVMe Read/Write/Flush, no block layer)",
                c -> new UringCmdEngine(c), UringCmdEngine::unavailableReason, null));
        register(new Kind("libaio", "native AIO (io_submit/io_getevents by raw syscalls); asynchronous under O_DIRECT",
                c -> new LibaioEngine(c), LibaioEngine::unavailableReason, "psync"));
        register(new Kind("posixaio",
                "glibc POSIX AIO (aio_read/aio_write/aio_suspend): helper threads, one file's requests in turn",
                c -> new PosixAioEngine(c), PosixAioEngine::unavailableReason, "psync"));
    }

    private IoEngines() {
    }

    /** Adds an engine kind; later issues' engines (io_uring) register here. */
    public static synchronized void register(Kind kind) {
        KINDS.put(kind.name(), kind);
    }

    /** Every known engine name, in the order the CLI lists them. */
    public static synchronized List<String> names() {
        return new ArrayList<>(KINDS.keySet());
    }

    public static synchronized Optional<Kind> kind(String name) {
        return Optional.ofNullable(KINDS.get(name));
    }

    /** Why an engine cannot run on this machine, or empty when it can. */
    public static Optional<String> unavailableReason(String name) {
        return kindOrThrow(name).unavailableReason().get();
    }

    private static Kind kindOrThrow(String name) {
        return kind(name).orElseThrow(() -> new IllegalArgumentException(unknownEngineMessage(name)));
    }

    /**
     * The one line every place that takes an engine name reports for a name it does not know. The old
     * name {@code aio} (java.nio's AsynchronousFileChannel until it was renamed) says what it became, since
     * it reads as Linux native AIO, which is {@code libaio}.
     */
    public static String unknownEngineMessage(String name) {
        if (RENAMED_AIO.equals(name)) {
            return "unknown engine: aio (renamed: asyncchannel is java.nio's AsynchronousFileChannel;"
                    + " libaio is Linux native AIO)";
        }
        return "unknown engine: " + name + " (known: " + String.join(", ", names()) + ")";
    }

    public static IoEngine create(String name) {
        return create(name, EngineConfig.DEFAULT);
    }

    /**
     * Creates an engine.
     *
     * @throws IllegalArgumentException for an unknown name
     * @throws UnsupportedOperationException when the engine cannot run here, with the reason
     */
    public static IoEngine create(String name, EngineConfig config) {
        Kind kind = kindOrThrow(name);
        Optional<String> reason = kind.unavailableReason().get();
        if (reason.isPresent()) {
            throw new UnsupportedOperationException("engine " + name + " is unavailable: " + reason.get());
        }
        return kind.factory().apply(config);
    }

    /**
     * Creates an engine, or the nearest one that runs here (uring-fixed, then uring, then psync; libaio,
     * then psync), telling {@code notice} what was replaced and why.
     */
    public static IoEngine createWithFallback(String name, EngineConfig config, Consumer<String> notice) {
        Kind kind = kindOrThrow(name);
        while (true) {
            Optional<String> reason = kind.unavailableReason().get();
            if (reason.isEmpty()) {
                return kind.factory().apply(config);
            }
            if (kind.fallback() == null) {
                throw new UnsupportedOperationException("engine " + kind.name() + " is unavailable: " + reason.get());
            }
            notice.accept("engine " + kind.name() + " is unavailable (" + reason.get() + "); using "
                    + kind.fallback());
            kind = kindOrThrow(kind.fallback());
        }
    }
}
