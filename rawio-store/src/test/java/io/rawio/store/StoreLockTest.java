package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.Statx;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's flock: a live holder (or none listed) is refused at once, a lock whose holders are all
 * gone is waited out. The shells here hold their lock until their standard input is closed, so no
 * test depends on how long anything takes.
 */
class StoreLockTest {
    private static final long FAR = TimeUnit.MINUTES.toNanos(5);

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
                "6: FLOCK  ADVISORY  WRITE 4242 103:101:99 0 EOF",
                "garbage");
        assertEquals(List.of(8065L), StoreLock.holders(lines, 0xfe, 0, 2146305),
                "the holder, not the waiter (->), the POSIX lock or another inode");
        assertEquals(List.of(0L), StoreLock.holders(lines, 8, 17, 77), "hex major:minor, a holder shown as 0");
        assertEquals(List.of(4242L), StoreLock.holders(lines, 259, 257, 99), "numbers past 0xff");
        assertEquals(List.of(), StoreLock.holders(lines, 8, 17, 78));
    }

    @Test
    void thisProcessIsALiveHolderAndAFinishedOneIsNot() throws Exception {
        long self = ProcessHandle.current().pid();
        assertTrue(StoreLock.anyHolderAlive(List.of(self)));
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertFalse(StoreLock.anyHolderAlive(List.of(0L, p.pid())));
        assertTrue(StoreLock.anyHolderAlive(List.of(0L, p.pid(), self)), "one alive");
    }

    @Test
    void aLockThisProcessHoldsIsRefusedWithoutWaiting() throws IOException {
        Path p = Files.createFile(dir.resolve("held"));
        try (NativeFile first = NativeFile.open(p, OpenFlag.RDWR);
                NativeFile second = NativeFile.open(p, OpenFlag.RDWR)) {
            assertTrue(first.flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB));
            Statx st = Statx.of(p);
            assertTrue(StoreLock.anyHolderAlive(StoreLock.holders(st)), "/proc/locks names this process");
            AtomicInteger tries = new AtomicInteger();
            assertNull(assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> StoreLock.waitingOutTheGone(st, System.nanoTime() + FAR, () -> {
                        tries.incrementAndGet();
                        return second.flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB) ? "held" : null;
                    })));
            assertEquals(1, tries.get(), "no second try while a live process holds it");
        }
    }

    @Test
    void aHoldNoFlockExplainsIsRefusedWithoutWaiting() throws IOException {
        Path p = Files.createFile(dir.resolve("busy"));
        AtomicInteger tries = new AtomicInteger();
        assertNull(assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> StoreLock.waitingOutTheGone(Statx.of(p), System.nanoTime() + FAR, () -> {
                    tries.incrementAndGet();
                    return null; // refused (EBUSY, say) with no flock on the file
                })));
        assertEquals(2, tries.get(), "tried again once only (the lock may have gone between try and look)");
    }

    @Test
    void anotherLiveProcessIsRefusedWithoutWaiting() throws Exception {
        assumeTrue(onPath("flock"), "the flock command (util-linux) is not installed");
        Path p = Files.createFile(dir.resolve("other"));
        Statx st = Statx.of(p);
        // flock(1) takes the lock, runs cat (which reads its standard input) and waits for it: alive.
        Process holder = new ProcessBuilder("flock", "-x", p.toString(), "cat")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (NativeFile f = NativeFile.open(p, OpenFlag.RDWR)) {
            awaitHolders(st, false);
            assertFalse(assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> StoreLock.acquire(f, st, System.nanoTime() + FAR)));
        } finally {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
    }

    /**
     * What a process killed with its store in an io_uring ring leaves: the lock still held by a reference
     * that outlives the process that took it. Here the {@code flock} command takes it on the shell's
     * descriptor and exits; the shell keeps the lock, its taker gone, until its input is closed.
     */
    @Test
    void aLockWhoseTakerIsGoneIsWaitedForUntilReleased() throws Exception {
        withALockLeftOnAFile("left", (shell, f, st) -> {
            assertFalse(StoreLock.acquire(f, st, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50)),
                    "refused when the deadline passes first");
            assertTrue(shell.isAlive(), "the shell still holds it");
            releaseSoon(shell);
            assertTrue(StoreLock.acquire(f, st, System.nanoTime() + FAR), "taken once the shell lets go");
        });
    }

    @Test
    void aWaitIsInterruptible() throws Exception {
        withALockLeftOnAFile("stuck", (shell, f, st) -> {
            Thread.currentThread().interrupt();
            assertThrows(InterruptedIOException.class, () -> StoreLock.acquire(f, st, System.nanoTime() + FAR));
            assertTrue(Thread.interrupted(), "the interrupt is kept");
        });
    }

    @Test
    void aStoreLeftLockedByAGoneProcessOpensOnceReleased() throws Exception {
        StoreOptions o = StoreTesting.psyncOptions();
        Path p = dir.resolve("s.store");
        SlotStore.format(p, RecoveryTest.META + 16 * 8192, 8192, false, o);
        withALockLeftOn(p, shell -> {
            releaseSoon(shell);
            try (SlotStore s = SlotStore.open(p, o)) {
                s.put(new byte[] {1}, new byte[] {2});
            }
        });
    }

    interface ShellBody {
        void run(Process shell) throws Exception;
    }

    interface LockedFileBody {
        void run(Process shell, NativeFile file, Statx stat) throws Exception;
    }

    /** {@link #withALockLeftOn} a new file {@code name}, with the file open here for the body. */
    private void withALockLeftOnAFile(String name, LockedFileBody body) throws Exception {
        Path p = Files.createFile(dir.resolve(name));
        withALockLeftOn(p, shell -> {
            try (NativeFile f = NativeFile.open(p, OpenFlag.RDWR)) {
                body.run(shell, f, Statx.of(p));
            }
        });
    }

    /**
     * Runs {@code body} while a shell holds an flock on {@code p} that its taker (the flock command) has
     * left, once /proc/locks shows it so; the shell lets go when its input closes (at the latest after
     * the body). Skipped where bash or the flock command is missing.
     */
    private static void withALockLeftOn(Path p, ShellBody body) throws Exception {
        assumeTrue(onPath("flock") && onPath("bash"), "the flock command (util-linux) is not installed");
        Process shell = new ProcessBuilder("bash", "-c", "exec 9<>\"$1\"; flock -x 9; read -r _", "bash", p.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            awaitHolders(Statx.of(p), true);
            body.run(shell);
        } finally {
            shell.getOutputStream().close();
            assertTrue(shell.waitFor(30, TimeUnit.SECONDS));
        }
    }

    /** Waits until /proc/locks lists the file's lock, its holders gone ({@code gone}) or alive. */
    private static void awaitHolders(Statx st, boolean gone) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (StoreLock.holders(st).isEmpty() || StoreLock.anyHolderAlive(StoreLock.holders(st)) == gone) {
            assertTrue(System.nanoTime() < deadline, "the lock was taken" + (gone ? " and its taker exited" : ""));
            Thread.sleep(5);
        }
    }

    /** Closes the shell's input from another thread a moment later, while the caller waits for the lock. */
    private static void releaseSoon(Process shell) {
        Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(200);
                shell.getOutputStream().close();
            } catch (IOException | InterruptedException e) {
                // the test's own close ends it
            }
        });
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
