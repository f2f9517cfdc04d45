package io.rawio.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The streaming scans count what the whole-file scans count, and the memory watch reads /proc right. */
@Timeout(120)
class ScanLabTest {
    @TempDir
    Path dir;

    @Test
    void vmRssIsParsedInBytes() {
        String status = "Name:\tjava\nVmPeak:\t 999 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 1 kB\n";
        assertEquals(12345L * 1024, MemoryWatch.vmRssBytes(status));
        assertEquals(0, MemoryWatch.vmRssBytes("Name:\tx\n"));
        assertTrue(MemoryWatch.rssBytes() > 0, "this process has a VmRSS");
    }

    @Test
    void windowAndDropBehindScansAgreeWithAWholeScan() throws Exception {
        // 3.5 windows of 1 MiB, lines across window boundaries included.
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (sb.length() < (7 << 19)) {
            sb.append(i % 7 == 0 ? "x ERROR " : "y INFO ").append(i++).append('\n');
        }
        byte[] b = sb.toString().getBytes(StandardCharsets.US_ASCII);
        Path f = Files.write(dir.resolve("log"), b);
        ScanLab.Counts whole = ScanLab.count(java.lang.foreign.MemorySegment.ofArray(b), b.length);
        assertEquals(i, whole.lines());
        assertEquals((i + 6) / 7, whole.matches());
        assertEquals(whole, ScanLab.readScan(f, 64 << 10, false, 1 << 20));
        // Windows must end at line boundaries: the lab's log pads each MiB; here check the counts where they do.
        Path padded = dir.resolve("padded");
        byte[] p = new byte[4 << 20];
        java.util.Arrays.fill(p, (byte) '\n');
        byte[] line = "t ERROR z\n".getBytes(StandardCharsets.US_ASCII);
        long lines = 0;
        for (int mib = 0; mib < 4; mib++) {
            for (int k = 0; k < 1000; k++) {
                System.arraycopy(line, 0, p, (mib << 20) + k * line.length, line.length);
            }
        }
        Files.write(padded, p);
        ScanLab.Counts expected = ScanLab.count(java.lang.foreign.MemorySegment.ofArray(p), p.length);
        assertEquals(4000, expected.matches());
        assertEquals(expected, ScanLab.windowScan(padded, 1 << 20, false));
        assertEquals(expected, ScanLab.windowScan(padded, 1 << 20, true));
        assertEquals(expected, ScanLab.windowScan(padded, 3 << 20, true), "a last window shorter than the rest");
    }

    @Test
    @SuppressWarnings("unchecked")
    void quickRunReportsMemoryForEveryMethod() throws Exception {
        LabResult r = new ScanLab().run(new LabContext(dir, true, null, 32L << 20));
        List<Map<String, Object>> results = (List<Map<String, Object>>) r.raw().get("results");
        long streaming = results.stream().filter(m -> ((String) m.get("method")).contains("window")).count();
        assertEquals(2, streaming, results.toString());
        for (Map<String, Object> m : results) {
            if (!m.get("method").equals("wc -l")) {
                assertTrue(m.containsKey("peak_rss_growth_bytes") && m.containsKey("peak_cached_bytes"), m.toString());
            }
        }
        assertEquals(4L << 20, ((Number) r.raw().get("window_bytes")).longValue());
        assertFalse(Files.exists(dir.resolve("rawio-lab-scan.log")));
    }
}
