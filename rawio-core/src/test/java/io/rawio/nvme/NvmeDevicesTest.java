package io.rawio.nvme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NvmeDevicesTest {

    @Test
    void genericAndBlockNamesMapBothWays() {
        assertEquals(Optional.of("nvme0n1"), NvmeDevices.blockNameOf("ng0n1"));
        assertEquals(Optional.of("nvme12n3"), NvmeDevices.blockNameOf("ng12n3"));
        assertEquals(Optional.of("ng0n1"), NvmeDevices.genericNameOf("nvme0n1"));
        assertEquals(Optional.of("ng0n1"), NvmeDevices.genericNameOf("nvme0n1p2"));
        assertEquals(Optional.of("ng1n2"), NvmeDevices.genericNameOf("nvme1c1n2"));
        assertTrue(NvmeDevices.blockNameOf("sda").isEmpty());
        assertTrue(NvmeDevices.genericNameOf("nvme0").isEmpty(), "the controller is not a namespace");
    }

    @Test
    void theSysfsClassTellsAGenericDevice() {
        assertTrue(NvmeDevices.isGenericClassPath("/sys/class/nvme-generic"));
        assertFalse(NvmeDevices.isGenericClassPath("/sys/class/mem"));
        assertFalse(NvmeDevices.isGenericClassPath("/sys/class/nvme"), "the controller's class");
    }

    @Test
    void aRegularFileIsRefusedWithTheReason(@TempDir Path dir) throws IOException {
        Path f = Files.createFile(dir.resolve("data"));
        String why = NvmeDevices.whyNotGeneric(f).orElseThrow();
        assertTrue(why.contains("not a character device") && why.contains("/dev/ngXnY"), why);
        assertTrue(NvmeDevices.whyNotGeneric(dir.resolve("missing")).orElseThrow().contains("ENOENT"));
    }

    @Test
    void anotherCharacterDeviceIsRefusedNamingIt() {
        String why = NvmeDevices.whyNotGeneric(Path.of("/dev/null")).orElseThrow();
        assertTrue(why.contains("1:3") && why.contains("not an NVMe generic"), why);
    }

    @Test
    void onlyGenericNamesAreListed(@TempDir Path dev) throws IOException {
        for (String n : new String[] {"ng1n1", "ng0n1", "nvme0n1", "ng0", "null"}) {
            Files.createFile(dev.resolve(n));
        }
        assertEquals(List.of(dev.resolve("ng0n1"), dev.resolve("ng1n1")), NvmeDevices.list(dev));
    }
}
