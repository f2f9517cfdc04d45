package io.rawio.bench.lab.servers;

import io.rawio.bench.lab.ChildJvm;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The worker processes ({@link ServerWorker}): as many as the prefork model has processes, started together
 * so their start-up overlaps. A model runs on the first {@code processes} of them; the single-process
 * models one after another in the first.
 */
final class ServerProcesses implements AutoCloseable {
    /**
     * JVM options of every worker: a small collector, no perf-data file, and a fixed heap touched in full
     * at start, so that the resident set grows only with memory outside the heap (the heap's own growth is
     * measured after a collection).
     */
    private static final List<String> JVM = List.of("-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xms96m", "-Xmx96m",
            "-XX:+AlwaysPreTouch");
    private final List<ChildJvm> workers = new ArrayList<>();
    private int inUse;
    private int port;

    /** Starts {@code count} idle workers and waits for them. */
    static ServerProcesses launch(int count) throws IOException {
        ServerProcesses p = new ServerProcesses();
        try {
            for (int i = 0; i < count; i++) {
                p.workers.add(ChildJvm.start(ServerWorker.class.getName(), JVM, List.of()));
            }
            for (ChildJvm w : p.workers) {
                w.expect("idle", 60_000);
            }
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** Starts {@code model} on the first {@code processes} workers, all on one port; returns it. */
    int start(String model, int processes, int loops, int pool) throws IOException {
        inUse = 0;
        port = 0;
        for (int i = 0; i < processes; i++) {
            workers.get(i).send("start " + model + " " + port + " " + loops + " " + pool);
            String ready = workers.get(i).expect("ready", 30_000);
            inUse++;
            port = Integer.parseInt(ready.substring("ready port=".length()).trim());
        }
        return port;
    }

    /** Stops the model that runs. */
    void stop() throws IOException {
        for (int i = 0; i < inUse; i++) {
            workers.get(i).send("stop");
            workers.get(i).expect("stopped", 30_000);
        }
        inUse = 0;
    }

    int port() {
        return port;
    }

    /** The counters of the workers in use, summed. */
    WorkerStats stats() throws IOException {
        WorkerStats sum = WorkerStats.ZERO;
        for (int i = 0; i < inUse; i++) {
            workers.get(i).send("stats");
        }
        for (int i = 0; i < inUse; i++) {
            sum = sum.plus(WorkerStats.parse(workers.get(i).expect("stats", 10_000)));
        }
        return sum;
    }

    /** {live heap KiB after a full collection, resident KiB}, summed over the workers in use. */
    long[] memory() throws IOException {
        long heap = 0;
        long rss = 0;
        for (int i = 0; i < inUse; i++) {
            workers.get(i).send("memory");
        }
        for (int i = 0; i < inUse; i++) {
            String[] parts = workers.get(i).expect("memory", 10_000).split(" ");
            heap += Long.parseLong(parts[1].substring("heap_kb=".length()));
            rss += Long.parseLong(parts[2].substring("rss_kb=".length()));
        }
        return new long[] {heap, rss};
    }

    @Override
    public void close() {
        ChildJvm.closeAll(workers);
    }
}
