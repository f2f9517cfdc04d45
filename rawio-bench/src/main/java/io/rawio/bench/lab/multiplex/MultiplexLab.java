package io.rawio.bench.lab.multiplex;

import io.rawio.bench.lab.Lab;
import io.rawio.bench.lab.LabContext;
import io.rawio.bench.lab.LabResult;
import io.rawio.bench.lab.LoadAverage;
import io.rawio.nativeio.Descriptors;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.ResourceLimit;
import io.rawio.nativeio.ResourceUsage;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The C10k question on this machine: one server thread, K idle loopback connections and one active client
 * doing request/response, the server waiting with select, poll, epoll (level- and edge-triggered),
 * io_uring, or no waiting at all (a recv on every socket until one has bytes). Per method and K: the
 * client's round trip, the server thread's CPU and system calls per request, reads that found nothing
 * (EAGAIN), and the cost of one wait with nothing ready as K grows. The idle connections' client ends are
 * held by a helper process ({@link IdleClients}), so this process needs one descriptor per connection;
 * RLIMIT_NOFILE is raised first and K limited to what it leaves room for.
 */
public final class MultiplexLab implements Lab {
    @Override
    public String name() {
        return "multiplex";
    }

    @Override
    public String summary() {
        return "one server thread, K idle connections (100, 1,000, 10,000) and one active client: select vs poll vs"
                + " epoll (level, edge) vs io_uring vs busy polling: round trip, CPU and syscalls per request, the cost"
                + " of one wait as K grows, EAGAINs";
    }

    /** What one method did with K idle connections. */
    record Cell(String method, int k, String refused, int watched, long serverRequests, long clientRequests,
            Histogram rtt, long cpuNs, long syscalls, long eagains, double waitNs, long waits, String mode) {
    }

    private static List<Supplier<WaitMethod>> methods() {
        return List.of(SelectMethod::new, PollMethod::new, () -> new EpollMethod(false), () -> new EpollMethod(true),
                UringMethod::new, BusyPollMethod::new);
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        boolean quick = ctx.quick();
        int[] ks = quick ? new int[] {100, 1000, 2000} : new int[] {100, 1000, 10_000};
        long cellNs = quick ? 60_000_000L : 1_000_000_000L;
        long waitBudgetNs = quick ? 5_000_000L : 50_000_000L;
        long warmNs = quick ? 40_000_000L : 300_000_000L;
        double loadAtStart = LoadAverage.now();
        ResourceLimit.Raised limit = ResourceLimit.raiseOpenFiles();
        // One descriptor per idle connection here (the client ends are in the helper), the active pair, a
        // margin for the JVM's own.
        long room = limit.after().soft() - Math.max(0, Descriptors.openCount()) - 256;
        List<Integer> levels = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (int k : ks) {
            if (k <= room) {
                levels.add(k);
            } else {
                skipped.add(String.format(Locale.ROOT, "K=%,d skipped: RLIMIT_NOFILE %d leaves room for %,d connections"
                        + " (one descriptor each here, and as many in the helper holding the client ends)", k,
                        limit.after().soft(), Math.max(0, room)));
            }
        }
        List<Cell> cells = new ArrayList<>();
        Map<Integer, Integer> socketsOpen = new LinkedHashMap<>();
        Map<Integer, Integer> clientSockets = new LinkedHashMap<>();
        int verified;
        double eagainNs;
        long eagainResult;
        int maxK = levels.isEmpty() ? 0 : levels.get(levels.size() - 1);
        try (Connections conns = new Connections()) {
            boolean warm = false;
            for (int k : levels) {
                ctx.say(String.format(Locale.ROOT, "multiplex: opening %,d idle connections", k));
                conns.growIdleTo(k);
                conns.reopenActive();
                socketsOpen.put(k, Descriptors.socketCount());
                clientSockets.put(k, conns.clientSockets());
                int[] fds = conns.serverFds(k);
                if (!warm) {
                    // Every loop and the client compiled before anything is measured.
                    warm = true;
                    for (Supplier<WaitMethod> s : methods()) {
                        WaitMethod m = s.get();
                        ctx.say("multiplex: warming up " + m.label);
                        runCell(m, k, fds, conns.activeClient(), warmNs, warmNs / 4);
                    }
                }
                for (Supplier<WaitMethod> s : methods()) {
                    WaitMethod m = s.get();
                    ctx.say(String.format(Locale.ROOT, "multiplex: %s, K=%,d", m.label, k));
                    cells.add(runCell(m, k, fds, conns.activeClient(), cellNs, waitBudgetNs));
                }
            }
            // What a read on an empty non-blocking socket says.
            long[] probe = eagainProbe(maxK > 0 ? conns.idleServer(0) : -1);
            eagainResult = probe[0];
            eagainNs = probe[1] / 1000.0; // per call
            verified = conns.verifyIdle();
        }
        LabResult r = report(cells, limit, skipped, socketsOpen, clientSockets, verified, maxK, eagainResult, eagainNs);
        String busy = LoadAverage.note(loadAtStart, Runtime.getRuntime().availableProcessors());
        if (busy != null) {
            r.finding(busy);
        }
        return r;
    }

