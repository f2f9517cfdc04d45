package io.rawio.cli;

import io.rawio.cli.store.StoreCommand;
import io.rawio.server.EpollServer;
import io.rawio.server.ServerOptions;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rawio serve}: a store behind the Redis protocol, on rawio's epoll event loop. */
@Command(name = "serve", description = {"Serve a store over the Redis protocol (RESP), for redis-cli and Redis clients.",
    "One epoll event loop. Commands so far: GET, SET (EX, PX, EXAT, PXAT, NX, XX), SETEX, PSETEX, SETNX, GETDEL,"
            + " GETEX, STRLEN, MGET, MSET, MSETNX, RANDOMKEY, DEL, UNLINK, EXISTS, TYPE, TTL, PTTL, EXPIRE, PEXPIRE, PERSIST, DBSIZE, PING, ECHO,"
            + " SCAN (MATCH, COUNT, TYPE), KEYS, QUIT, SELECT 0, HELLO 2|3, COMMAND, CLIENT SETINFO/SETNAME/GETNAME, INFO,"
            + " TIME, SHUTDOWN, AUTH."
            + " Listens on loopback unless --requirepass is given. SIGTERM, SIGINT or SHUTDOWN stop it:"
            + " connections close, the store writes a checkpoint and closes."})
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PATH", description = "A formatted store (rawio store format)")
    Path path;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "6379",
            description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to listen on; another than loopback only with --requirepass (default: ${DEFAULT-VALUE})")
    String bind;

    @Option(names = "--requirepass", paramLabel = "SECRET",
            description = "Clients must AUTH with SECRET before any other command (compared in constant time)")
    String requirepass;

    @Option(names = "--maxclients", paramLabel = "N", defaultValue = "10000",
            description = "Connections at once; one more is told so and closed (default: ${DEFAULT-VALUE})")
    int maxClients;

    @Option(names = "--max-bulk", paramLabel = "SIZE", defaultValue = "512m",
            description = "Largest bulk string a request may carry; a longer one is a protocol error before any"
                    + " memory is reserved for it (default: ${DEFAULT-VALUE}; a value must also fit the store's"
                    + " largest slot class)")
    String maxBulk;

    @Option(names = "--durability", paramLabel = "MODE", defaultValue = "none",
            description = "none, or durable: +OK only once the write is on the device (default: ${DEFAULT-VALUE})")
    String durability;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64",
            description = "Store reads and writes in flight at once (default: ${DEFAULT-VALUE})")
    int batch;

    @Mixin
    StoreCommand.Common common;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ServerOptions options;
        io.rawio.store.StoreOptions storeOptions;
        try {
            if (port < 0 || port > 65535) {
                throw new StoreCommand.BadArgument("--port must be 0 to 65535: " + port);
            }
            InetAddress addr = InetAddress.getByName(bind);
            if (requirepass != null && requirepass.isEmpty()) {
                throw new StoreCommand.BadArgument("--requirepass must not be empty");
            }
            if (!addr.isLoopbackAddress() && requirepass == null) {
                throw new StoreCommand.BadArgument("--bind=" + bind + " is not a loopback address: serving other"
                        + " hosts needs --requirepass (protected mode)");
            }
            if (maxClients < 1) {
                throw new StoreCommand.BadArgument("--maxclients must be positive: " + maxClients);
            }
            long bulk = StoreCommand.parseSize("--max-bulk", maxBulk);
            long cap = Integer.MAX_VALUE - 8L;
            if (bulk < 1 || bulk > cap - 64 * 1024) {
                throw new StoreCommand.BadArgument("--max-bulk must be from 1 byte to under 2g: " + maxBulk);
            }
            options = new ServerOptions(new InetSocketAddress(addr, port), maxClients, bulk,
                    Math.min(cap, Math.max(bulk + 64 * 1024, 1L << 30)))
                    .withPassword(requirepass == null ? null : requirepass.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (batch < 1 || batch > 4096) {
                throw new StoreCommand.BadArgument("--batch must be 1 to 4096: " + batch);
            }
            storeOptions = common.options().withDurability(StoreCommand.durability(durability)).withBatchSize(batch);
        } catch (StoreCommand.BadArgument | IllegalArgumentException | UnknownHostException e) {
            err.println("rawio serve: " + e.getMessage());
            return 2;
        }
        SlotStore store;
        try {
            store = SlotStore.open(path, storeOptions);
        } catch (NoSuchFileException e) {
            err.println("rawio serve: no such file: " + e.getFile() + " (make one with rawio store format)");
            return 2;
        } catch (StoreException.NotAStore e) {
            err.println("rawio serve: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("rawio serve: " + e.getMessage());
            return 1;
        }
        EpollServer server;
        try {
            server = new EpollServer(store, options);
        } catch (IOException | RuntimeException e) {
            err.println("rawio serve: cannot listen on " + options.bind() + ": " + e.getMessage());
            closeQuietly(store, err);
            return 1;
        }
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            server.stop();
            try {
                closed.await(60, TimeUnit.SECONDS); // the store's checkpoint and close, on the main thread
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rawio-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        InetSocketAddress at = server.address();
        out.println("rawio serve: ready on " + at.getAddress().getHostAddress() + ":" + at.getPort() + " (loop epoll, store "
                + path + ", " + store.classStats().size() + " slot class" + (store.classStats().size() == 1 ? "" : "es")
                + ", engine " + store.engineName() + ")");
        out.flush();
        int status = 0;
        try {
            server.run();
        } catch (RuntimeException e) {
            err.println("rawio serve: the event loop failed: " + e.getMessage());
            status = 1;
        } finally {
            server.close();
            if (!closeQuietly(store, err)) {
                status = 1;
            }
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped us
            }
        }
        out.println("rawio serve: stopped; the store is closed");
        out.flush();
        return status;
    }

    private static boolean closeQuietly(SlotStore store, PrintWriter err) {
        try {
            store.close();
            return true;
        } catch (IOException | RuntimeException e) {
            err.println("rawio serve: closing the store: " + e.getMessage());
            return false;
        }
    }
}
