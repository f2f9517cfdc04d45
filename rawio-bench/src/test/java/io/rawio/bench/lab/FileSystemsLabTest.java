package io.rawio.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.bench.metrics.DeviceStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The file systems lab's arithmetic, and a quick run that leaves no loop device, mount or file behind. */
@Timeout(300)
class FileSystemsLabTest {
    @TempDir
    Path dir;

    @Test
    void ratesAndAmplification() {
        DeviceStats dev = new DeviceStats("loop9", 0, 0, 0, 0, 10, 0, 24, 0, 0, 0, 0, 3, 0);
        FileSystemsLab.Measure m = new FileSystemsLab.Measure("ext4", "append", 100, 4096, 500_000_000L, dev);
        assertEquals(200, m.opsPerSecond(), 1e-9);
        assertEquals(3.0, m.deviceBytesPerByte(), 1e-9, "24 sectors of 512 bytes for 4 KiB");
    }

    @Test
    void withoutRootItSaysWhatItNeeds() throws Exception {
        assumeTrue(!io.rawio.nativeio.Privileges.isRoot(), "runs as root here: the quick run covers it");
        LabResult r = new FileSystemsLab().run(new LabContext(dir, true, null));
        assertTrue(r.rows().isEmpty());
        assertTrue(r.findings().get(0).contains("needs root"), r.findings().toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void quickRunCleansUp() throws Exception {
        assumeTrue(FileSystemsLab.refusal() == null, String.valueOf(FileSystemsLab.refusal()));
        assumeTrue(Shell.has("mkfs.ext4"), "needs mkfs.ext4 (e2fsprogs)");
        LabResult r = new FileSystemsLab().run(new LabContext(dir, true, null));
        List<Map<String, Object>> results = (List<Map<String, Object>>) r.raw().get("results");
        List<String> workloads = (List<String>) r.raw().get("workloads");
        assertEquals(8, workloads.size(), workloads.toString());
        long fss = results.stream().map(m -> m.get("fs")).distinct().count();
        assertEquals(fss * 8, results.size());
        for (Map<String, Object> m : results) {
            assertTrue(((Number) m.get("device_write_bytes")).longValue() > 0, "each workload reached the device: " + m);
        }
        assertFalse(Shell.run("losetup", "-a").output().contains(dir.toString()), "no loop device left");
        assertFalse(Files.readString(Path.of("/proc/mounts")).contains(dir.toString()), "no mount left");
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "no image or mount point left");
        }
    }
}
