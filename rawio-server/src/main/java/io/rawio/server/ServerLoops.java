package io.rawio.server;

import io.rawio.nativeio.NativeIoException;
import io.rawio.store.SlotStore;
import java.util.List;
import java.util.Locale;

/**
 * The loops by name: {@code epoll} ({@link EpollServer}), {@code uring} ({@link UringServer}, the epoll
 * loop instead when io_uring is refused here, saying why) and {@code threads} ({@link ThreadsServer}).
 */
public final class ServerLoops {
    /** The names {@link #open} takes. */
    public static final List<String> NAMES = List.of("epoll", "uring", "threads");

    private ServerLoops() {
    }

    /**
     * A loop that listens, and how to call it in a ready line: {@code uring (multishot accept; ...)},
     * {@code epoll (io_uring refused: ...)}, {@code threads (at most N connections at once)}.
     */
    public record Opened(ServerLoop loop, String description) {
    }

    /**
     * Makes the loop {@code name} serve {@code store} with {@code options}; {@code threads} is the threads
     * loop's cap on connections served at once (0: maxclients), ignored by the others.
     *
     * @throws IllegalArgumentException for an unknown name
     * @throws NativeIoException when the address cannot be bound
     */
    public static Opened open(String name, SlotStore store, ServerOptions options, int threads)
            throws NativeIoException {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "epoll" -> new Opened(new EpollServer(store, options), "epoll");
            case "uring" -> {
                try {
                    UringServer u = new UringServer(store, options);
                    yield new Opened(u, "uring (" + u.describe() + ")");
                } catch (UringServer.Refused r) {
                    yield new Opened(new EpollServer(store, options), "epoll (io_uring refused: " + r.getMessage() + ")");
                }
            }
            case "threads" -> {
                ThreadsServer t = new ThreadsServer(store, options, threads);
                yield new Opened(t, "threads (at most " + t.maxThreads() + " connections at once)");
            }
            default -> throw new IllegalArgumentException("no loop '" + name + "': the loops are " + String.join(", ", NAMES));
        };
    }
}
