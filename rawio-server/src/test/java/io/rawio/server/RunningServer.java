package io.rawio.server;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.FormatProgress;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import io.rawio.uring.IoUring;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;

/**
 * A test's server: a new store (psync, classes up to {@code maxValue}) and a loop on loopback (epoll,
 * uring or threads), port chosen by the kernel, running on its own thread until closed. The server
 * tests run once per loop ({@link #loops()}, for {@code @ParameterizedClass}); {@code -Drawio.test.loops=uring}
 * picks some. The uring tests are skipped, saying why, where io_uring is refused.
 */
final class RunningServer implements AutoCloseable {
    final SlotStore store;
    final ServerLoop server;
    private final Thread loop;

    /** The loops the server tests run against: every one, or those -Drawio.test.loops names. */
    static List<String> loops() {
        String only = System.getProperty("rawio.test.loops", "");
        return only.isBlank() ? ServerLoops.NAMES : Arrays.stream(only.split(",")).map(String::strip).toList();
    }

    RunningServer(String kind, Path dir, long storeBytes, long maxValue) throws Exception {
        this(kind, dir, storeBytes, maxValue, o -> o);
    }

    /** The same with the loopback options changed by {@code tune} (a password, say). */
    RunningServer(String kind, Path dir, long storeBytes, long maxValue, UnaryOperator<ServerOptions> tune)
            throws Exception {
        this(kind, dir, storeBytes, SlotClasses.forMaxValue(maxValue), 2 * maxValue, tune);
    }

    /**
     * The store engine of the server tests: io_uring where the system has it, so that the io_uring loop
     * runs the store's batches on its own ring (the wave's SETs going on while written, their replies
     * held) and the other loops run them synchronously; psync elsewhere. {@code -Drawio.test.serverEngine}
     * picks another.
     */
    static String engine() {
        return System.getProperty("rawio.test.serverEngine",
                io.rawio.engine.UringEngine.unavailableReason().isEmpty() ? "uring" : "psync");
    }

    /**
     * A store of these slot classes (each class is a ring: a test that writes more keys than its class
     * has slots sees the oldest evicted), bulk strings up to {@code maxBulk}.
     */
    RunningServer(String kind, Path dir, long storeBytes, SlotClasses classes, long maxBulk,
            UnaryOperator<ServerOptions> tune) throws Exception {
        this(kind, dir, storeBytes, classes, maxBulk, tune, StoreOptions.defaults().withEngine(engine()));
    }

    /** The same on a store with options {@code o} (another engine, durability). */
    RunningServer(String kind, Path dir, long storeBytes, SlotClasses classes, long maxBulk,
            UnaryOperator<ServerOptions> tune, StoreOptions o) throws Exception {
        assumeLoop(kind);
        Path p = dir.resolve("s.store");
        SlotStore.format(p, storeBytes, classes, false, o, Preallocation.FALLOCATE,
                FormatProgress.NONE);
        store = SlotStore.open(p, o);
        try {
            server = open(kind, store, tune.apply(ServerOptions.loopback(0, maxBulk)));
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        loop = Thread.ofPlatform().name("test-loop-" + kind).start(server::run);
    }

    /** Loop {@code kind} on a store the caller opened (one over a fault-injecting engine, say); closes it. */
    RunningServer(String kind, SlotStore store, long maxBulk) throws Exception {
        assumeLoop(kind);
        this.store = store;
        try {
            server = open(kind, store, ServerOptions.loopback(0, maxBulk));
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        loop = Thread.ofPlatform().name("test-loop-" + kind).start(server::run);
    }

    /** Skips the test, with the reason, when the loop cannot run here (io_uring refused). */
    static void assumeLoop(String kind) {
        if (kind.equals("uring")) {
            assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
        }
    }

    /**
     * Loop {@code kind} on {@code store}; the uring loop itself (never the epoll loop it falls back to):
     * where io_uring is refused the test is skipped with the reason.
     */
    static ServerLoop open(String kind, SlotStore store, ServerOptions options) throws Exception {
        return switch (kind) {
            case "epoll" -> new EpollServer(store, options);
            case "uring" -> {
                try {
                    yield new UringServer(store, options);
                } catch (UringServer.Refused r) {
                    throw Assumptions.<RuntimeException>abort("io_uring refused: " + r.getMessage());
                }
            }
            case "threads" -> new ThreadsServer(store, options, 0);
            default -> throw new IllegalArgumentException("no loop " + kind);
        };
    }

    /** Waits up to {@code ms} for the loop's run() to return; whether it did. */
    boolean awaitEnd(long ms) throws InterruptedException {
        loop.join(ms);
        return !loop.isAlive();
    }

    @Override
    public void close() throws Exception {
        server.stop();
        loop.join(10_000);
        server.close();
        store.close();
    }
}
