package io.rawio.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The vectored lab counts its calls right, and RWF_NOWAIT agrees with mincore. */
@Timeout(120)
class VectoredLabTest {
    @TempDir
    Path dir;

    @Test
    void perMibMath() {
        VectoredLab.Cell c = new VectoredLab.Cell("read", "read() x n", 4, 512, 2L << 20, 4096, 2_000_000);
        assertEquals(2048, c.syscallsPerMib(), 1e-9);
        assertEquals(1000, c.usPerMib(), 1e-9);
        assertTrue(new VectoredLab.NowaitCount(10, 5, 5, 5, 0, 0, 0).agreesWithMincore());
        assertTrue(new VectoredLab.NowaitCount(10, 5, 7, 3, 0, 0, 2).agreesWithMincore(), "two arrived during the pass");
        assertFalse(new VectoredLab.NowaitCount(10, 5, 4, 6, 0, 1, 0).agreesWithMincore(), "a cached page refused");
        assertFalse(new VectoredLab.NowaitCount(10, 5, 5, 4, 1, 0, 0).agreesWithMincore(), "another result");
        assertFalse(new VectoredLab.NowaitCount(10, 5, 6, 4, 0, 0, 0).agreesWithMincore(), "one more than accounted");
    }

    @Test
    @SuppressWarnings("unchecked")
    void quickRunCountsOneCallPerGroupForVectoredCalls() throws Exception {
        LabResult r = new VectoredLab().run(new LabContext(dir, true, null));
        List<Map<String, Object>> cells = (List<Map<String, Object>>) r.raw().get("cells");
        assertEquals(2 * VectoredLab.PIECES.length * 3 * 3, cells.size());
        for (Map<String, Object> c : cells) {
            long bytes = ((Number) c.get("bytes")).longValue();
            long group = ((Number) c.get("pieces")).longValue() * ((Number) c.get("piece_bytes")).longValue();
            long groups = bytes / group;
            long calls = ((Number) c.get("calls")).longValue();
            boolean loop = ((String) c.get("method")).endsWith("x n");
            assertEquals(loop ? groups * ((Number) c.get("pieces")).longValue() : groups, calls, c.toString());
        }
        Map<String, Object> nw = (Map<String, Object>) r.raw().get("nowait");
        long pages = ((Number) nw.get("pages")).longValue();
        assertEquals(pages / 2, ((Number) nw.get("cached_by_mincore")).longValue(), "every other page was read");
        // A page the pass found uncached may have been brought in (by an earlier EAGAIN's read) before its turn.
        long arrived = ((Number) nw.get("arrived")).longValue();
        assertEquals(0L, ((Number) nw.get("cached_refused")).longValue(), "NOWAIT returned every cached page: " + nw);
        assertEquals(0L, ((Number) nw.get("other")).longValue(), nw.toString());
        assertEquals(pages / 2 + arrived, ((Number) nw.get("returned")).longValue(), nw.toString());
        assertEquals(pages - pages / 2 - arrived, ((Number) nw.get("eagain")).longValue(), nw.toString());
        assertTrue(arrived < (pages - pages / 2) / 2, "most uncached pages fail with EAGAIN: " + nw);
        assertFalse(Files.exists(dir.resolve("rawio-lab-vectored.dat")), "scratch file removed");
        assertTrue(r.findings().size() >= 4, r.findings().toString());
    }
}
