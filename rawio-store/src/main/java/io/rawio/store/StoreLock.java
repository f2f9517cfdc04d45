package io.rawio.store;

import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.Statx;
import java.io.IOException;
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
 * who holds it from {@code /proc/locks}: a holder that is a live process is refused at once; otherwise
 * (the holder is gone, a zombie, or not visible from this PID namespace) the lock is tried again until
 * a grace period ends. The exclusive open of a block device (O_EXCL, held the same way) is waited for
 * by the same rule.
 */
final class StoreLock {
    /** How long a lock with no live holder is waited for before the store is refused as in use. */
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
     * Takes an exclusive flock on {@code file} (the file {@code stat} describes). Returns false when a
     * live process holds it, or when the lock is still held after {@code graceNanos}.
     */
    static boolean acquire(NativeFile file, Statx stat, long graceNanos) throws IOException {
        return waitingOutTheGone(stat, graceNanos,
                () -> file.flock(LinuxConstants.LOCK_EX | LinuxConstants.LOCK_NB) ? Boolean.TRUE : null) != null;
    }

    /**
     * Runs {@code attempt} until it gets its hold; while it is refused and no live process holds an flock
     * on the file, tries again every 20 ms until {@code graceNanos} have passed. Null when refused.
     */
    static <T> T waitingOutTheGone(Statx stat, long graceNanos, Attempt<T> attempt) throws IOException {
        T held = attempt.tryOnce();
        long deadline = System.nanoTime() + graceNanos;
        while (held == null && !anyHolderAlive(holders(stat)) && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
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
