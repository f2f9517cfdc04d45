package io.rawio.bench.lab.servers;

import io.rawio.bench.lab.Lab;
import io.rawio.bench.lab.LabContext;
import io.rawio.bench.lab.LabResult;
import io.rawio.bench.lab.LoadAverage;
import io.rawio.nativeio.Descriptors;
import io.rawio.nativeio.ResourceLimit;
import io.rawio.uring.IoUring;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One small request/response service (a 16-byte request, a 64-byte answer: {@link Frames}) built the
 * classic ways, each in a worker process of its own: prefork (N processes sharing the port with
 * SO_REUSEPORT), a platform thread per connection, a virtual thread per connection, a fixed pool of
 * threads over blocking sockets, epoll loops (reactor, one per core) and io_uring loops (proactor, one
 * per core). A load generator in this process drives 10 to 5,000 connections in a closed loop, and a
 * fixed rate in an open loop. Per model and load: requests per second, latency percentiles, and from
 * the worker itself CPU and context switches per request and memory per connection.
 */
public final class ServersLab implements Lab {
    @Override
    public String name() {
        return "servers";
    }

    @Override
    public String summary() {
        return "one request/response service as prefork processes, thread per connection (platform, virtual), a"
                + " thread pool, epoll loops and io_uring loops, driven by 10 to 5,000 connections: req/s, latency,"
                + " CPU and context switches per request, memory per connection, where each falls over";
    }

    /** A way to build the server: its worker model and how many processes, loops or pool threads. */
    record Model(String label, String worker, int processes, int loops, int pool) {
    }

    /**
     * One load on one model. {@code memoryBefore} is what the model's processes held, warmed up and without
     * connections ({live heap KiB, resident KiB}); {@code memoryWith} the same with this run's connections open;
     * both null where the run was not measured for memory.
     */
    record Run(Model model, int connections, String load, int connected, String connectFailure, long openSeen,
            LoadGenerator.Result client, long serverRequests, long cpuNs, long contextSwitches, long[] memoryBefore,
            long[] memoryWith, long threads) {
        /** Answers received within the measured window, a second. */
        double perSecond() {
            return client.inWindow() / client.seconds();
        }

        double perRequest(long v) {
            return serverRequests == 0 ? 0 : (double) v / serverRequests;
        }

        /**
         * Live heap and resident memory outside the heap that the connections added, per connection: with them
         * open, over the model's own processes warmed up and without connections.
         */
        double kibPerConnection() {
            return connected == 0 || memoryWith == null ? 0 : (double) (heapKb() + outsideHeapKb()) / connected;
        }

        long heapKb() {
            return memoryWith[0] - memoryBefore[0];
        }

        long outsideHeapKb() {
            return memoryWith[1] - memoryBefore[1];
        }
    }

