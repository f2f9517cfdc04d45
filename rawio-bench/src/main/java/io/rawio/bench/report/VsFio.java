package io.rawio.bench.report;

import java.io.PrintWriter;
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

    private VsFio() {
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
            row(out, "fio   " + io.rawio.bench.fio.FioRunner.fioEngine(p.engine()), p.fio());
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
