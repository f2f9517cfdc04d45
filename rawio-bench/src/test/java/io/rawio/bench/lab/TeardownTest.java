package io.rawio.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Privileges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a root lab set up is gone afterwards, also when the lab failed halfway. */
class TeardownTest {
    @TempDir
    Path dir;

    @Test
    void undoesNewestFirstAndKeepsGoingPastAFailure() throws IOException {
        List<String> done = new ArrayList<>();
        Teardown t = new Teardown();
        t.add("a", () -> done.add("a"));
        t.add("b", () -> {
            throw new IOException("busy");
        });
        t.add("c", () -> done.add("c"));
        assertEquals(List.of("c", "b", "a"), t.pending());
        IOException e = assertThrows(IOException.class, t::close);
        assertEquals("could not undo: b: busy", e.getMessage());
        assertEquals(List.of("c", "a"), done);
        t.close(); // idempotent: nothing is undone twice
        assertEquals(List.of("c", "a"), done);
        assertThrows(IllegalStateException.class, () -> t.add("d", () -> { }));
    }

    @Test
    void scratchFilesAndSettingsAreRestored() throws IOException {
        Path setting = Files.writeString(dir.resolve("setting"), "old");
        Path file;
        try (Teardown t = new Teardown()) {
            file = t.file(dir.resolve("scratch"), 1 << 20);
            assertEquals(1 << 20, Files.size(file));
            assertTrue(t.set(setting, "new", "old"));
            assertEquals("new", Files.readString(setting));
            assertFalse(t.set(dir.resolve("no-such-dir/x"), "1", "0"), "a refused write changes nothing");
        }
        assertFalse(Files.exists(file));
        assertEquals("old", Files.readString(setting));
    }

    @Test
    void aLabFailingHalfwayLeavesNoLoopDeviceOrMount() throws IOException {
        assumeTrue(Privileges.isRoot(), "needs root for losetup and mount");
        assumeTrue(Shell.has("losetup") && Shell.has("mkfs.ext4"), "needs losetup and mkfs.ext4");
        Path image = dir.resolve("img");
        Path mnt = dir.resolve("mnt");
        String[] dev = new String[1];
        IOException e = assertThrows(IOException.class, () -> {
            try (Teardown t = new Teardown()) {
                dev[0] = t.loop(image, 64L << 20);
                t.mkfs(dev[0], "ext4", "-q", "-F");
                t.mount(dev[0], mnt);
                Files.writeString(mnt.resolve("f"), "x");
                assertTrue(Files.readString(Path.of("/proc/mounts")).contains(mnt.toString()));
                throw new IOException("the lab failed halfway");
            }
        });
        assertEquals("the lab failed halfway", e.getMessage());
        assertFalse(Files.readString(Path.of("/proc/mounts")).contains(mnt.toString()), "unmounted");
        assertFalse(Shell.run("losetup", "-a").output().contains(image.toString()), "loop device detached");
        assertFalse(Files.exists(image), "image removed");
        assertFalse(Files.exists(mnt), "mount point removed");
    }
}