    static List<Model> models(int cores, int pool) {
        return List.of(
                new Model("prefork (" + cores + " processes)", "epoll", cores, 1, 0),
                new Model("thread per connection", "threads", 1, 0, 0),
                new Model("virtual thread per connection", "virtual", 1, 0, 0),
                new Model("thread pool (" + pool + ")", "pool", 1, 0, pool),
                new Model("epoll loops (" + cores + ")", "epoll", 1, cores, 0),
                new Model("io_uring loops (" + cores + ")", "uring", 1, cores, 0));
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        boolean quick = ctx.quick();
        int cores = Runtime.getRuntime().availableProcessors();
        int pool = 200;
        int[] levels = quick ? new int[] {10, 100} : new int[] {10, 100, 1000, 5000};
        int openConns = quick ? 10 : 100;
        double openRate = quick ? 5_000 : 20_000;
        long warmNs = quick ? 15_000_000L : 250_000_000L;
        long runNs = quick ? 60_000_000L : 1_500_000_000L;
        long graceNs = quick ? 200_000_000L : 1_000_000_000L;
        long warmUpNs = quick ? 60_000_000L : 1_000_000_000L;
        double loadAtStart = LoadAverage.now();
        ResourceLimit.Raised limit = ResourceLimit.raiseOpenFiles();
        long room = limit.after().soft() - Math.max(0, Descriptors.openCount()) - 256;
        List<String> notes = new ArrayList<>();
        List<Integer> fit = new ArrayList<>();
        for (int c : levels) {
            if (c <= room) {
                fit.add(c);
            } else {
                notes.add(String.format(Locale.ROOT, "%,d connections skipped: RLIMIT_NOFILE %d leaves room for %,d",
                        c, limit.after().soft(), Math.max(0, room)));
            }
        }
        List<Model> models = models(cores, pool);
        Map<Model, String> skipped = new LinkedHashMap<>();
        List<Run> runs = new ArrayList<>();
        ctx.say("servers: starting " + cores + " worker processes");
        try (ServerProcesses workers = ServerProcesses.launch(cores)) {
            boolean first = true;
            for (Model m : models) {
                if (m.worker().equals("uring") && !IoUring.available()) {
                    skipped.put(m, "io_uring is unavailable here: " + IoUring.unavailableReason().orElse("?"));
                    continue;
                }
                workers.start(m.worker(), m.processes(), m.loops(), m.pool());
                try {
                    if (!fit.isEmpty()) {
                        // The worker's code compiled, and the load generator's, before anything is measured.
                        ctx.say("servers: warming up " + m.label());
                        runOne(m, workers, Math.min(100, fit.get(fit.size() - 1)), 0, warmUpNs, 0, graceNs, null);
                        if (first && openConns <= room) {
                            runOne(m, workers, openConns, openRate, warmUpNs, 0, graceNs, null);
                        }
                        first = false;
                    }
                    // The most connections first, measured for memory too: what earlier threads leave behind in
                    // the allocator (and later ones reuse) would otherwise be counted against them.
                    List<Integer> order = new ArrayList<>(fit);
                    if (!order.isEmpty()) {
                        order.addFirst(order.removeLast());
                    }
                    long[] base = workers.memory();
                    List<Run> closed = new ArrayList<>();
                    for (int c : order) {
                        ctx.say(String.format(Locale.ROOT, "servers: %s, %,d connections", m.label(), c));
                        closed.add(runOne(m, workers, c, 0, warmNs, runNs, graceNs, closed.isEmpty() ? base : null));
                    }
                    closed.sort(java.util.Comparator.comparingInt(Run::connections));
                    runs.addAll(closed);
                    if (openConns <= room) {
                        ctx.say(String.format(Locale.ROOT, "servers: %s, %,.0f req/s over %d connections", m.label(),
                                openRate, openConns));
                        runs.add(runOne(m, workers, openConns, openRate, warmNs, runNs, graceNs, null));
                    }
                } finally {
                    workers.stop();
                }
            }
        }
        return ServersReport.report(runs, skipped, notes, limit, fit, openRate, openConns, cores, pool,
                LoadAverage.note(loadAtStart, cores));
    }

    private static Run runOne(Model m, ServerProcesses server, int connections, double openRate, long warmNs,
            long runNs, long graceNs, long[] memoryBefore) throws IOException {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
        WorkerStats s0 = server.stats();
        WorkerStats s1;
        WorkerStats s2;
        LoadGenerator.Result res;
        long[] memoryWith;
        int connected;
        String failure;
        try (LoadGenerator g = new LoadGenerator(target, connections)) {
            connected = g.connected();
            failure = g.connectFailure();
            // Every connection accepted by the server before any request.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((s1 = server.stats()).open() < s0.open() + connected && System.nanoTime() < deadline) {
                sleep(2);
            }
            res = openRate > 0 ? g.openLoop(openRate, warmNs, runNs, graceNs) : g.closedLoop(warmNs, runNs, graceNs);
            s2 = server.stats();
            memoryWith = memoryBefore == null ? null : server.memory();
        }
        // The next load starts once the server has closed these, and (a thread per connection) the threads that
        // served them have ended. A pool's threads and virtual threads' carriers stay: they are not waited for.
        boolean threadEach = m.worker().equals("threads");
        long deadline = System.nanoTime() + 10_000_000_000L;
        WorkerStats after;
        while (((after = server.stats()).open() > s0.open() || threadEach && after.threads() > s0.threads())
                && System.nanoTime() < deadline) {
            sleep(2);
        }
        String load = openRate > 0 ? String.format(Locale.ROOT, "open %,.0f/s", openRate) : "closed";
        return new Run(m, connections, load, connected, failure, s1.open() - s0.open(), res,
                s2.requests() - s1.requests(), s2.cpuNs() - s1.cpuNs(), s2.contextSwitches() - s1.contextSwitches(),
                memoryBefore, memoryWith, s2.threads());
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
