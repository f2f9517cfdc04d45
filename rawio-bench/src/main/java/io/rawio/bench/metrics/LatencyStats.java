package io.rawio.bench.metrics;

import org.HdrHistogram.Histogram;

/**
 * Latencies in nanoseconds, recorded into an HdrHistogram (3 significant digits, auto-resizing), with
 * the summary fio prints: min, max, mean, stddev, N and percentiles.
 */
public final class LatencyStats {
    /** fio's default percentile list (the keys of its JSON "percentile" maps). */
    public static final double[] FIO_PERCENTILES = {
        1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99
    };

    private final Histogram histogram = new Histogram(3);

    public void record(long ns) {
        histogram.recordValue(Math.max(0, ns));
    }

    /**
     * Records a latency measured from an operation's intended start under a fixed rate, adding the
     * samples a stalled closed loop would have missed (coordinated omission correction).
     */
    public void recordCorrected(long ns, long expectedIntervalNs) {
        histogram.recordValueWithExpectedInterval(Math.max(0, ns), expectedIntervalNs);
    }

    public void add(LatencyStats other) {
        histogram.add(other.histogram);
    }

    public long count() {
        return histogram.getTotalCount();
    }

    public long min() {
        return count() == 0 ? 0 : histogram.getMinValue();
    }

    public long max() {
        return count() == 0 ? 0 : histogram.getMaxValue();
    }

    public double mean() {
        return count() == 0 ? 0 : histogram.getMean();
    }

    public double stddev() {
        return count() == 0 ? 0 : histogram.getStdDeviation();
    }

    /** The value at a percentile (0..100); 0 when empty. */
    public long percentile(double p) {
        return count() == 0 ? 0 : histogram.getValueAtPercentile(p);
    }

    public Histogram histogram() {
        return histogram;
    }
}
