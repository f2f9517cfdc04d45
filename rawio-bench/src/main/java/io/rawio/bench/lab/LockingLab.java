package io.rawio.bench.lab;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * flock(2) vs fcntl(2) process-associated (POSIX) record locks vs open-file-description (OFD) locks:
 * the cost of acquire + release, uncontended, contended between two threads (each with its own open
 * file description), and contended between two processes.
 *
 * <p>The classic surprise it shows: POSIX record locks belong to the process, so two threads of one
 * process never exclude each other with them; flock and OFD locks belong to the open file
 * description and do.
 */
public final class LockingLab implements Lab {
    /** struct flock (include/uapi/asm-generic/fcntl.h, 64-bit): type, whence, start, len, pid. */
    static final long FLOCK_SIZE = 32;
    static final long L_TYPE = 0;
    static final long L_WHENCE = 2;
    static final long L_START = 8;
    static final long L_LEN = 16;
    static final long L_PID = 24;

    enum Kind { FLOCK, FCNTL, OFD }

    @Override
    public String name() {
        return "locking";
    }

    @Override
    public String summary() {
        return "flock vs fcntl vs OFD locks: acquire+release cost, uncontended and contended, threads and processes";
    }

    /** Takes and releases one kind of lock on one open file description. */
    static final class Locker implements AutoCloseable {
        final Kind kind;
        final NativeFile file;
        final Arena arena = Arena.ofConfined();
        final MemorySegment fl = arena.allocate(FLOCK_SIZE, 8);

        Locker(Kind kind, Path path) throws IOException {
            this.kind = kind;
            this.file = NativeFile.open(path, OpenFlag.RDWR, OpenFlag.CREAT);
        }

        void lock(boolean exclusive) throws NativeIoException {
            call(exclusive ? LinuxConstants.F_WRLCK : LinuxConstants.F_RDLCK, exclusive ? LinuxConstants.LOCK_EX
                    : LinuxConstants.LOCK_SH);
        }

        void unlock() throws NativeIoException {
            call(LinuxConstants.F_UNLCK, LinuxConstants.LOCK_UN);
        }

        private void call(short type, int flockOp) throws NativeIoException {
            int r;
            do {
                if (kind == Kind.FLOCK) {
                    r = Libc.flock(file.fd(), flockOp);
                } else {
                    fl.fill((byte) 0);
                    fl.set(ValueLayout.JAVA_SHORT, L_TYPE, type);
                    fl.set(ValueLayout.JAVA_SHORT, L_WHENCE, (short) 0); // SEEK_SET
                    fl.set(ValueLayout.JAVA_LONG, L_START, 0);
                    fl.set(ValueLayout.JAVA_LONG, L_LEN, 0); // to end of file: the whole file
                    r = Libc.fcntl(file.fd(), kind == Kind.OFD ? LinuxConstants.F_OFD_SETLKW : LinuxConstants.F_SETLKW, fl);
                }
            } while (r == -Errno.EINTR);
            if (r < 0) {
                throw new NativeIoException(kind == Kind.FLOCK ? "flock" : "fcntl", -r, file.path().toString());
            }
        }

        @Override
        public void close() throws IOException {
            file.close();
            arena.close();
        }
    }

