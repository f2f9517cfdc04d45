package io.rawio.bench.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.bench.job.JobSpec;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class MetricsTest {
    @Test
    void percentilesOfAKnownDistribution() {
        LatencyStats s = new LatencyStats();
        for (int i = 1; i <= 10_000; i++) {
            s.record(i * 1000L); // 1 us .. 10 ms, uniform
        }
        assertEquals(10_000, s.count());
        assertEquals(1000, s.min());
        assertEquals(5_000_000, s.percentile(50), 5_000_000 * 0.001);
        assertEquals(9_900_000, s.percentile(99), 9_900_000 * 0.001);
        assertEquals(5_000_500, s.mean(), 5_000_500 * 0.001);
    }

    @Property(tries = 100)
    void percentilesNeverDecrease(@ForAll @Size(min = 1, max = 500) java.util.List<@LongRange(min = 0, max = 10_000_000_000L) Long> values) {
        LatencyStats s = new LatencyStats();
        values.forEach(s::record);
        long prev = -1;
        for (double p : LatencyStats.FIO_PERCENTILES) {
            long v = s.percentile(p);
            assertTrue(v >= prev, "p" + p + "=" + v + " < " + prev);
            prev = v;
        }
        assertTrue(s.max() >= prev);
    }

    @Test
    void coordinatedOmissionCorrectionAddsTheMissedSamples() {
        LatencyStats plain = new LatencyStats();
        LatencyStats corrected = new LatencyStats();
        // One 100 ms stall in a 1 ms-interval stream: a closed loop sees one slow sample.
        plain.record(100_000_000);
        corrected.recordCorrected(100_000_000, 1_000_000);
        assertEquals(1, plain.count());
        assertEquals(100, corrected.count(), "the 99 operations that should have been issued during the stall");
        assertTrue(corrected.percentile(50) >= 49_000_000);
    }

    @Test
    void rateAndCpuArithmetic() {
        DirectionStats read = new DirectionStats();
        read.totalIos = 1000;
        read.ioBytes = 1000 * 4096;
        DirectionStats write = new DirectionStats();
        write.totalIos = 500;
        write.ioBytes = 500 * 4096;
        JobResult r = new JobResult("psync", JobSpec.defaults(), read, write, 2_000_000_000L, 300_000_000L,
                600_000_000L, 0, 0, 10, 0, 0, 3000, 0, Optional.empty(), null, false);
        assertEquals(750, r.iops(), 1e-9);
        assertEquals(500, r.iops(read), 1e-9);
        assertEquals(1500 * 4096 / 2.0, r.bandwidth(), 1e-6);
        assertEquals(600, r.cpuUsPerIo(), 1e-9, "900 ms CPU over 1500 I/Os");
        assertEquals(2, r.syscallsPerIo(), 1e-9);
        assertEquals(15, r.usrCpuPercent(), 1e-9);
        assertEquals(30, r.sysCpuPercent(), 1e-9);
    }

    @Test
    void deviceStatParsingAndDelta() {
        DeviceStats a = DeviceStats.parse("vda", "  100 2 800 50 200 3 1600 70 0 120 130 0 0 0 0 5 6");
        DeviceStats b = DeviceStats.parse("vda", "  150 2 1200 60 260 3 2080 90 1 150 170 0 0 0 0 7 9");
        DeviceStats d = b.minus(a);
        assertEquals(50, d.readIos());
        assertEquals(400 * 512, d.readBytes());
        assertEquals(60, d.writeIos());
        assertEquals(480 * 512, d.writeBytes());
        assertEquals(2, d.flushIos());
        DeviceStats old = DeviceStats.parse("sda", "1 2 3 4 5 6 7 8 9 10 11");
        assertEquals(0, old.flushIos(), "kernels before 5.5 have no flush fields");
    }
}
