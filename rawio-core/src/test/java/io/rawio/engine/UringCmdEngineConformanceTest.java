package io.rawio.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nvme.NvmeDevices;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The uring-cmd engine's contract on an NVMe namespace ({@link UringCmdDeviceChecks}). It overwrites
 * the namespace, so it runs only on the generic device named by {@code -Drawio.test.ngDevice=/dev/ngXnY}
 * (or RAWIO_TEST_NG_DEVICE); the QEMU harness runs the same checks on an emulated namespace
 * (rawio-store's QemuNvmeTest).
 */
class UringCmdEngineConformanceTest {

    @TestFactory
    Stream<DynamicTest> onTheNamedNamespace() {
        String named = Optional.ofNullable(System.getProperty("rawio.test.ngDevice"))
                .orElse(System.getenv("RAWIO_TEST_NG_DEVICE"));
        assumeTrue(named != null && !named.isBlank(), "no NVMe generic device named: these checks overwrite it, so"
                + " name one with -Drawio.test.ngDevice=/dev/ngXnY (found here: " + NvmeDevices.list() + ")");
        Optional<String> unavailable = UringCmdEngine.unavailableReason();
        assumeTrue(unavailable.isEmpty(), () -> "uring-cmd unavailable: " + unavailable.orElse(""));
        Path ng = Path.of(named);
        Optional<String> why = NvmeDevices.whyNotGeneric(ng);
        assumeTrue(why.isEmpty(), () -> why.orElse(""));
        Path block = NvmeDevices.blockNameOf(ng.getFileName().toString()).map(b -> Path.of("/dev", b)).orElse(null);
        UringCmdDeviceChecks checks = new UringCmdDeviceChecks(ng, block);
        return UringCmdDeviceChecks.all().entrySet().stream()
                .map(e -> DynamicTest.dynamicTest(e.getKey(), () -> e.getValue().run(checks)));
    }
}
