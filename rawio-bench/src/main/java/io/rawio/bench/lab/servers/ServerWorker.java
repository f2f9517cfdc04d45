package io.rawio.bench.lab.servers;

import io.rawio.nativeio.Procfs;
import io.rawio.nativeio.ResourceLimit;
import io.rawio.nativeio.ResourceUsage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A server process of the servers lab, which runs one model at a time on loopback until its stdin closes.
 * It prints {@code idle pid=N}, then takes one command a line:
 * <ul>
 * <li>{@code start MODEL PORT LOOPS POOL}: serve ({@code ready port=P}, or {@code failed ...});
 * <li>{@code stop}: stop the model, once its connections have closed ({@code stopped});
 * <li>{@code stats}: the model's counters, and getrusage(RUSAGE_SELF) of the process (every thread's, ended
 * ones included) and VmRSS;
 * <li>{@code memory}: the live heap after a full collection, and VmRSS.
 * </ul>
 * Measured from its own process, the server's CPU, context switches and memory are apart from the load
 * generator's; the lab takes differences over each run.
 */
public final class ServerWorker {
    private ServerWorker() {
    }

    static ServerModel model(String name, int loops, int pool) {
        return switch (name) {
            case "threads" -> new BlockingServer(BlockingServer.Kind.PLATFORM, 0);
            case "virtual" -> new BlockingServer(BlockingServer.Kind.VIRTUAL, 0);
            case "pool" -> new BlockingServer(BlockingServer.Kind.POOL, pool);
            case "epoll" -> new EpollLoopServer(loops);
            case "uring" -> new UringLoopServer(loops);
            default -> throw new IllegalArgumentException("unknown model: " + name);
        };
    }

    public static void main(String[] args) throws Exception {
        ResourceLimit.raiseOpenFiles();
        System.out.println("idle pid=" + ProcessHandle.current().pid());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        ServerModel model = null;
        ServerCounters counters = new ServerCounters();
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.split(" ");
            switch (w[0]) {
                case "start" -> {
                    counters = new ServerCounters();
                    try {
                        model = model(w[1], Integer.parseInt(w[3]), Integer.parseInt(w[4]));
                        System.out.println("ready port=" + model.start(Integer.parseInt(w[2]), counters));
                    } catch (IOException | RuntimeException e) {
                        model = null;
                        System.out.println("failed " + w[1] + ": " + e.getMessage());
                    }
                }
                case "stop" -> {
                    if (model != null) {
                        model.stop();
                        model = null;
                    }
                    System.out.println("stopped");
                }
                case "stats" -> {
                    ResourceUsage u = ResourceUsage.process();
                    System.out.println("stats requests=" + counters.requests.sum() + " open=" + counters.open.sum()
                            + " accepted=" + counters.accepted.sum() + " errors=" + counters.errors.sum() + " cpu_ns="
                            + u.cpuNs() + " vcsw=" + u.voluntaryContextSwitches() + " ivcsw="
                            + u.involuntaryContextSwitches() + " rss_kb=" + status("VmRSS:") + " threads="
                            + status("Threads:"));
                }
                case "memory" -> {
                    // The heap is touched in full at start (AlwaysPreTouch), so RSS grows only with memory
                    // outside it: thread stacks, malloc, code; the heap's own growth is its live size.
                    System.gc();
                    Runtime rt = Runtime.getRuntime();
                    System.out.println("memory heap_kb=" + (rt.totalMemory() - rt.freeMemory()) / 1024 + " rss_kb="
                            + status("VmRSS:"));
                }
                default -> System.out.println("failed unknown command: " + line);
            }
            System.out.flush();
        }
        System.exit(0);
    }

    /** A number from /proc/self/status ("VmRSS:   1234 kB" -> 1234), -1 if absent. */
    private static long status(String key) {
        try {
            for (String l : Procfs.read(Path.of("/proc/self/status")).split("\n")) {
                if (l.startsWith(key)) {
                    return Long.parseLong(l.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux's /proc
        }
        return -1;
    }
}
