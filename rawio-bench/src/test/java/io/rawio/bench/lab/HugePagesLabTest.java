package io.rawio.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Privileges;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** /proc parsing, and a quick run that gives back every huge page it reserved. */
@Timeout(300)
class HugePagesLabTest {
    @TempDir
    Path dir;

    @Test
    void parsesMeminfoAndPerfOutput() {
        assertEquals(12, HugePagesLab.hugePagesFree("MemTotal: 1 kB\nHugePages_Total:      64\nHugePages_Free:       12\n"));
        assertEquals(0, HugePagesLab.hugePagesFree("MemTotal: 1 kB\n"));
        assertFalse(HugePagesLab.perfSupported("<not supported>,,dTLB-load-misses,0,100.00,,\n"));
        assertTrue(HugePagesLab.perfSupported("12345,,dTLB-load-misses,1000,100.00,,\n"));
        assertFalse(HugePagesLab.perfSupported("perf: command not found"));
    }

    @Test
    void quickRunRestoresNrHugepages() throws Exception {
        assumeTrue(Privileges.isRoot() && Shell.has("losetup"), "needs root and losetup");
        String before = Teardown.read(HugePagesLab.NR_HUGEPAGES);
        LabResult r = new HugePagesLab().run(new LabContext(dir, true, null));
        assertEquals(before, Teardown.read(HugePagesLab.NR_HUGEPAGES), "nr_hugepages restored");
        assertTrue(r.rows().size() >= 7, r.rows().toString());
        assertFalse(Shell.run("losetup", "-a").output().contains(dir.toString()), "no loop device left");
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList());
        }
    }
}
