package io.rawio.store;

import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.Statx;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Takes a store's exclusive flock, and tells a store held by a live process from one held only by
 * the remains of a process that is gone.
 *
 * <p>An flock belongs to the open file, not to the process: it is released when the last reference
 * to the file is dropped. A process killed while it had the store registered in an io_uring ring (or
 * reads in flight) leaves references that the kernel drops later, in the ring's asynchronous
 * teardown, so for a moment after the process is gone the store still looks held. A server restarted
 * at once after {@code kill -9} must not be refused for that. So when the lock is taken, this reads
 * who holds it from {@code /proc/locks}: when every holder listed for the file is gone (exited, a
 * zombie, or shown as 0 from outside this PID namespace) the lock is tried again until a deadline;
 * a live holder, or none listed, is refused at once. The exclusive open of a block device (O_EXCL,
 * held by the same open file) is waited for by the same rule, within the same deadline.
 */
final class StoreLock {
    /** How long a lock whose holders are all gone is waited for before the store is refused as in use. */
    static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long RETRY_MILLIS = 20;
    private static final Path PROC_LOCKS = Path.of("/proc/locks");

    private StoreLock() {
    }

    /** One try at taking a hold on the store: the hold, or null when someone else has it. */
    @FunctionalInterface
    interface Attempt<T> {
        T tryOnce() throws IOException;
    }

    /**
     * Takes an exclusive flock on {@code file} (the file {@code stat} describes). Returns false when it
     * is held by a live process, or by no process /proc/locks can name, or still held at
     * {@code deadlineNanos} ({@link System#nanoTime()}).
     */
    static boolean acquire(NativeFile file, Statx stat, long deadlineNanos) throws IOException {
        return waitingOutTheGone(stat, deadlineNanos,
                () -> file.flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB) ? Boolean.TRUE : null) != null;
    }

    /**
     * Runs {@code attempt} until it gets its hold. While it is refused and /proc/locks shows an flock on
     * the file whose every holder is gone, tries again every 20 ms until {@code deadlineNanos}. Refused
     * at once (null) when a holder is alive, or when no flock on the file is listed at all: then what
     * holds it is not a process's remains (a mounted device, a file system whose device numbers
     * /proc/locks gives otherwise), and waiting would not help.
     *
     * @throws InterruptedIOException when the thread is interrupted while it waits
     */
    static <T> T waitingOutTheGone(Statx stat, long deadlineNanos, Attempt<T> attempt) throws IOException {
        T held = attempt.tryOnce();
        while (held == null) {
            List<Long> holders = holders(stat);
            if (holders.isEmpty()) {
                return attempt.tryOnce(); // (or its holder let go between the try and the look)
            }
            if (anyHolderAlive(holders) || System.nanoTime() - deadlineNanos >= 0) {
                return null;
            }
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the store's lock");
            }
            held = attempt.tryOnce();
        }
        return held;
    }

    /**
     * The PIDs /proc/locks gives for the flocks on the file {@code stat} describes (0 for a holder that
     * is gone or outside this PID namespace); empty when /proc/locks cannot be read.
     */
    static List<Long> holders(Statx stat) {
        try {
            return holders(Files.readAllLines(PROC_LOCKS), stat.devMajor(), stat.devMinor(), stat.inode());
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /**
     * Parses /proc/locks lines ({@code "1: FLOCK  ADVISORY  WRITE 8065 fe:00:2146305 0 EOF"}: the
     * device as hexadecimal major:minor, the inode in decimal) for the flocks on one file. Lines of
     * blocked waiters ({@code "1: -> FLOCK ..."}) are not holders and are skipped.
     */
    static List<Long> holders(List<String> procLocks, int major, int minor, long inode) {
        String id = String.format("%02x:%02x:%d", major, minor, inode);
        List<Long> pids = new ArrayList<>();
        for (String line : procLocks) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[1].equals("FLOCK") && f[5].equalsIgnoreCase(id)) {
                try {
                    pids.add(Long.parseLong(f[4]));
                } catch (NumberFormatException e) {
                    // not a line of the known shape
                }
            }
        }
        return pids;
    }

    /** Whether any of {@code pids} is a running (not zombie) process. */
    static boolean anyHolderAlive(List<Long> pids) {
        for (long pid : pids) {
            if (pid > 0 && ProcessHandle.of(pid).map(StoreLock::running).orElse(false)) {
                return true;
            }
        }
        return false;
    }

    private static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            // /proc/PID/stat: "PID (comm) S ...": the state follows the last ')'.
            String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false; // gone while we looked
        }
    }
}
