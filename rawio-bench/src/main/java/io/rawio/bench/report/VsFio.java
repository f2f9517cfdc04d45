package io.rawio.bench.report;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rawio.bench.fio.FioRunner;
import io.rawio.bench.job.JobSpec;
import io.rawio.bench.metrics.JobResult;
import io.rawio.bench.run.BenchException;
import io.rawio.bench.run.JobRunner;
import io.rawio.bench.run.ProgressListener;
import io.rawio.bench.run.Target;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** rawio and fio runs of the same job, alternated in pairs, and the median ratios. */
public final class VsFio {
    /** One engine's pairs: rawio's and fio's summaries, run alternately. */
    public record Pairs(String engine, List<JobSummary> rawio, List<JobSummary> fio) {
        public double medianIopsRatio() {
            return medianRatio(JobSummary::iops);
        }

        public double medianCpuRatio() {
            return medianRatio(JobSummary::cpuUsPerIo);
        }

        public double medianP50Ratio() {
            return medianRatio(s -> s.clatP50Ns());
        }

        public double medianP99Ratio() {
            return medianRatio(s -> s.clatP99Ns());
        }

        private double medianRatio(java.util.function.ToDoubleFunction<JobSummary> f) {
            double[] r = new double[rawio.size()];
            for (int i = 0; i < r.length; i++) {
                double d = f.applyAsDouble(fio.get(i));
                r[i] = d == 0 ? 0 : f.applyAsDouble(rawio.get(i)) / d;
            }
            return median(r);
        }
    }

    /** Every engine's pairs, and rawio's result of each engine's last pair (the one its JSON report shows). */
    public record Outcome(List<Pairs> pairs, List<JobResult> lastRawio) {
    }

    private VsFio() {
    }

    /**
     * Runs {@code job} on each of its engines {@code pairs} times with rawio and with fio, alternately,
     * on one prepared target; fio must be on PATH. Throws BenchException when a run fails.
     */
    public static Outcome run(JobSpec job, int pairs, String version, ProgressListener progress) {
        List<Pairs> all = new ArrayList<>();
        List<JobResult> lastRawio = new ArrayList<>();
        try (Target target = Target.prepare(job, progress)) {
            for (String e : job.engines()) {
                List<JobSummary> r = new ArrayList<>();
                List<JobSummary> f = new ArrayList<>();
                for (int i = 0; i < pairs; i++) {
                    JobResult result = JobRunner.run(job, e, target, progress);
                    r.add(JobSummary.read(FioJson.toJson(List.of(result), version)).getFirst());
                    if (i == pairs - 1) {
                        lastRawio.add(result);
                    }
                    f.add(FioRunner.run(job, e, target.path().toAbsolutePath()));
                }
                all.add(new Pairs(e, r, f));
            }
        } catch (IOException e) {
            throw new BenchException(e.getMessage(), e);
        }
        return new Outcome(all, lastRawio);
    }

    /** fio-shaped JSON of rawio's last runs, with a "vs_fio" array of each engine's median ratios. */
    public static ObjectNode toJson(Outcome outcome, String version) {
        ObjectNode root = FioJson.toJson(outcome.lastRawio(), version);
        var vs = root.putArray("vs_fio");
        for (Pairs p : outcome.pairs()) {
            var o = vs.addObject();
            o.put("engine", p.engine());
            o.put("fio_ioengine", FioRunner.fioEngine(p.engine()));
            o.put("pairs", p.rawio().size());
            o.put("rawio_iops_median", median(p.rawio(), JobSummary::iops));
            o.put("fio_iops_median", median(p.fio(), JobSummary::iops));
            o.put("iops_ratio_median", p.medianIopsRatio());
            o.put("cpu_per_io_ratio_median", p.medianCpuRatio());
            o.put("clat_p50_ratio_median", p.medianP50Ratio());
            o.put("clat_p99_ratio_median", p.medianP99Ratio());
        }
        return root;
    }

    public static double median(double[] values) {
        if (values.length == 0) {
            return 0;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    public static double median(List<JobSummary> s, java.util.function.ToDoubleFunction<JobSummary> f) {
        return median(s.stream().mapToDouble(f).toArray());
    }

    public static void print(List<Pairs> all, PrintWriter out) {
        out.println(String.format(Locale.ROOT, "%-24s %11s %9s %9s %9s %8s", "run (median of pairs)", "IOPS",
                "clat p50", "clat p99", "CPU us", "pairs"));
        for (Pairs p : all) {
            row(out, "rawio " + p.engine(), p.rawio());
            row(out, "fio   " + FioRunner.fioEngine(p.engine()), p.fio());
            out.println(String.format(Locale.ROOT, "%-24s %10.3fx %8.3fx %8.3fx %8.3fx", "  rawio / fio",
                    p.medianIopsRatio(), p.medianP50Ratio(), p.medianP99Ratio(), p.medianCpuRatio()));
        }
    }

    private static void row(PrintWriter out, String name, List<JobSummary> s) {
        out.println(String.format(Locale.ROOT, "%-24s %11.0f %8.1fu %8.1fu %9.2f %8d", name,
                median(s, JobSummary::iops), median(s, x -> x.clatP50Ns()) / 1e3, median(s, x -> x.clatP99Ns()) / 1e3,
                median(s, JobSummary::cpuUsPerIo), s.size()));
    }
}
