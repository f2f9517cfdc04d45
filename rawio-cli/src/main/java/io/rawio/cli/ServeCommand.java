package io.rawio.cli;

import io.rawio.cli.store.StoreCommand;
import io.rawio.server.ServerLoop;
import io.rawio.server.ServerLoops;
import io.rawio.server.ServerOptions;
import io.rawio.store.Preallocation;
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

/** {@code rawio serve}: a store behind the Redis protocol, on an epoll or io_uring event loop or a thread per connection. */
@Command(name = "serve", description = {"Serve a store over the Redis protocol (RESP2, and RESP3 after HELLO 3) for redis-cli,"
        + " redis-benchmark and every Redis client.",
    "One event loop (--loop=uring, the default, or epoll): the requests read in one round, from every connection, run as store"
            + " batches (the SETs one putMany, one group commit when durable; the GETs one getMany, DRAM-tier hits"
            + " copied straight into the replies). --loop=threads: a thread per connection, each one's pipeline"
            + " run as store batches under one lock.",
    "Commands: GET, SET (EX, PX, EXAT, PXAT, NX, XX, KEEPTTL, GET), SETEX, PSETEX, SETNX, GETDEL, GETEX, STRLEN, MGET,"
            + " MSET, MSETNX, DEL, UNLINK, EXISTS, TYPE, TTL, PTTL, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST,"
            + " SCAN (MATCH, COUNT, TYPE), KEYS, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, PING, ECHO, QUIT, AUTH, HELLO,"
            + " SELECT 0, CLIENT, COMMAND, INFO, CONFIG GET, TIME, SHUTDOWN, and CLUSTER (one node owning all 16384"
            + " slots, so cluster clients connect).",
    "--cluster=FILE: one node of a static Redis Cluster that every node loads from the same FILE (lines of NAME"
            + " HOST:PORT SLOTS..., e.g. 'a 127.0.0.1:7001 0-5460'): CLUSTER SLOTS/SHARDS/NODES give the whole map,"
            + " a key of another node's slot gets -MOVED SLOT HOST:PORT, keys of several slots in one command"
            + " -CROSSSLOT. Check the nodes with 'rawio cluster check FILE'.",
    "Listens on loopback unless --requirepass is given. SIGTERM, SIGINT or SHUTDOWN stop it: connections close,"
            + " the store writes a checkpoint and closes."})
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

    @Option(names = "--unixsocket", paramLabel = "PATH",
            description = "Listen on a Unix domain socket at PATH instead of TCP (a socket file left there is"
                    + " replaced; removed at exit): redis-cli -s PATH, redis-py unix_socket_path, unix:// URLs")
    Path unixSocket;

    @Option(names = "--requirepass", paramLabel = "SECRET",
            description = "Clients must AUTH with SECRET before any other command (compared in constant time)")
    String requirepass;

    @Option(names = "--maxclients", paramLabel = "N", defaultValue = "10000",
            description = "Connections at once; one more is told so and closed (default: ${DEFAULT-VALUE})")
    int maxClients;

    @Option(names = "--max-bulk", paramLabel = "SIZE", defaultValue = "512m",
            description = "Largest bulk string a request may carry, at most the store's largest value (a value"
                    + " of the largest slot class); a longer one is a protocol error before any memory is reserved"
                    + " for it, and nothing is stored (default: ${DEFAULT-VALUE}, or the largest value if smaller)")
    String maxBulk;

    @Option(names = "--durability", paramLabel = "MODE", defaultValue = "none",
            description = "none, or durable: +OK only once the write is on the device (default: ${DEFAULT-VALUE})")
    String durability;

    @Option(names = "--loop", paramLabel = "KIND", defaultValue = "uring",
            description = "The loop: uring (one thread, every socket operation and the store's reads and writes"
                    + " through one io_uring ring; the epoll loop when io_uring is refused here, saying why in the"
                    + " ready line), epoll (one thread, epoll), threads (a thread per connection, blocking sockets,"
                    + " the store under one lock) (default: ${DEFAULT-VALUE}). The"
                    + " uring loop's features can be turned off with RAWIO_JAVA_OPTS=-Drawio.uring.multishotAccept=false,"
                    + " -Drawio.uring.multishotRecv=false, -Drawio.uring.bufferRing=false,"
                    + " -Drawio.uring.fixedBuffers=false (store reads into registered buffers, READ_FIXED),"
                    + " -Drawio.uring.fixedFiles=false (the store's file registered with the ring),"
                    + " -Drawio.uring.storeReads=false and -Drawio.uring.storeWrites=false (the store's reads and"
                    + " writes on the loop's ring), -Drawio.uring=false (the epoll loop instead);"
                    + " -Drawio.uring.sendZcThreshold=BYTES sends device replies of that size or more with"
                    + " SENDMSG_ZC (off by default: slower over loopback);"
                    + " -Drawio.uring.directRead=65536 reads the rest of values of 64k or more straight from the"
                    + " socket into the query buffer (less CPU, off by default);"
                    + " -Drawio.uring.landingRecv=65536 receives the rest of SET values of 64k or more by one RECV"
                    + " straight into the store's buffer (less CPU, fewer SETs a second; off by default)."
                    + " On every loop, a SET value of -Drawio.server.landAbove=BYTES or more (default 65536; 0: off)"
                    + " is received into a store buffer laid out as its slot and written from there, with no copy."
                    + " `rawio info` shows what this machine gives the loop.")
    String loop;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "With --loop=threads: connections served at once; more wait to be accepted (default:"
                    + " --maxclients)")
    int threads;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "0",
            description = "Close a connection that sends nothing for DURATION (30s, 5m, or ms); 0: never"
                    + " (default: ${DEFAULT-VALUE}, as Redis's timeout)")
    String idleTimeout;

    @Option(names = "--client-output-limit", paramLabel = "SIZE", defaultValue = "1g",
            description = "Close a client whose replies waiting to be read pass SIZE (default: ${DEFAULT-VALUE})")
    String outputLimit;

    @Option(names = "--create", description = "Format PATH first when it does not exist (with --size, and --max-value or"
            + " --classes, and --class-share, as store format takes them)")
    boolean create;

    @Option(names = "--size", paramLabel = "SIZE", description = "With --create: the store's size, e.g. 4g")
    String size;

    @Option(names = "--max-value", paramLabel = "SIZE",
            description = "With --create: the largest value (slot classes derived from it; default 4m)")
    String maxValue;

    @Option(names = "--classes", paramLabel = "SIZES",
            description = "With --create: these slot sizes instead, e.g. 4608,64k,1028k (as store format --classes)")
    String classes;

    @Option(names = "--class-share", paramLabel = "WEIGHTS",
            description = "With --create: the classes' shares of the space, e.g. 4,1,1 (default: as many slots each)")
    String classShare;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64",
            description = "Store reads and writes in flight at once (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--cluster", paramLabel = "FILE",
            description = "Serve as one node of the static cluster FILE describes (lines of NAME HOST:PORT SLOTS...;"
                    + " see the README); this node is the one whose HOST:PORT is --bind:--port, or --cluster-node")
    Path cluster;

    @Option(names = "--cluster-node", paramLabel = "NAME",
            description = "With --cluster: this server is node NAME of the file (and listens on its port unless"
                    + " --port is given)")
    String clusterNode;

    @Mixin
    StoreCommand.Common common;

    /** Below this many slots in the smallest class, serve says how few small values the store keeps. */
    static final long FEW_SMALL_SLOTS = 1024;

    /**
     * A store whose smallest class has few slots (the default split gives every class as many slots, so a
     * small store with a large largest value keeps only a few dozen small values) evicts the oldest of them
     * past that many: said once at start, with the way to give small values more of the space.
     */
    static void smallValuesNote(SlotStore store, PrintWriter err) {
        var classes = store.classStats();
        var smallest = classes.getFirst();
        if (classes.size() > 1 && smallest.slots() < FEW_SMALL_SLOTS) {
            err.println("rawio serve: note: the smallest slot class has " + smallest.slots() + " slots of "
                    + smallest.slotSize() + " bytes, so past " + smallest.slots() + " small values the oldest are"
                    + " evicted; give small values more of the space when formatting (--class-share, one weight"
                    + " per class, smallest first; or --classes, or a smaller --max-value)");
            err.flush();
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ServerOptions options;
        io.rawio.store.StoreOptions storeOptions;
        io.rawio.store.SlotClasses slotClasses = null;
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
            long cap = ServerOptions.MAX_QUERY_BYTES;
            if (bulk < 1 || bulk > cap - 64 * 1024) {
                throw new StoreCommand.BadArgument("--max-bulk must be from 1 byte to " + (cap - 64 * 1024)
                        + " (2047m less 64k): " + maxBulk);
            }
            options = new ServerOptions(new InetSocketAddress(addr, port), maxClients, bulk,
                    Math.min(cap, Math.max(bulk + 64 * 1024, 1L << 30)))
                    .withPassword(requirepass == null ? null : requirepass.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (!ServerLoops.NAMES.contains(loop)) {
                throw new StoreCommand.BadArgument("--loop=" + loop + ": the loops are " + String.join(", ",
                        ServerLoops.NAMES));
            }
            if (threads < 0 || (threads > 0 && !loop.equals("threads"))) {
                throw new StoreCommand.BadArgument(threads < 0 ? "--threads must be positive: " + threads
                        : "--threads goes with --loop=threads");
            }
            long idleMs = idleTimeout.strip().equals("0") ? 0 : io.rawio.cli.store.StoreArgs.durationMs("--idle-timeout",
                    idleTimeout);
            long outLimit = StoreCommand.parseSize("--client-output-limit", outputLimit);
            if (outLimit < 1) {
                throw new StoreCommand.BadArgument("--client-output-limit must be positive: " + outputLimit);
            }
            options = options.withIdleTimeoutMs(idleMs).withMaxOutputBytes(outLimit).withUnixSocket(unixSocket);
            if (!create && (size != null || maxValue != null || classes != null || classShare != null)) {
                throw new StoreCommand.BadArgument("--size, --max-value, --classes and --class-share go with --create");
            }
            if (create) { // checked even when PATH exists, so a typo is never silently ignored
                slotClasses = io.rawio.cli.store.StoreArgs.slotClasses(null, classes,
                        maxValue == null && classes == null ? io.rawio.cli.store.StoreArgs.DEFAULT_MAX_VALUE : maxValue,
                        classShare);
            }
            if (batch < 1 || batch > 4096) {
                throw new StoreCommand.BadArgument("--batch must be 1 to 4096: " + batch);
            }
            storeOptions = common.options().withDurability(StoreCommand.durability(durability)).withBatchSize(batch);
            options = clusterNode(options, addr, err);
        } catch (io.rawio.server.cluster.ClusterConfig.Invalid e) {
            err.println("rawio serve: --cluster: " + e.getMessage());
            return 2;
        } catch (StoreCommand.BadArgument | IllegalArgumentException | UnknownHostException e) {
            err.println("rawio serve: " + e.getMessage());
            return 2;
        }
        SlotStore store;
        try {
            if (create && !java.nio.file.Files.exists(path)) {
                if (size == null) {
                    err.println("rawio serve: --create needs --size (e.g. --size=4g)");
                    return 2;
                }
                long bytes = StoreCommand.parseSize("--size", size);
                err.println("rawio serve: formatting " + path + " (" + size + ")");
                SlotStore.format(path, bytes, slotClasses, false, storeOptions, Preallocation.WRITE_ZEROS,
                        new io.rawio.cli.store.ZeroProgress(err, "rawio serve"));
            }
            store = SlotStore.open(path, storeOptions);
        } catch (NoSuchFileException e) {
            err.println("rawio serve: no such file: " + e.getFile() + " (make one with rawio store format, or give"
                    + " --create --size=SIZE)");
            return 2;
        } catch (StoreCommand.BadArgument | IllegalArgumentException e) {
            err.println("rawio serve: " + e.getMessage());
            return 2;
        } catch (StoreException.NotAStore e) {
            err.println("rawio serve: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("rawio serve: " + e.getMessage());
            return 1;
        }
        // No request may make the server receive a value the store cannot hold: the parser refuses it by
        // its length, before reserving memory for it.
        long largest = store.maxValueLength(1);
        if (largest > 0 && largest < options.maxBulk()) {
            options = options.withMaxBulk(largest);
        }
        ServerLoop server;
        String loopName;
        try {
            ServerLoops.Opened opened = ServerLoops.open(loop, store, options, threads);
            server = opened.loop();
            loopName = opened.description();
        } catch (IOException | RuntimeException e) {
            err.println("rawio serve: cannot listen on " + (unixSocket != null ? unixSocket : options.bind()) + ": "
                    + e.getMessage());
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
        // SIGTERM and SIGINT stop the loop as SHUTDOWN does, and serve exits 0 once the store is closed, as
        // redis-server does (through the shutdown hook alone the JVM would exit 143 or 130). The hook stays for
        // the other ways a JVM is stopped, and for a second signal.
        StopOnSignals signals = new StopOnSignals(server::stop, "TERM", "INT");
        InetSocketAddress at = server.address();
        String where = at == null ? "unix:" + unixSocket : at.getAddress().getHostAddress() + ":" + at.getPort();
        var map = options.cluster();
        out.println("rawio serve: ready on " + where + (map == null ? "" : " as cluster node " + map.self().name() + " of "
                + map.config().nodes().size() + " (slots " + (map.self().ranges().isEmpty() ? "none"
                : io.rawio.server.cluster.ClusterConfig.format(map.self().ranges())) + ")") + " (loop " + loopName + ", store "
                + path + ", " + store.classStats().size() + " slot class" + (store.classStats().size() == 1 ? "" : "es")
                + ", largest value " + largest + " bytes with a 1-byte key (a byte less for each more), engine "
                + store.engineName() + ")");
        out.flush();
        smallValuesNote(store, err);
        int status = 0;
        try {
            server.run();
        } catch (RuntimeException e) {
            err.println("rawio serve: the event loop failed: " + e.getMessage());
            status = 1;
        } finally {
            signals.close(); // the JVM's handlers again: a signal while the store closes is the JVM's (the hook waits)
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

    /**
     * With --cluster: the options of this node of the file (its port when --cluster-node names it and
     * --port is not given); the slots no node owns are reported on {@code err}.
     */
    private ServerOptions clusterNode(ServerOptions options, InetAddress addr, PrintWriter err)
            throws io.rawio.server.cluster.ClusterConfig.Invalid, StoreCommand.BadArgument {
        if (cluster == null) {
            if (clusterNode != null) {
                throw new StoreCommand.BadArgument("--cluster-node goes with --cluster");
            }
            return options;
        }
        if (unixSocket != null) {
            throw new StoreCommand.BadArgument("--cluster needs TCP: cluster clients are sent to HOST:PORT, not a"
                    + " Unix socket");
        }
        var config = io.rawio.server.cluster.ClusterConfig.read(cluster);
        io.rawio.server.cluster.ClusterMap map;
        if (clusterNode != null) {
            map = io.rawio.server.cluster.ClusterMap.as(config, clusterNode);
            boolean portGiven = spec.commandLine().getParseResult() != null
                    && spec.commandLine().getParseResult().hasMatchedOption("--port");
            if (!portGiven) {
                options = new ServerOptions(new InetSocketAddress(addr, map.self().port()), options.maxClients(),
                        options.maxBulk(), options.maxQueryBytes(), options.password(), options.idleTimeoutMs(),
                        options.maxOutputBytes(), null, null);
            }
        } else {
            java.util.List<String> hosts = new java.util.ArrayList<>(java.util.List.of(bind, addr.getHostAddress()));
            if (addr.isLoopbackAddress()) {
                hosts.add("localhost");
            }
            map = io.rawio.server.cluster.ClusterMap.byAddress(config, port, hosts, addr.isAnyLocalAddress());
        }
        var gaps = config.unassigned();
        if (!gaps.isEmpty()) {
            err.println("rawio serve: --cluster: slots " + io.rawio.server.cluster.ClusterConfig.format(gaps)
                    + " have no node (their keys get -CLUSTERDOWN)");
        }
        return options.withCluster(map);
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