    /** recv on an idle non-blocking socket, 1,000 times: {its result, the nanoseconds of all 1,000}. */
    private static long[] eagainProbe(int fd) {
        if (fd < 0) {
            return new long[] {0, 0};
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(64);
            long r = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                r = Sockets.recv(fd, b, 64, 0);
            }
            return new long[] {r, System.nanoTime() - t0};
        }
    }

    private static Cell runCell(WaitMethod m, int k, int[] fds, int clientFd, long cellNs, long waitBudgetNs)
            throws IOException {
        String refused = m.refusal(fds);
        if (refused != null) {
            m.close();
            return new Cell(m.label, k, refused, 0, 0, 0, new Histogram(3), 0, 0, 0, 0, 0, "");
        }
        CountDownLatch ready = new CountDownLatch(1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        long[] out = new long[6]; // watched, cpu ns, syscalls, eagains, requests, waits
        double[] waitNs = new double[1];
        Thread server = Thread.ofPlatform().name("rawio-multiplex-" + m.label).start(() -> {
            try (m) {
                m.open(fds);
                out[0] = m.watched();
                ResourceUsage u0 = ResourceUsage.thread();
                ready.countDown();
                m.serve();
                out[1] = ResourceUsage.thread().minus(u0).cpuNs();
                out[2] = m.syscalls;
                out[3] = m.eagains;
                out[4] = m.requests;
                // Then, with the client done and every socket quiet, the cost of one wait: the median of single
                // waits, so that a compilation or an interrupt in one does not move it.
                long[] each = new long[100_000];
                int waits = 0;
                long t0 = System.nanoTime();
                long now = t0;
                while (waits < 5 || now - t0 < waitBudgetNs && waits < each.length) {
                    long w0 = now;
                    m.waitOnce();
                    now = System.nanoTime();
                    each[waits++] = now - w0;
                }
                java.util.Arrays.sort(each, 0, waits);
                waitNs[0] = each[waits / 2];
                out[5] = waits;
            } catch (Throwable t) {
                failed.set(t);
                Sockets.shutdown(fds[fds.length - 1], NetConstants.SHUT_RDWR); // the client's recv returns
                ready.countDown();
            }
        });
        ActiveClient.Result client = null;
        try {
            ready.await();
            if (failed.get() == null) {
                client = ActiveClient.run(clientFd, cellNs);
            }
            server.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (RuntimeException e) {
            try {
                server.join(10_000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            if (failed.get() == null) {
                throw e;
            }
        }
        if (failed.get() != null) {
            throw new IOException(m.label + " with K=" + k + ": " + failed.get().getMessage(), failed.get());
        }
        String mode = m instanceof UringMethod u ? u.mode : "";
        return new Cell(m.label, k, null, (int) out[0], out[4], client.requests(), client.rtt(), out[1], out[2], out[3],
                waitNs[0], out[5], mode);
    }

    private static double perRequest(long v, Cell c) {
        return c.serverRequests() == 0 ? 0 : (double) v / c.serverRequests();
    }

    private static LabResult report(List<Cell> cells, ResourceLimit.Raised limit, List<String> skipped,
            Map<Integer, Integer> socketsOpen, Map<Integer, Integer> clientSockets, int verified, int maxK,
            long eagainResult, double eagainNs) {
        LabResult r = new LabResult("multiplex", "Waiting on many sockets: K idle connections and one active client",
                List.of("method", "K idle", "RTT p50 (us)", "RTT p99 (us)", "CPU us/req", "syscalls/req", "EAGAIN/req",
                        "one wait (ns)", "requests"));
        Map<String, List<double[]>> waitCurve = new LinkedHashMap<>();
        Map<String, List<double[]>> rttCurve = new LinkedHashMap<>();
        Map<String, List<double[]>> cpuCurve = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        for (Cell c : cells) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", c.method());
            m.put("k", c.k());
            m.put("sockets_open", socketsOpen.getOrDefault(c.k(), -1));
            m.put("client_sockets_open", clientSockets.getOrDefault(c.k(), -1));
            if (c.refused() != null) {
                r.row(c.method(), c.k(), "refused", "-", "-", "-", "-", "-", "-");
                m.put("refused", c.refused());
                raw.add(m);
                continue;
            }
            double p50 = c.rtt().getValueAtPercentile(50) / 1e3;
            double p99 = c.rtt().getValueAtPercentile(99) / 1e3;
            double cpu = perRequest(c.cpuNs(), c) / 1e3;
            r.row(c.method(), c.k(), p50, p99, cpu, perRequest(c.syscalls(), c), perRequest(c.eagains(), c), c.waitNs(),
                    c.serverRequests());
            waitCurve.computeIfAbsent(c.method(), x -> new ArrayList<>()).add(new double[] {c.k(), c.waitNs() / 1e3});
            rttCurve.computeIfAbsent(c.method(), x -> new ArrayList<>()).add(new double[] {c.k(), p50});
            cpuCurve.computeIfAbsent(c.method(), x -> new ArrayList<>()).add(new double[] {c.k(), cpu});
            m.put("watched", c.watched());
            m.put("server_requests", c.serverRequests());
            m.put("client_requests", c.clientRequests());
            m.put("rtt_p50_ns", c.rtt().getValueAtPercentile(50));
            m.put("rtt_p99_ns", c.rtt().getValueAtPercentile(99));
            m.put("cpu_ns", c.cpuNs());
            m.put("syscalls", c.syscalls());
            m.put("eagains", c.eagains());
            m.put("wait_ns", c.waitNs());
            m.put("waits", c.waits());
            if (!c.mode().isEmpty()) {
                m.put("mode", c.mode());
            }
            raw.add(m);
        }
        findings(r, cells, limit, skipped, socketsOpen, clientSockets, verified, maxK, eagainResult, eagainNs);
        r.chart(new LabResult.Chart("wait-cost", "One wait with nothing ready, as K idle connections grow", "K idle",
                "us per wait (log)", true, waitCurve, true));
        r.chart(new LabResult.Chart("round-trip", "The active client's round trip (p50)", "K idle", "RTT p50 (us, log)",
                true, rttCurve, true));
        r.chart(new LabResult.Chart("cpu", "Server CPU per request", "K idle", "CPU us per request (log)", true,
                cpuCurve, true));
        r.raw("cells", raw);
        r.raw("rlimit_nofile_before", limit.before().soft());
        r.raw("rlimit_nofile", limit.after().soft());
        r.raw("idle_connections", maxK);
        r.raw("idle_verified", verified);
        r.raw("eagain_probe_result", eagainResult);
        r.raw("eagain_probe_ns", eagainNs);
        return r;
    }

    /** Nanoseconds as "850 ns" or "1,516 us". */
    private static String time(double ns) {
        return ns < 10_000 ? String.format(Locale.ROOT, "%.0f ns", ns) : String.format(Locale.ROOT, "%,.0f us", ns / 1e3);
    }

    private static Cell find(List<Cell> cells, String method, int k) {
        return cells.stream().filter(c -> c.method().equals(method) && c.k() == k && c.refused() == null).findFirst()
                .orElse(null);
    }

    private static void findings(LabResult r, List<Cell> cells, ResourceLimit.Raised limit, List<String> skipped,
            Map<Integer, Integer> socketsOpen, Map<Integer, Integer> clientSockets, int verified, int maxK,
            long eagainResult, double eagainNs) {
        List<Integer> ks = new ArrayList<>(socketsOpen.keySet());
        r.finding(limit.describe() + "." + (skipped.isEmpty() ? "" : " " + String.join("; ", skipped) + "."));
        if (ks.isEmpty()) {
            return;
        }
        int lo = ks.get(0);
        int hi = ks.get(ks.size() - 1);
        StringBuilder wait = new StringBuilder("One wait with nothing ready, from K=" + String.format(Locale.ROOT, "%,d", lo)
                + " to " + String.format(Locale.ROOT, "%,d", hi) + " idle connections:");
        for (String m : List.of("select", "poll", "epoll, level-triggered", "io_uring")) {
            Cell a = find(cells, m, lo);
            Cell b = find(cells, m, hi);
            Cell top = b;
            int topK = hi;
            for (int i = ks.size() - 1; top == null && i > 0; i--) {
                top = find(cells, m, ks.get(i));
                topK = ks.get(i);
            }
            if (a != null && top != null && top != a) {
                wait.append(String.format(Locale.ROOT, " %s %s -> %s at K=%,d (%.1fx);", m, time(a.waitNs()),
                        time(top.waitNs()), topK, top.waitNs() / a.waitNs()));
            }
        }
        wait.setLength(wait.length() - 1);
        r.finding(wait + ". select and poll hand the kernel every socket on every call and the loop checks every"
                + " one after it: O(K). epoll and io_uring keep the interest in the kernel, and a socket that becomes"
                + " ready queues itself: O(ready).");
        cells.stream().filter(c -> c.refused() != null && c.method().equals("select")).findFirst().ifPresent(c ->
                r.finding(String.format(Locale.ROOT, "select with K=%,d: refused, not run: %s.", c.k(), c.refused())));
        cells.stream().filter(c -> c.refused() != null && !c.method().equals("select")).findFirst().ifPresent(c ->
                r.finding(c.method() + " not run: " + c.refused()));
        Cell pollHi = find(cells, "poll", hi);
        Cell epollHi = find(cells, "epoll, level-triggered", hi);
        Cell uringHi = find(cells, "io_uring", hi);
        if (pollHi != null && epollHi != null) {
            r.finding(String.format(Locale.ROOT, "With %,d idle connections the active client's round trip (p50) was"
                    + " %.1f us through poll against %.1f us through epoll%s; the server spent %.1f against %.1f us of"
                    + " CPU per request.", hi, pollHi.rtt().getValueAtPercentile(50) / 1e3,
                    epollHi.rtt().getValueAtPercentile(50) / 1e3, uringHi == null ? ""
                            : String.format(Locale.ROOT, " and %.1f us through io_uring",
                                    uringHi.rtt().getValueAtPercentile(50) / 1e3),
                    perRequest(pollHi.cpuNs(), pollHi) / 1e3, perRequest(epollHi.cpuNs(), epollHi) / 1e3));
        }
        Cell lt = find(cells, "epoll, level-triggered", lo);
        Cell et = find(cells, "epoll, edge-triggered", lo);
        Cell ur = find(cells, "io_uring", lo);
        if (lt != null && et != null) {
            r.finding(String.format(Locale.ROOT, "System calls per request with K=%,d: %.2f level-triggered (the wait,"
                    + " one recv, one send), %.2f edge-triggered: an edge comes only with new bytes, so the loop reads"
                    + " until the socket is empty, and %.2f reads per request found EAGAIN (when the next request was"
                    + " already there, that read took it instead and no wait was needed)%s.", lo,
                    perRequest(lt.syscalls(), lt), perRequest(et.syscalls(), et), perRequest(et.eagains(), et),
                    ur == null ? "" : String.format(Locale.ROOT, "; %.2f with io_uring (%s: one io_uring_enter submits"
                            + " the reply and waits for it and the next request)", perRequest(ur.syscalls(), ur),
                            ur.mode())));
        }
        Cell bpLo = find(cells, "busy poll (recv until not EAGAIN)", lo);
        Cell bpHi = find(cells, "busy poll (recv until not EAGAIN)", hi);
        if (bpLo != null && bpHi != null) {
            r.finding(String.format(Locale.ROOT, "Non-blocking means: a recv on an empty non-blocking socket returns"
                    + " at once with %s (%.0f ns here) instead of putting the thread to sleep. A loop that only asks"
                    + " made %,.0f such reads per request with K=%,d and %,.0f with K=%,d (every idle socket, every"
                    + " pass), and kept a core busy doing it (%.1f us of CPU per request at K=%,d); the epoll loop made"
                    + " %.2f level-triggered and %.2f edge-triggered.", eagainResult < 0
                            ? Errno.name((int) -eagainResult) : "result " + eagainResult, eagainNs,
                    perRequest(bpLo.eagains(), bpLo), lo, perRequest(bpHi.eagains(), bpHi), hi,
                    perRequest(bpHi.cpuNs(), bpHi) / 1e3, hi, lt == null ? 0 : perRequest(lt.eagains(), lt),
                    et == null ? 0 : perRequest(et.eagains(), et)));
        }
        long agree = cells.stream().filter(c -> c.refused() == null && c.serverRequests() == c.clientRequests()).count();
        long ran = cells.stream().filter(c -> c.refused() == null).count();
        r.finding(String.format(Locale.ROOT, "The connections were real: with K=%,d this process had %,d sockets open"
                + " (the idle server ends, the active connection's two ends, the listener) and the helper process"
                + " holding the idle client ends %,d; at the end the helper sent one byte on each of the %,d idle"
                + " connections and %,d server ends became readable. The server and the client counted the same"
                + " requests in %d of %d runs.", hi, socketsOpen.get(hi), clientSockets.get(hi), maxK, verified, agree,
                ran));
    }
}
