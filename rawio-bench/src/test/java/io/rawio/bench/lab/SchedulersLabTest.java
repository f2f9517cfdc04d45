package io.rawio.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Privileges;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** queue/scheduler is parsed right; a quick run measures every scheduler and leaves nothing behind. */
@Timeout(300)
class SchedulersLabTest {
    @TempDir
    Path dir;

    @Test
    void parsesTheSchedulerList() {
        SchedulersLab.Schedulers s = SchedulersLab.Schedulers.parse("[none] mq-deadline kyber bfq \n");
        assertEquals(List.of("none", "mq-deadline", "kyber", "bfq"), s.available());
        assertEquals("none", s.active());
        assertEquals("mq-deadline", SchedulersLab.Schedulers.parse("none [mq-deadline]").active());
        assertEquals(List.of("none"), SchedulersLab.Schedulers.parse("none").available());
    }

    @Test
    void requestSizeMath() {
        SchedulersLab.Sequential s = new SchedulersLab.Sequential(128, "64", 1 << 20, 1_000_000_000L, 8, 1 << 20);
        assertEquals(128, s.avgRequestKib(), 1e-9);
        assertEquals(1, s.mibPerSecond(), 1e-9);
    }

    @Test
    @SuppressWarnings("unchecked")
    void quickRunRestoresAndRemovesTheDevice() throws Exception {
        assumeTrue(Privileges.isRoot() && Shell.has("losetup"), "needs root and losetup");
        LabResult r = new SchedulersLab().run(new LabContext(dir, true, null));
        List<String> available = (List<String>) r.raw().get("schedulers");
        List<Map<String, Object>> mixed = (List<Map<String, Object>>) r.raw().get("mixed");
        List<String> refused = (List<String>) r.raw().get("refused");
        assertEquals(available.size() + 1 - refused.stream().filter(available::contains).count(), mixed.size());
        for (Map<String, Object> m : mixed) {
            assertTrue(((Number) m.get("reads")).longValue() > 0, m.toString());
        }
        assertFalse(((List<?>) r.raw().get("sequential")).isEmpty());
        assertFalse(Shell.run("losetup", "-a").output().contains(dir.toString()), "no loop device left");
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "image removed");
        }
    }
}
