package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/rawio info} and {@code bin/rawio bench --engine=uring-cmd --filename=/dev/ng0n1} (reads,
 * then writes with {@code --allow-device-write}) from the fat jar, in the QEMU guest of
 * bin/lib/qemu-nvme.sh with an emulated NVMe namespace of 4096-byte blocks and a 128 KiB transfer
 * limit. Runs after {@code package} (the jar must be there and newer than the classes); skipped, with
 * the reason, where QEMU, busybox or the kernel package is missing.
 */
class QemuCliIT {

    private static Path repoRoot() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("bin/lib/qemu-nvme.sh"))) {
            p = p.getParent();
        }
        return p;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void infoAndBenchOnTheGenericDevice(@TempDir Path dir) throws IOException, InterruptedException {
        Path root = repoRoot();
        assumeTrue(root != null, "bin/lib/qemu-nvme.sh not found above " + System.getProperty("user.dir"));
        assumeTrue(!"false".equals(System.getProperty("rawio.test.qemu")), "-Drawio.test.qemu=false");
        Path jar = root.resolve("rawio-cli/target/rawio.jar");
        Path mainClass = root.resolve("rawio-cli/target/classes/io/rawio/cli/Main.class");
        assumeTrue(Files.exists(jar) && Files.exists(mainClass)
                && Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(mainClass)) >= 0,
                "rawio-cli/target/rawio.jar missing or older than the classes: this test runs after package");
        // The guest sees the host's root read-only at the same paths: the JDK, bin/rawio and the jar.
        Path script = dir.resolve("cli.sh");
        Files.writeString(script, String.join("\n",
                "export JAVA_HOME=" + System.getProperty("java.home"),
                "export RAWIO_JAVA_OPTS='-XX:+UseSerialGC -XX:TieredStopAtLevel=1'",
                "rawio=" + root.resolve("bin/rawio"),
                "\"$rawio\" info; echo \"exit info $?\"",
                "\"$rawio\" bench --engine=uring-cmd --filename=/dev/ng0n1 --size=64m --runtime=2s;"
                        + " echo \"exit bench read $?\"",
                "\"$rawio\" bench --engine=uring-cmd --filename=/dev/ng0n1 --size=64m --runtime=2s --rw=randwrite"
                        + " --allow-device-write; echo \"exit bench write $?\"",
                ""));
        Path results = dir.resolve("results");
        Process p = new ProcessBuilder(List.of(root.resolve("bin/lib/qemu-nvme.sh").toString(), "--lba=4096",
                "--mdts=5", "--results=" + results, "--", "/bin/sh", script.toString()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        System.out.println(out);
        assumeTrue(rc != 77, () -> "QEMU guest unavailable: " + out.lines()
                .filter(l -> l.startsWith("qemu-nvme:")).findFirst().orElse(out));
        assertEquals(0, rc, out);
        assertTrue(out.contains("exit info 0"), out);
        assertTrue(Pattern.compile("(?m)^  /dev/ng0n1 +passthrough works: nsid=1, 4096-byte blocks, 268435456 bytes,"
                + " commands up to 131072 bytes").matcher(out).find(), "info's nvme section:\n" + out);
        assertTrue(out.contains("exit bench read 0"), out);
        assertTrue(out.contains("exit bench write 0"), out);
        // One result row per job, the engine's: a read job, then a write job, each with its IOPS.
        assertEquals(2, out.lines().filter(l -> l.matches("uring-cmd +[1-9]\\d* .*")).count(), out);
        assertTrue(out.contains("job: randread ") && out.contains("job: randwrite "), out);
    }
}
