package io.rawio.bench.lab.servers;

import io.rawio.bench.lab.LabResult;
import io.rawio.nativeio.ResourceLimit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The servers lab's table, charts, findings and raw numbers. */
final class ServersReport {
    private ServersReport() {
    }

    static LabResult report(List<ServersLab.Run> runs, Map<ServersLab.Model, String> skipped, List<String> notes,
            ResourceLimit.Raised limit, List<Integer> levels, double openRate, int openConns, int cores, int pool,
            String loadNote) {
        LabResult r = new LabResult("servers", "Server models: one request/response service built six ways",
                List.of("model", "conns", "load", "req/s", "p50 (us)", "p99 (us)", "p99.9 (us)", "CPU us/req",
                        "ctx sw/req", "KiB/conn", "answered conns"));
        Map<String, List<double[]>> rps = new LinkedHashMap<>();
        Map<String, List<double[]>> p99 = new LinkedHashMap<>();
        Map<String, List<double[]>> mem = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        for (ServersLab.Run run : runs) {
            var lat = run.client().latency();
            double p50 = lat.getTotalCount() == 0 ? 0 : lat.getValueAtPercentile(50) / 1e3;
            double p99v = lat.getTotalCount() == 0 ? 0 : lat.getValueAtPercentile(99) / 1e3;
            double p999 = lat.getTotalCount() == 0 ? 0 : lat.getValueAtPercentile(99.9) / 1e3;
            r.row(run.model().label(), run.connections(), run.load(), run.perSecond(), p50, p99v, p999,
                    run.perRequest(run.cpuNs()) / 1e3, run.perRequest(run.contextSwitches()),
                    !memoryShown(run) ? "-" : run.kibPerConnection() < 1 ? "<1" : run.kibPerConnection(),
                    run.client().answeredConnections() + "/" + run.connected());
            if (run.load().equals("closed")) {
                rps.computeIfAbsent(run.model().label(), x -> new ArrayList<>())
                        .add(new double[] {run.connections(), run.perSecond()});
                if (p99v > 0) {
                    p99.computeIfAbsent(run.model().label(), x -> new ArrayList<>())
                            .add(new double[] {run.connections(), p99v});
                }
                if (memoryShown(run)) {
                    double at = mem.size() + 1; // models numbered 1, 2, ... in the order they ran
                    mem.computeIfAbsent(run.model().label(), x -> new ArrayList<>())
                            .add(new double[] {at, Math.max(0, run.kibPerConnection())});
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", run.model().label());
            m.put("worker", run.model().worker());
            m.put("processes", run.model().processes());
            m.put("connections", run.connections());
            m.put("load", run.load());
            m.put("connected", run.connected());
            m.put("server_open", run.openSeen());
            if (run.connectFailure() != null) {
                m.put("connect_failure", run.connectFailure());
            }
            m.put("client_sent", run.client().sent());
            m.put("client_answered", run.client().answered());
            m.put("server_requests", run.serverRequests());
            m.put("answered_in_window", run.client().inWindow());
            m.put("seconds", run.client().seconds());
            m.put("req_per_s", run.perSecond());
            m.put("p50_ns", lat.getTotalCount() == 0 ? 0 : lat.getValueAtPercentile(50));
            m.put("p99_ns", lat.getTotalCount() == 0 ? 0 : lat.getValueAtPercentile(99));
            m.put("p999_ns", lat.getTotalCount() == 0 ? 0 : lat.getValueAtPercentile(99.9));
            m.put("cpu_ns", run.cpuNs());
            m.put("context_switches", run.contextSwitches());
            if (memoryShown(run)) {
                m.put("heap_base_kb", run.memoryBefore()[0]);
                m.put("heap_kb", run.memoryWith()[0]);
                m.put("rss_base_kb", run.memoryBefore()[1]);
                m.put("rss_kb", run.memoryWith()[1]);
            }
            m.put("threads", run.threads());
            m.put("answered_connections", run.client().answeredConnections());
            m.put("late", run.client().late());
            m.put("errors", run.client().errors());
            raw.add(m);
        }
        findings(r, runs, skipped, notes, limit, levels, openRate, openConns, cores, pool, loadNote);
        r.chart(new LabResult.Chart("throughput", "Requests per second, closed loop", "connections", "req/s", true, rps));
        r.chart(new LabResult.Chart("latency-p99", "p99 latency, closed loop", "connections", "p99 (us, log)", true, p99,
                true));
        r.chart(new LabResult.Chart("memory", "Memory per connection, with the most connections", "model",
                "KiB per connection (heap and resident)", false, mem));
        r.raw("runs", raw);
        r.raw("rlimit_nofile", limit.after().soft());
        r.raw("cores", cores);
        skipped.forEach((m, why) -> r.raw("skipped " + m.label(), why));
        return r;
    }

    /** Memory is measured once per model, with its most connections (see {@link ServersLab.Run}). */
    private static boolean memoryShown(ServersLab.Run run) {
        return run.memoryWith() != null;
    }

    private static boolean servedAll(ServersLab.Run x) {
        return x.client().answeredConnections() == x.connected() && x.connectFailure() == null;
    }

    private static double p99Ms(ServersLab.Run x) {
        var lat = x.client().latency();
        return lat.getTotalCount() == 0 ? 0 : lat.getValueAtPercentile(99) / 1e6;
    }

    private static ServersLab.Run find(List<ServersLab.Run> runs, String model, int conns) {
        return runs.stream().filter(x -> x.model().label().equals(model) && x.connections() == conns
                && x.load().equals("closed")).findFirst().orElse(null);
    }

    private static void findings(LabResult r, List<ServersLab.Run> runs, Map<ServersLab.Model, String> skipped,
            List<String> notes, ResourceLimit.Raised limit, List<Integer> levels, double openRate, int openConns,
            int cores, int pool, String loadNote) {
        r.finding(limit.describe() + "." + (notes.isEmpty() ? "" : " " + String.join("; ", notes) + "."));
        skipped.forEach((m, why) -> r.finding(m.label() + " not run: " + why + "."));
        List<String> models = runs.stream().map(x -> x.model().label()).distinct().toList();
        StringBuilder best = new StringBuilder("Most requests per second in the closed loop (each connection sends its"
                + " next request when the last is answered; a model that left connections unanswered is not ranked):");
        for (int c : levels) {
            runs.stream().filter(x -> x.connections() == c && x.load().equals("closed") && servedAll(x))
                    .max(Comparator.comparingDouble(ServersLab.Run::perSecond)).ifPresent(b -> {
                        ServersLab.Run second = runs.stream().filter(x -> x.connections() == c
                                && x.load().equals("closed") && x != b && servedAll(x))
                                .max(Comparator.comparingDouble(ServersLab.Run::perSecond)).orElse(null);
                        best.append(String.format(Locale.ROOT, " %,d connections: %s, %,.0f req/s%s;", c,
                                b.model().label(), b.perSecond(), second == null ? "" : String.format(Locale.ROOT,
                                        " (then %s, %,.0f)", second.model().label(), second.perSecond())));
                    });
        }
        best.setLength(best.length() - 1);
        r.finding(best + String.format(Locale.ROOT, ". The load generator is one thread of this process on the same"
                + " %d cores, so no model here gets the machine to itself.", cores));
        if (!levels.isEmpty()) {
            int hi = levels.get(levels.size() - 1);
            StringBuilder cost = new StringBuilder(String.format(Locale.ROOT, "Why: CPU per request (and context"
                    + " switches per request) with %,d connections:", hi));
            runs.stream().filter(x -> x.connections() == hi && x.load().equals("closed"))
                    .sorted(Comparator.comparingDouble(x -> x.perRequest(x.cpuNs())))
                    .forEach(x -> cost.append(String.format(Locale.ROOT, " %s %.1f us (%.2f)%s;", x.model().label(),
                            x.perRequest(x.cpuNs()) / 1e3, x.perRequest(x.contextSwitches()), servedAll(x) ? ""
                                    : String.format(Locale.ROOT, " serving %,d of them",
                                            x.client().answeredConnections()))));
            cost.setLength(cost.length() - 1);
            r.finding(cost + ". An event loop wakes once for every socket that is ready and serves them all without"
                    + " leaving the thread; a thread blocked in read is woken and switched to for each request, and"
                    + " with thousands of threads the scheduler's work grows with them.");
            StringBuilder mem = new StringBuilder("Memory per connection, measured with the most connections (the"
                    + " live heap after a full collection, and the resident memory outside the heap, over the model's"
                    + " processes warmed up and without connections):");
            for (ServersLab.Run x : runs) {
                if (memoryShown(x)) {
                    mem.append(String.format(Locale.ROOT, " %s %s KiB%s;", x.model().label(),
                            x.kibPerConnection() < 1 ? "<1" : String.format(Locale.ROOT, "%.1f", x.kibPerConnection()),
                            x.model().worker().equals("pool")
                                    ? String.format(Locale.ROOT, " (%d threads for %,d connections)", pool,
                                            x.connections()) : ""));
                }
            }
            mem.setLength(mem.length() - 1);
            r.finding(mem + ". A platform thread brings a stack and the JVM's and the allocator's per-thread memory;"
                    + " a virtual thread's stack is a small heap object while it waits; an event loop keeps a few"
                    + " bytes of state per socket (the kernel's socket buffers are in no process's resident set, and"
                    + " below 1 KiB the measure is noise).");
            ServersLab.Run prefork = runs.stream().filter(x -> x.model().processes() > 1 && memoryShown(x))
                    .findFirst().orElse(null);
            ServersLab.Run loops = find(runs, runs.stream().map(x -> x.model().label())
                    .filter(l -> l.startsWith("epoll loops")).findFirst().orElse(""), hi);
            ServersLab.Run pre = prefork == null ? null : find(runs, prefork.model().label(), hi);
            if (pre != null && loops != null) {
                r.finding(String.format(Locale.ROOT, "Processes or threads: prefork runs the epoll loop in %d"
                        + " processes, the epoll model in %d threads of one, both with one listening socket per loop"
                        + " on the port (SO_REUSEPORT: the kernel spreads new connections over the listeners by a"
                        + " hash of their addresses). With %,d connections: %,.0f against %,.0f req/s. The processes"
                        + " share nothing but the port, so a crash takes one worker's connections only, and each"
                        + " costs a whole JVM: %,.0f MiB resident per worker before any connection.",
                        pre.model().processes(), loops.model().loops(), hi, pre.perSecond(), loops.perSecond(),
                        prefork.memoryBefore()[1] / 1024.0 / pre.model().processes()));
            }
        }
        if (levels.size() > 1) {
            int hi = levels.get(levels.size() - 1);
            StringBuilder bend = new StringBuilder(String.format(Locale.ROOT, "From its best to %,d connections"
                    + " (req/s then, and p99):", hi));
            for (String model : models) {
                ServersLab.Run top = runs.stream().filter(x -> x.model().label().equals(model)
                        && x.load().equals("closed")).max(Comparator.comparingDouble(ServersLab.Run::perSecond))
                        .orElse(null);
                ServersLab.Run last = find(runs, model, hi);
                if (top != null && last != null) {
                    bend.append(String.format(Locale.ROOT, " %s %,.0f at %,d -> %,.0f (%.0f%%), p99 %.1f ms;", model,
                            top.perSecond(), top.connections(), last.perSecond(),
                            100 * last.perSecond() / top.perSecond(), p99Ms(last)));
                }
            }
            bend.setLength(bend.length() - 1);
            r.finding(bend + ". In a closed loop each connection has one request out, so latency grows with the"
                    + " connections (about connections / req/s) even when throughput holds.");
        }
        for (String model : models) {
            for (int c : levels) {
                ServersLab.Run x = find(runs, model, c);
                if (x == null) {
                    continue;
                }
                if (x.connectFailure() != null) {
                    r.finding(String.format(Locale.ROOT, "%s fell over at %,d connections: %s.", model, c,
                            x.connectFailure()));
                    break;
                }
                if (x.client().answeredConnections() < x.connected()) {
                    r.finding(String.format(Locale.ROOT, "%s fell over at %,d connections: only %,d of them were"
                            + " answered%s.", model, c, x.client().answeredConnections(),
                            x.model().worker().equals("pool") ? String.format(Locale.ROOT, " (each of the %d pool"
                                    + " threads serves one connection until it closes; the others wait in the pool's"
                                    + " queue, and their clients wait with them)", pool) : ""));
                    break;
                }
            }
        }
        List<ServersLab.Run> open = runs.stream().filter(x -> !x.load().equals("closed")).toList();
        if (!open.isEmpty()) {
            StringBuilder o = new StringBuilder(String.format(Locale.ROOT, "Open loop, %,.0f requests a second over %d"
                    + " connections, latency counted from when each request was due: p99", openRate, openConns));
            for (ServersLab.Run x : open) {
                var lat = x.client().latency();
                o.append(String.format(Locale.ROOT, " %s %.0f us (%,.0f req/s done);", x.model().label(),
                        lat.getTotalCount() == 0 ? 0 : lat.getValueAtPercentile(99) / 1e3, x.perSecond()));
            }
            o.setLength(o.length() - 1);
            r.finding(o + ".");
        }
        long agree = runs.stream().filter(x -> x.serverRequests() == x.client().answered()).count();
        long allOpen = runs.stream().filter(x -> x.openSeen() == x.connected()).count();
        if (loadNote != null) {
            r.finding(loadNote);
        }
        r.finding(String.format(Locale.ROOT, "The server and the client counted the same requests in %d of %d runs,"
                + " and the server had every connection of the run open before the first request in %d of them.",
                agree, runs.size(), allOpen));
    }
}
