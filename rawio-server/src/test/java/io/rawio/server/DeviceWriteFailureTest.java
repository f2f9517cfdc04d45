package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.store.FormatProgress;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import io.rawio.store.SuperblockDescriptor;
import io.rawio.testing.Root;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A write the device itself fails, with the store's own engine (io_uring where the system has it): on the
 * io_uring loop the wave's writes go into the loop's own ring ({@code store_batches_on_loop_ring}), which
 * {@link StoreWriteFailureTest}'s fault-injecting engine cannot reach. The store is on a loop device over a
 * file in a small tmpfs; once the file's slots after the first are punched out and the tmpfs is filled, a
 * write there finds no page and the loop device fails it with EIO. The SET it carried is an {@code -ERR},
 * later writes are refused, and reads go on. Needs root (mount, losetup); skipped without it.
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class DeviceWriteFailureTest {
    private static final long STORE_BYTES = 32L << 20;

    @Parameter
    String loop;

    @TempDir
    Path dir;

    @Test
    void aWriteTheDeviceFailsIsAnErrorAndLaterWritesAreRefusedWhileReadsGoOn() throws Exception {
        RunningServer.assumeLoop(loop);
        assumeTrue(Root.isRoot(), "needs root: a tmpfs mount and a loop device");
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        assumeTrue(Root.mountTmpfs(mnt, STORE_BYTES + (8L << 20)), "could not mount a tmpfs");
        String dev = null;
        try {
            Path backing = mnt.resolve("backing");
            try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
                f.setLength(STORE_BYTES);
            }
            String attached = Root.output("losetup", "-f", "--show", backing.toString());
            assumeTrue(attached != null && attached.startsWith("/dev/loop"), "losetup could not attach a loop device");
            dev = attached;
            StoreOptions o = StoreOptions.defaults().withEngine(RunningServer.engine());
            SlotStore.format(Path.of(dev), 0, SlotClasses.forMaxValue(64 << 10), true, o,
                    Preallocation.WRITE_ZEROS, FormatProgress.NONE);
            SlotStore store = SlotStore.open(Path.of(dev), o);
            SuperblockDescriptor.SlotClass smallest = store.superblock().classes().getFirst();
            try (RunningServer rs = new RunningServer(loop, store, 128 << 10);
                    RespClient a = new RespClient(rs.server.address());
                    RespClient b = new RespClient(rs.server.address())) {
                assertEquals("+OK\r\n", a.call("SET", "before", "kept"), "the first slot of the smallest class");
                // Every page after that slot goes, and the tmpfs is filled: a write there has no page to land in.
                long from = (smallest.slotsOffset() + smallest.slotSize() + 4095) & ~4095L;
                assertEquals(0, Root.run("fallocate", "-p", "-o", Long.toString(from), "-l",
                        Long.toString(STORE_BYTES - from), backing.toString()), "punching the slots out");
                fill(mnt.resolve("filler"));

                String failed = a.call("SET", "during", "lost");
                assertTrue(failed.startsWith("-ERR ") && failed.endsWith("\r\n")
                        && failed.indexOf('\n') == failed.length() - 1, "one error line for the failed write: " + failed);
                for (String[] write : new String[][] {{"SET", "after", "x"}, {"MSET", "m1", "1", "m2", "2"},
                        {"SET", "before", "changed"}, {"DEL", "before"}}) {
                    String r = b.call(write);
                    assertTrue(r.startsWith("-ERR "), "refused: " + String.join(" ", write) + " -> " + r);
                }
                assertEquals("$4\r\nkept\r\n", b.call("GET", "before"), "reads go on, and the old value is unchanged");
                assertEquals("$-1\r\n", b.call("GET", "during"), "nothing of the failed SET is stored");
                assertEquals("*2\r\n$-1\r\n$-1\r\n", a.call("MGET", "m1", "m2"));
                assertEquals("+PONG\r\n", a.call("PING"), "the server serves on");
                String info = a.call("INFO", "rawio");
                if (loop.equals("uring") && RunningServer.engine().equals("uring")) {
                    assertTrue(info.contains("store_batches_on_loop_ring:1"),
                            "the failed write went into the loop's own ring: " + info);
                }
            }
        } finally {
            if (dev != null) {
                Root.run("losetup", "-d", dev);
            }
            Root.unmount(mnt);
        }
    }

    /** Writes {@code file} until the file system is full. */
    private static void fill(Path file) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 1024; i++) {
                chunk.clear();
                ch.write(chunk);
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
            return;
        }
        throw new AssertionError("the tmpfs took 1 GiB: it was not full");
    }
}
