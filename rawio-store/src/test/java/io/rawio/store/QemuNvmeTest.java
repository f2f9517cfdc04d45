package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The uring-cmd engine and the store on an emulated NVMe namespace: bin/lib/qemu-nvme.sh boots the
 * distribution kernel in QEMU and runs {@link NvmeGuestChecks} there, with a transfer limit of 128 KiB
 * (mdts=5) so that 1-4 MiB operations take the split path. The engine's device checks run with 512-byte
 * and with 4096-byte blocks; fio's cross-check, the store and its kill -9 recovery with 4096-byte
 * blocks only (each guest JVM or fio start costs seconds under software emulation). Skipped, with the
 * reason, where QEMU, busybox or the kernel package is missing.
 */
class QemuNvmeTest {

    private static Path repoRoot() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("bin/lib/qemu-nvme.sh"))) {
            p = p.getParent();
        }
        return p;
    }

    @ParameterizedTest(name = "lba={0}")
    @ValueSource(ints = {512, 4096})
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void engineAndStoreOnAnEmulatedNamespace(int lba, @org.junit.jupiter.api.io.TempDir Path results)
            throws IOException, InterruptedException {
        Path root = repoRoot();
        assumeTrue(root != null, "bin/lib/qemu-nvme.sh not found above " + System.getProperty("user.dir"));
        assumeTrue(!"false".equals(System.getProperty("rawio.test.qemu")), "-Drawio.test.qemu=false");
        // Surefire's real class path (java.class.path may be its booter jar alone); the guest sees the
        // host's root, so the same paths hold there.
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(root.resolve("bin/lib/qemu-nvme.sh").toString(), "--lba=" + lba,
                "--mdts=5", "--results=" + results, "--", java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Xmx512m", "--enable-native-access=ALL-UNNAMED", "-cp", cp,
                NvmeGuestChecks.class.getName(), "/dev/ng0n1", "/dev/nvme0n1"));
        boolean full = lba == 4096;
        if (full) {
            cmd.add("--full");
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        System.out.println(out);
        assumeTrue(rc != 77, () -> "QEMU guest unavailable: " + out.lines()
                .filter(l -> l.startsWith("qemu-nvme:")).findFirst().orElse(out));
        assertFalse(out.contains("\nFAIL "), out);
        assertEquals(0, rc, out);
        assertTrue(out.contains("PASS 1-4 MiB operations are split at the transfer limit"), out);
        assertTrue(out.contains("PASS an LBA past the end gives the NVMe status"), out);
        if (full) {
            assertTrue(out.contains("PASS the store formats, puts, gets and reopens on the namespace"), out);
            assertTrue(out.contains("PASS acknowledged keys survive kill -9 of a writer on the namespace"), out);
        }
        assertTrue(out.contains("lba=" + lba + " "), "the namespace has the block size asked for:\n" + out);
    }
}
