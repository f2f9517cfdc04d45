package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.Statx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's flock: a live holder is refused at once, a holder that is gone is waited out. */
class StoreLockTest {
    @TempDir
    Path dir;

    @Test
    void procLocksLinesAreReadForOneFileOnly() {
        List<String> lines = List.of(
                "1: FLOCK  ADVISORY  WRITE 8065 fe:00:2146305 0 EOF",
                "1: -> FLOCK  ADVISORY  WRITE 8070 fe:00:2146305 0 EOF",
                "2: POSIX  ADVISORY  WRITE 9000 fe:00:2146305 0 EOF",
                "3: FLOCK  ADVISORY  WRITE 9100 fe:00:2146306 0 EOF",
                "4: FLOCK  ADVISORY  READ 0 08:11:77 0 EOF",
                "5: OFDLCK ADVISORY  READ  -1 08:11:77 0 EOF",
                "garbage");
        assertEquals(List.of(8065L), StoreLock.holders(lines, 0xfe, 0, 2146305),
                "the holder, not the waiter (->), the POSIX lock or another inode");
        assertEquals(List.of(0L), StoreLock.holders(lines, 8, 17, 77), "hex major:minor, a holder shown as 0");
        assertEquals(List.of(), StoreLock.holders(lines, 8, 17, 78));
    }

    @Test
    void thisProcessIsALiveHolderAndAFinishedOneIsNot() throws Exception {
        assertTrue(StoreLock.anyHolderAlive(List.of(ProcessHandle.current().pid())));
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertFalse(StoreLock.anyHolderAlive(List.of(0L, p.pid())));
    }

    @Test
    void aLockThisProcessHoldsIsRefusedAtOnceNotAfterTheGrace() throws IOException {
        Path p = Files.createFile(dir.resolve("held"));
        try (NativeFile first = NativeFile.open(p, OpenFlag.RDWR);
                NativeFile second = NativeFile.open(p, OpenFlag.RDWR)) {
            assertTrue(first.flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB));
            Statx st = Statx.of(p);
            assertTrue(StoreLock.anyHolderAlive(StoreLock.holders(st)), "/proc/locks names this process");
            AtomicInteger tries = new AtomicInteger();
            assertNull(assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> StoreLock.waitingOutTheGone(st, TimeUnit.MINUTES.toNanos(5), () -> {
                        tries.incrementAndGet();
                        return second.flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB) ? "held" : null;
                    })));
            assertEquals(1, tries.get(), "no second try while a live process holds it");
        }
    }

    /**
     * What a process killed with its store in an io_uring ring leaves: the lock still held by a reference
     * that outlives the process that took it. Here the {@code flock} command takes it on the shell's
     * descriptor and exits; the shell keeps the lock, unnamed, until it ends.
     */
    @Test
    void aLockWhoseTakerIsGoneIsWaitedForUntilReleased() throws Exception {
        assumeTrue(onPath("flock") && onPath("bash"), "the flock command (util-linux) is not installed");
        Path p = Files.createFile(dir.resolve("left"));
        Statx st = Statx.of(p);
        Process shell = new ProcessBuilder("bash", "-c", "exec 9<>\"$1\"; flock -x 9; sleep 0.7", "bash", p.toString())
                .inheritIO().start();
        try (NativeFile f = NativeFile.open(p, OpenFlag.RDWR)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (StoreLock.holders(st).isEmpty() || StoreLock.anyHolderAlive(StoreLock.holders(st))) {
                assertTrue(System.nanoTime() < deadline, "the shell took the lock and flock exited");
                Thread.sleep(5);
            }
            assertFalse(StoreLock.acquire(f, st, TimeUnit.MILLISECONDS.toNanos(50)), "a short grace ends refused");
            assertTrue(shell.isAlive(), "the shell still holds it");
            assertTrue(StoreLock.acquire(f, st, TimeUnit.SECONDS.toNanos(60)), "taken once the shell lets go");
            assertTrue(shell.waitFor(10, TimeUnit.SECONDS));
        } finally {
            shell.destroyForcibly();
        }
    }

    @Test
    void aStoreLeftLockedByAGoneProcessOpensOnceReleased() throws Exception {
        assumeTrue(onPath("flock") && onPath("bash"), "the flock command (util-linux) is not installed");
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = dir.resolve("s.store");
        SlotStore.format(p, RecoveryTest.META + 16 * 8192, 8192, false, o);
        Process shell = new ProcessBuilder("bash", "-c", "exec 9<>\"$1\"; flock -x 9; sleep 0.5", "bash", p.toString())
                .inheritIO().start();
        try {
            Statx st = Statx.of(p);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (StoreLock.holders(st).isEmpty() || StoreLock.anyHolderAlive(StoreLock.holders(st))) {
                assertTrue(System.nanoTime() < deadline, "the shell took the lock and flock exited");
                Thread.sleep(5);
            }
            try (SlotStore s = SlotStore.open(p, o)) {
                s.put(new byte[] {1}, new byte[] {2});
            }
        } finally {
            shell.destroyForcibly();
        }
    }

    private static boolean onPath(String cmd) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, cmd))) {
                return true;
            }
        }
        return false;
    }
}