    @Override
    public LabResult run(LabContext ctx) throws IOException {
        int iterations = ctx.quick() ? 20_000 : 200_000;
        Path path = ctx.workDir().resolve("rawio-lab-locking.lock");
        LabResult r = new LabResult(name(), "File locks: acquire + release",
                List.of("lock", "uncontended (ns)", "2 threads (ns)", "threads exclude?", "2 processes (ns)"));
        Map<String, List<double[]>> bars = new LinkedHashMap<>();
        List<Map<String, Object>> raw = new ArrayList<>();
        try {
            int k = 0;
            for (Kind kind : Kind.values()) {
                ctx.say("locking: " + kind);
                double alone = uncontended(kind, path, iterations);
                double[] threads = twoThreads(kind, path, iterations / 4);
                double procs = twoProcesses(kind, path, iterations / 4);
                boolean excludes = threads[1] == 0;
                r.row(kind.name(), alone, threads[0], excludes ? "yes" : "NO (" + (long) threads[1] + " overlaps)",
                        procs < 0 ? "n/a" : procs);
                k++;
                bars.computeIfAbsent("uncontended", x -> new ArrayList<>()).add(new double[] {k, alone});
                bars.computeIfAbsent("2 threads", x -> new ArrayList<>()).add(new double[] {k, threads[0]});
                if (procs >= 0) {
                    bars.computeIfAbsent("2 processes", x -> new ArrayList<>()).add(new double[] {k, procs});
                }
                raw.add(Map.of("kind", kind.name(), "uncontended_ns", alone, "threads_ns", threads[0],
                        "thread_overlaps", (long) threads[1], "processes_ns", procs, "iterations", iterations));
            }
        } finally {
            Files.deleteIfExists(path);
        }
        r.finding("POSIX (fcntl F_SETLKW) locks belong to the process: two threads of it both 'hold' the lock at once."
                + " flock and OFD locks belong to the open file description, so each thread's own open excludes the other.");
        r.finding(String.format(Locale.ROOT, "Uncontended, a lock+unlock pair is a system call pair: %s ns for flock,"
                + " %s for fcntl, %s for OFD.", LabReport.cell(r.rows().get(0).get(1)), LabReport.cell(r.rows().get(1).get(1)),
                LabReport.cell(r.rows().get(2).get(1))));
        r.chart(new LabResult.Chart("locks", "ns per lock+unlock (1 flock, 2 fcntl, 3 OFD)", "lock kind", "ns", false, bars));
        r.raw("results", raw);
        return r;
    }

    private static double uncontended(Kind kind, Path path, int n) throws IOException {
        try (Locker l = new Locker(kind, path)) {
            for (int i = 0; i < n / 10; i++) {
                l.lock(true);
                l.unlock();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                l.lock(true);
                l.unlock();
            }
            return (System.nanoTime() - t0) / (double) n;
        }
    }

    /** Two threads, each with its own open file description, take turns; counts overlaps inside. */
    private static double[] twoThreads(Kind kind, Path path, int n) throws IOException {
        int[] inside = {0};
        long[] overlaps = {0};
        List<Throwable> errors = new ArrayList<>();
        // The clock starts once both threads exist and have opened their file: only the turns are timed.
        CountDownLatch opened = new CountDownLatch(2);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                boolean counted = false;
                try (Locker l = new Locker(kind, path)) {
                    opened.countDown();
                    counted = true;
                    go.await();
                    for (int i = 0; i < n; i++) {
                        l.lock(true);
                        synchronized (inside) {
                            if (++inside[0] > 1) {
                                overlaps[0]++;
                            }
                        }
                        Thread.onSpinWait();
                        synchronized (inside) {
                            inside[0]--;
                        }
                        l.unlock();
                    }
                } catch (IOException e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    if (!counted) {
                        opened.countDown();
                    }
                }
            }));
        }
        long t0;
        try {
            opened.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            t0 = System.nanoTime();
            go.countDown();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!errors.isEmpty()) {
            throw new IOException(errors.getFirst().getMessage(), errors.getFirst());
        }
        return new double[] {(System.nanoTime() - t0) / (2.0 * n), overlaps[0]};
    }

    /** This process and a child JVM hammer the same lock; ns per acquire+release in this process. */
    private static double twoProcesses(Kind kind, Path path, int n) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(null);
        if (java == null) {
            return -1;
        }
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Child.class.getName(), kind.name(), path.toString(),
                String.valueOf(n)).redirectErrorStream(true).start();
        try {
            // Wait for the child to start its loop, so the two really contend.
            int b = child.getInputStream().read();
            if (b < 0) {
                return -1;
            }
            double ns;
            try (Locker l = new Locker(kind, path)) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    l.lock(true);
                    l.unlock();
                }
                ns = (System.nanoTime() - t0) / (double) n;
            }
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
            return ns;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroyForcibly();
            return -1;
        }
    }

    /** The child process of the two-process measurement. */
    public static final class Child {
        private Child() {
        }

        public static void main(String[] args) throws IOException {
            Kind kind = Kind.valueOf(args[0]);
            int n = Integer.parseInt(args[2]);
            try (Locker l = new Locker(kind, Path.of(args[1]))) {
                System.out.write('s');
                System.out.flush();
                for (int i = 0; i < n; i++) {
                    l.lock(true);
                    l.unlock();
                }
            }
        }
    }
}
