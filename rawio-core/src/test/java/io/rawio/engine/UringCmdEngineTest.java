package io.rawio.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the uring-cmd engine does without an NVMe device; on one, see {@link UringCmdEngineConformanceTest}. */
class UringCmdEngineTest {

    @Test
    void itIsAKnownEngine() {
        assertTrue(IoEngines.names().contains("uring-cmd"));
    }

    @Test
    void aRegularFileIsRefusedWithTheReason(@TempDir Path dir) throws IOException {
        Path f = Files.write(dir.resolve("data"), new byte[4096]);
        try (UringCmdEngine engine = new UringCmdEngine(new EngineConfig(8))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.open(f, OpenOptions.readWrite()));
            assertTrue(e.getMessage().contains("not a character device") && e.getMessage().contains("/dev/ngXnY"),
                    e.getMessage());
        }
    }

    @Test
    void anotherCharacterDeviceIsRefused() {
        try (UringCmdEngine engine = new UringCmdEngine(new EngineConfig(8))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.open(Path.of("/dev/null"), OpenOptions.readOnly()));
            assertTrue(e.getMessage().contains("not an NVMe generic character device"), e.getMessage());
        }
    }
}
