package io.rawio.server;

import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * A test's server: a new store (psync, classes up to {@code maxValue}) and an epoll loop on loopback,
 * port chosen by the kernel, running on its own thread until closed.
 */
final class RunningServer implements AutoCloseable {
    final SlotStore store;
    final EpollServer server;
    private final Thread loop;

    RunningServer(Path dir, long storeBytes, long maxValue) throws Exception {
        this(dir, storeBytes, maxValue, o -> o);
    }

    /** The same with the loopback options changed by {@code tune} (a password, say). */
    RunningServer(Path dir, long storeBytes, long maxValue, UnaryOperator<ServerOptions> tune) throws Exception {
        this(dir, storeBytes, SlotClasses.forMaxValue(maxValue), 2 * maxValue, tune);
    }

    /**
     * A store of these slot classes (each class is a ring: a test that writes more keys than its class
     * has slots sees the oldest evicted), bulk strings up to {@code maxBulk}.
     */
    RunningServer(Path dir, long storeBytes, SlotClasses classes, long maxBulk, UnaryOperator<ServerOptions> tune)
            throws Exception {
        Path p = dir.resolve("s.store");
        StoreOptions o = StoreOptions.defaults().withEngine("psync");
        SlotStore.format(p, storeBytes, classes, false, o, SlotStore.Preallocation.FALLOCATE,
                SlotStore.FormatProgress.NONE);
        store = SlotStore.open(p, o);
        server = new EpollServer(store, tune.apply(ServerOptions.loopback(0, maxBulk)));
        loop = Thread.ofPlatform().name("test-loop").start(server::run);
    }

    @Override
    public void close() throws Exception {
        server.stop();
        loop.join(10_000);
        server.close();
        store.close();
    }
}
