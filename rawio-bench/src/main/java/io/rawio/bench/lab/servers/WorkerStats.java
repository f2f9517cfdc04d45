package io.rawio.bench.lab.servers;

import java.util.HashMap;
import java.util.Map;

/** One {@code stats} line of a {@link ServerWorker}, or the sum over a model's workers. */
record WorkerStats(long requests, long open, long accepted, long errors, long cpuNs, long voluntarySwitches,
        long involuntarySwitches, long rssKb, long threads) {
    static final WorkerStats ZERO = new WorkerStats(0, 0, 0, 0, 0, 0, 0, 0, 0);

    static WorkerStats parse(String line) {
        Map<String, Long> v = new HashMap<>();
        for (String part : line.split(" ")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                v.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
            }
        }
        return new WorkerStats(v.get("requests"), v.get("open"), v.get("accepted"), v.get("errors"), v.get("cpu_ns"),
                v.get("vcsw"), v.get("ivcsw"), v.get("rss_kb"), v.get("threads"));
    }

    WorkerStats plus(WorkerStats o) {
        return new WorkerStats(requests + o.requests, open + o.open, accepted + o.accepted, errors + o.errors,
                cpuNs + o.cpuNs, voluntarySwitches + o.voluntarySwitches, involuntarySwitches + o.involuntarySwitches,
                rssKb + o.rssKb, threads + o.threads);
    }

    long contextSwitches() {
        return voluntarySwitches + involuntarySwitches;
    }
}
