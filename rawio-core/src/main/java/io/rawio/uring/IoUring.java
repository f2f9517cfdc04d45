package io.rawio.uring;

import static io.rawio.uring.IoUringConstants.*;

import io.rawio.nativeio.ArchConstants;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Iovec;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.LinuxConstants;
import io.rawio.nativeio.NativeIoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One io_uring instance over raw syscalls: the SQ ring, the CQ ring and the SQE array mapped into
 * this process (one mapping for both rings where IORING_FEAT_SINGLE_MMAP).
 *
 * <p>Not thread-safe: one thread fills SQEs, submits and reaps (the ring may be set up with
 * IORING_SETUP_SINGLE_ISSUER, which the kernel enforces). The kernel reads the SQ tail and writes
 * the CQ tail concurrently with us, so the SQ tail is published with a release store after the SQEs
 * are written, the CQ tail is read with an acquire load before the CQEs are read, and the CQ head is
 * released after the CQEs are consumed (the pairing liburing documents for io_uring_smp_*).
 */
public final class IoUring implements AutoCloseable {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** sizeof(struct io_uring_getevents_arg): sigmask u64, sigmask_sz u32, min_wait_usec u32, ts u64. */
    private static final long GETEVENTS_ARG_SIZE = 24;

    /** Flags rawio asks for by default; each is dropped, with a reason, when the kernel refuses it. */
    static final int[] OPTIONAL_FLAGS = {
        IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_SUBMIT_ALL, IORING_SETUP_CLAMP, IORING_SETUP_CQSIZE
    };

    private final int fd;
    private final Arena arena;
    private final int flags;
    private final int features;
    private final int sqEntries;
    private final int cqEntries;
    private final int sqMask;
    private final int cqMask;
    private final int sqeSize;
    private final int cqeSize;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqHead;
    private final long sqTail;
    private final long sqFlags;
    private final long cqHead;
    private final long cqTail;
    private final long cqOverflow;
    private final long cqes;
    private final List<String> fallbacks;
    private int sqeTail;
    private int sqeHead;
    /** struct io_uring_getevents_arg, then the struct __kernel_timespec it points to. */
    private final MemorySegment waitArg;
    private boolean closed;
    private long enters;

    /** How to set a ring up. */
    public record Setup(int entries, int cqEntries, int extraFlags, int sqThreadIdleMs, boolean defaults) {
        /** entries SQEs, a CQ twice that, and the default optional flags. */
        public static Setup of(int entries) {
            return new Setup(entries, entries * 2, 0, 0, true);
        }

        /** Adds flags such as IORING_SETUP_SQPOLL, IORING_SETUP_IOPOLL, IORING_SETUP_SQE128. */
        public Setup withFlags(int f) {
            return new Setup(entries, cqEntries, extraFlags | f, sqThreadIdleMs, defaults);
        }

        public Setup withSqThreadIdle(int ms) {
            return new Setup(entries, cqEntries, extraFlags, ms, defaults);
        }

        /** No optional flags: the plainest ring the kernel offers. */
        public Setup plain() {
            return new Setup(entries, cqEntries, extraFlags, sqThreadIdleMs, false);
        }
    }

    private IoUring(int fd, Arena arena, MemorySegment params, MemorySegment sqRing, MemorySegment cqRing,
            MemorySegment sqes, List<String> fallbacks) {
        this.fd = fd;
        this.arena = arena;
        this.fallbacks = fallbacks;
        this.flags = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.FLAGS_OFFSET);
        this.features = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.FEATURES_OFFSET);
        this.sqEntries = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.SQ_ENTRIES_OFFSET);
        this.cqEntries = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.CQ_ENTRIES_OFFSET);
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        this.sqHead = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.SQ_HEAD_OFFSET);
        this.sqTail = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.SQ_TAIL_OFFSET);
        this.sqFlags = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.SQ_FLAGS_OFFSET);
        this.cqHead = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.CQ_HEAD_OFFSET);
        this.cqTail = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.CQ_TAIL_OFFSET);
        this.cqOverflow = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.CQ_OVERFLOW_OFFSET);
        this.cqes = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.CQ_CQES_OFFSET);
        this.sqMask = sqRing.get(ValueLayout.JAVA_INT, params.get(ValueLayout.JAVA_INT, ParamsDescriptor.SQ_RING_MASK_OFFSET));
        this.cqMask = cqRing.get(ValueLayout.JAVA_INT, params.get(ValueLayout.JAVA_INT, ParamsDescriptor.CQ_RING_MASK_OFFSET));
        this.sqeSize = sqeSizeOf(flags);
        this.cqeSize = cqeSizeOf(flags);
        // The SQ array indirection: slot i of the ring always names SQE i, set once here.
        long array = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.SQ_ARRAY_OFFSET);
        for (int i = 0; i < sqEntries; i++) {
            sqRing.set(ValueLayout.JAVA_INT, array + 4L * i, i);
        }
        this.sqeTail = (int) INT.getAcquire(sqRing, sqTail);
        this.sqeHead = sqeTail;
        this.waitArg = arena.allocate(GETEVENTS_ARG_SIZE + 16, 8);
    }

    /**
     * Sets up a ring. Optional flags the kernel refuses (EINVAL) are dropped one at a time; what was
     * dropped and why is in {@link #fallbacks()}.
     *
     * @throws NativeIoException when io_uring is unavailable (ENOSYS, EPERM, ENOMEM …)
     */
    public static IoUring create(Setup requested) throws NativeIoException {
        Setup setup = requested;
        List<String> fallbacks = new ArrayList<>();
        int optional = 0;
        if (setup.defaults()) {
            for (int f : OPTIONAL_FLAGS) {
                optional |= f;
            }
        }
        while (true) {
            int wanted = setup.extraFlags() | optional;
            if ((wanted & IORING_SETUP_SQPOLL) != 0) {
                // An SQ poll thread submits for us: DEFER_TASKRUN requires SINGLE_ISSUER without SQPOLL.
                wanted &= ~(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN);
            }
            Arena arena = Arena.ofShared();
            MemorySegment params = arena.allocate(ParamsDescriptor.SIZE, 8);
            params.set(ValueLayout.JAVA_INT, ParamsDescriptor.FLAGS_OFFSET, wanted);
            params.set(ValueLayout.JAVA_INT, ParamsDescriptor.CQ_ENTRIES_OFFSET, setup.cqEntries());
            params.set(ValueLayout.JAVA_INT, ParamsDescriptor.SQ_THREAD_IDLE_OFFSET, setup.sqThreadIdleMs());
            long r = Libc.syscall(ArchConstants.current().sysIoUringSetup(), setup.entries(), params.address(), 0, 0, 0, 0);
            if (r == -Errno.EINVAL && optional != 0) {
                arena.close();
                int drop = Integer.highestOneBit(optional);
                for (int f : OPTIONAL_FLAGS) {
                    if ((optional & f) != 0) {
                        drop = f;
                        break;
                    }
                }
                optional &= ~drop;
                fallbacks.add(IoUringSetupHints.flagName(drop) + " refused by this kernel (EINVAL): set up without it");
                continue;
            }
            int optIn = setup.extraFlags() & (IORING_SETUP_SQPOLL | IORING_SETUP_IOPOLL);
            if (r < 0 && optIn != 0 && (r == -Errno.EINVAL || r == -Errno.EPERM)) {
                // SQPOLL needs CAP_SYS_NICE on older kernels; IOPOLL a polled block device queue:
                // both are requests, not requirements. Set up without, and say so.
                arena.close();
                int drop = Integer.lowestOneBit(optIn);
                fallbacks.add(IoUringSetupHints.flagName(drop) + " refused (" + io.rawio.nativeio.Errno.name((int) -r)
                        + "): set up without it");
                setup = new Setup(setup.entries(), setup.cqEntries(), setup.extraFlags() & ~drop,
                        setup.sqThreadIdleMs(), setup.defaults());
                continue;
            }
            if (r < 0) {
                arena.close();
                throw new NativeIoException("io_uring_setup", (int) -r, null, -1, NativeIoException.UNKNOWN,
                        setup.entries(), IoUringSetupHints.setupHint((int) -r));
            }
            int fd = (int) r;
            try {
                return map(fd, arena, params, fallbacks);
            } catch (NativeIoException | RuntimeException e) {
                Libc.close(fd);
                arena.close();
                throw e;
            }
        }
    }

    private static IoUring map(int fd, Arena arena, MemorySegment params, List<String> fallbacks)
            throws NativeIoException {
        int flags = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.FLAGS_OFFSET);
        int features = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.FEATURES_OFFSET);
        int sqEntries = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.SQ_ENTRIES_OFFSET);
        int cqEntries = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.CQ_ENTRIES_OFFSET);
        int cqeSize = cqeSizeOf(flags);
        int sqeSize = sqeSizeOf(flags);
        long sqSize = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.SQ_ARRAY_OFFSET) + 4L * sqEntries;
        long cqSize = params.get(ValueLayout.JAVA_INT, ParamsDescriptor.CQ_CQES_OFFSET) + (long) cqeSize * cqEntries;
        int prot = LinuxConstants.PROT_READ | LinuxConstants.PROT_WRITE;
        int mflags = LinuxConstants.MAP_SHARED | LinuxConstants.MAP_POPULATE;
        MemorySegment sqRing;
        MemorySegment cqRing;
        if ((features & IORING_FEAT_SINGLE_MMAP) != 0) {
            long size = Math.max(sqSize, cqSize);
            sqRing = mapRegion(arena, fd, IORING_OFF_SQ_RING, size, prot, mflags);
            cqRing = sqRing;
        } else {
            sqRing = mapRegion(arena, fd, IORING_OFF_SQ_RING, sqSize, prot, mflags);
            cqRing = mapRegion(arena, fd, IORING_OFF_CQ_RING, cqSize, prot, mflags);
        }
        MemorySegment sqes = mapRegion(arena, fd, IORING_OFF_SQES, (long) sqeSize * sqEntries, prot, mflags);
        return new IoUring(fd, arena, params, sqRing, cqRing, sqes, fallbacks);
    }

    /** Bytes of one SQE: 128 with IORING_SETUP_SQE128, else 64. */
    private static int sqeSizeOf(int setupFlags) {
        return (setupFlags & IORING_SETUP_SQE128) != 0 ? 128 : SqeDescriptor.SIZE;
    }

    /** Bytes of one CQE: 32 with IORING_SETUP_CQE32, else 16. */
    private static int cqeSizeOf(int setupFlags) {
        return (setupFlags & IORING_SETUP_CQE32) != 0 ? 32 : CqeDescriptor.SIZE;
    }

    private static MemorySegment mapRegion(Arena arena, int fd, long offset, long size, int prot, int flags)
            throws NativeIoException {
        long addr = Libc.mmap(0, size, prot, flags, fd, offset);
        if (addr < 0 && addr > -4096) {
            throw new NativeIoException("mmap io_uring", (int) -addr, null, fd, offset, size, null);
        }
        return MemorySegment.ofAddress(addr).reinterpret(size, arena, s -> Libc.munmap(addr, size));
    }

    // ------------------------------------------------------------------ submission

    /** The next free SQE as a slice, or null when the SQ ring is full. */
    public MemorySegment nextSqe() {
        long at = nextSqeOffset();
        return at < 0 ? null : sqes.asSlice(at, sqeSize);
    }

    /**
     * The offset in {@link #sqeArray()} of the next free SQE, or -1 when the SQ ring is full. The
     * allocation-free form of {@link #nextSqe()} for hot paths: fill it with the
     * {@code SqeDescriptor} methods that take the array and this offset.
     */
    public long nextSqeOffset() {
        int head = (int) INT.getAcquire(sqRing, sqHead);
        if (sqeTail - head >= sqEntries) {
            return -1;
        }
        long at = (long) (sqeTail & sqMask) * sqeSize;
        sqeTail++;
        return at;
    }

    /** Bytes per SQE (64, or 128 with IORING_SETUP_SQE128): an offset over this is the SQE's index. */
    public int sqeSize() {
        return sqeSize;
    }

    /** The SQE array, for {@link #nextSqeOffset()}. */
    public MemorySegment sqeArray() {
        return sqes;
    }

    /** SQEs filled but not yet handed to the kernel. */
    public int pendingSubmissions() {
        return sqeTail - sqeHead;
    }

    /** Free SQE slots. */
    public int sqSpace() {
        return sqEntries - (sqeTail - (int) INT.getAcquire(sqRing, sqHead));
    }

    /**
     * Publishes the filled SQEs and enters the kernel: submits them and, when {@code waitFor > 0},
     * waits until that many completions are available. Returns the number submitted, or -errno
     * (EINTR when a signal interrupted the wait; EAGAIN/EBUSY when the CQ is full: reap, then retry).
     */
    public int submitAndWait(int waitFor) {
        return enter(waitFor, waitFor > 0 ? IORING_ENTER_GETEVENTS : 0, 0, 0);
    }

    /**
     * Submits the filled SQEs and waits up to {@code timeoutNanos} for {@code waitFor} completions
     * (IORING_ENTER_EXT_ARG with a timeout, 5.11: see {@link #canWaitWithTimeout()}). Returns the
     * number submitted, or -errno: -ETIME when the time ran out with nothing submitted, -EINTR.
     */
    public int submitAndWait(int waitFor, long timeoutNanos) {
        if (!canWaitWithTimeout()) {
            throw new UnsupportedOperationException("this kernel has no IORING_FEAT_EXT_ARG (Linux 5.11)");
        }
        long t = Math.max(0, timeoutNanos);
        waitArg.set(ValueLayout.JAVA_LONG, 0, 0L); // sigmask: none
        waitArg.set(ValueLayout.JAVA_INT, 8, 0); // sigmask_sz
        waitArg.set(ValueLayout.JAVA_INT, 12, 0); // min_wait_usec
        waitArg.set(ValueLayout.JAVA_LONG, 16, waitArg.address() + GETEVENTS_ARG_SIZE); // ts
        waitArg.set(ValueLayout.JAVA_LONG, GETEVENTS_ARG_SIZE, t / 1_000_000_000L); // tv_sec
        waitArg.set(ValueLayout.JAVA_LONG, GETEVENTS_ARG_SIZE + 8, t % 1_000_000_000L); // tv_nsec
        return enter(waitFor, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, waitArg.address(), GETEVENTS_ARG_SIZE);
    }

    /**
     * Submits the filled SQEs and lets the kernel post every completion it has ready, without waiting
     * (io_uring_enter with GETEVENTS and no minimum: on a ring with IORING_SETUP_DEFER_TASKRUN the work
     * that posts completions runs only then). Returns the number submitted, or -errno.
     */
    public int submitAndGetEvents() {
        return enter(0, IORING_ENTER_GETEVENTS, 0, 0);
    }

    /** Whether {@link #submitAndWait(int, long)} can wait with a timeout here (IORING_FEAT_EXT_ARG). */
    public boolean canWaitWithTimeout() {
        return (features & IORING_FEAT_EXT_ARG) != 0;
    }

    private int enter(int waitFor, int enterFlags, long arg, long argSize) {
        int toSubmit = sqeTail - sqeHead;
        if (toSubmit > 0) {
            // Release: the SQE contents must be visible before the kernel sees the new tail.
            INT.setRelease(sqRing, sqTail, sqeTail);
        }
        if ((flags & IORING_SETUP_SQPOLL) != 0) {
            if ((((int) INT.getAcquire(sqRing, sqFlags)) & IORING_SQ_NEED_WAKEUP) != 0) {
                enterFlags |= IORING_ENTER_SQ_WAKEUP;
            } else if ((enterFlags & IORING_ENTER_GETEVENTS) == 0) {
                sqeHead = sqeTail;
                return toSubmit;
            }
        }
        if (toSubmit == 0 && enterFlags == 0) {
            return 0;
        }
        long r = Libc.syscall(ArchConstants.current().sysIoUringEnter(), fd,
                (flags & IORING_SETUP_SQPOLL) != 0 ? 0 : toSubmit, waitFor, enterFlags, arg, argSize);
        enters++;
        if (r < 0) {
            return (int) r;
        }
        if ((flags & IORING_SETUP_SQPOLL) != 0) {
            sqeHead = sqeTail;
            return toSubmit;
        }
        sqeHead += (int) r;
        return (int) r;
    }

    /** Consumes available completions; returns how many. Call with a visitor that copies what it needs. */
    public int reap(CqeVisitor visitor) {
        int head = (int) INT.getOpaque(cqRing, cqHead);
        // Acquire: the CQE contents are visible once we see the tail that covers them.
        int tail = (int) INT.getAcquire(cqRing, cqTail);
        int first = head;
        try {
            while (head != tail) {
                // Consumed (head++) before its visitor runs: a visitor that throws never sees it twice.
                long at = cqes + (long) (head++ & cqMask) * cqeSize;
                visitor.completion(cqRing.get(ValueLayout.JAVA_LONG, at + CqeDescriptor.USER_DATA_OFFSET),
                        cqRing.get(ValueLayout.JAVA_INT, at + CqeDescriptor.RES_OFFSET),
                        cqRing.get(ValueLayout.JAVA_INT, at + CqeDescriptor.FLAGS_OFFSET));
            }
        } finally {
            if (head != first) {
                // Release: the kernel may reuse the CQE slots only after we are done reading them.
                INT.setRelease(cqRing, cqHead, head);
            }
        }
        return head - first;
    }

    /** Receives one CQE. */
    @FunctionalInterface
    public interface CqeVisitor {
        void completion(long userData, int res, int flags);
    }

    /** Whether the kernel had to hold completions back because the CQ ring was full. */
    public boolean cqOverflowed() {
        return (((int) INT.getAcquire(sqRing, sqFlags)) & IORING_SQ_CQ_OVERFLOW) != 0;
    }

    // ------------------------------------------------------------------ registration

    long register(int opcode, long arg, int nrArgs) {
        return Libc.syscall(ArchConstants.current().sysIoUringRegister(), fd, opcode, arg, nrArgs, 0, 0);
    }

    /**
     * The index, among {@code registered} (the regions given to {@link #registerBuffers}, in order), of
     * the one that holds {@code [address, address + length)} whole, or -1: a READ_FIXED or WRITE_FIXED
     * of that range names this buffer index.
     */
    public static int registeredIndex(MemorySegment[] registered, long address, long length) {
        for (int i = 0; i < registered.length; i++) {
            long start = registered[i].address();
            if (address >= start && address + length <= start + registered[i].byteSize()) {
                return i;
            }
        }
        return -1;
    }

    /**
     * IORING_REGISTER_BUFFERS: pins the regions so READ_FIXED/WRITE_FIXED skip the per-I/O page
     * mapping. Buffer i of the registration is {@code regions[i]}.
     */
    public void registerBuffers(MemorySegment... regions) throws NativeIoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment iov = a.allocate(Iovec.SIZE * regions.length, 8);
            for (int i = 0; i < regions.length; i++) {
                Iovec.set(iov, i, regions[i], regions[i].byteSize());
            }
            long r = register(IORING_REGISTER_BUFFERS, iov.address(), regions.length);
            if (r < 0) {
                String hint = -r == Errno.ENOMEM
                        ? "RLIMIT_MEMLOCK is too low to pin the buffers: raise it (ulimit -l) or run as root"
                        : -r == Errno.EBUSY ? "buffers are already registered" : null;
                throw new NativeIoException("io_uring_register BUFFERS", (int) -r, null, fd, NativeIoException.UNKNOWN,
                        totalBytes(regions), hint);
            }
        }
    }

    private static long totalBytes(MemorySegment[] regions) {
        long t = 0;
        for (MemorySegment r : regions) {
            t += r.byteSize();
        }
        return t;
    }

    public void unregisterBuffers() throws NativeIoException {
        long r = register(IORING_UNREGISTER_BUFFERS, 0, 0);
        if (r < 0 && r != -Errno.ENXIO) {
            throw new NativeIoException("io_uring_register UNREGISTER_BUFFERS", (int) -r, null);
        }
    }

    /** IORING_REGISTER_FILES: file i of the table is {@code fds[i]}, used with IOSQE_FIXED_FILE. */
    public void registerFiles(int... fds) throws NativeIoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment arr = a.allocateFrom(ValueLayout.JAVA_INT, fds);
            long r = register(IORING_REGISTER_FILES, arr.address(), fds.length);
            if (r < 0) {
                throw new NativeIoException("io_uring_register FILES", (int) -r, null);
            }
        }
    }

    public void unregisterFiles() throws NativeIoException {
        long r = register(IORING_UNREGISTER_FILES, 0, 0);
        if (r < 0 && r != -Errno.ENXIO) {
            throw new NativeIoException("io_uring_register UNREGISTER_FILES", (int) -r, null);
        }
    }

    /**
     * IORING_REGISTER_ENABLE_RINGS: starts a ring set up with IORING_SETUP_R_DISABLED. With
     * IORING_SETUP_SINGLE_ISSUER the calling thread becomes the one that submits: a ring made on one
     * thread and driven from another is set up disabled and enabled on the driving thread.
     */
    public void enable() throws NativeIoException {
        long r = register(IORING_REGISTER_ENABLE_RINGS, 0, 0);
        if (r < 0) {
            throw new NativeIoException("io_uring_register ENABLE_RINGS", (int) -r, null);
        }
    }

    /** IORING_REGISTER_PROBE: the opcodes this kernel supports. */
    public List<Integer> probe() throws NativeIoException {
        try (Arena a = Arena.ofConfined()) {
            int n = 256;
            MemorySegment p = a.allocate(16 + 8L * n, 8);
            long r = register(IORING_REGISTER_PROBE, p.address(), n);
            if (r < 0) {
                throw new NativeIoException("io_uring_register PROBE", (int) -r, null);
            }
            int len = Byte.toUnsignedInt(p.get(ValueLayout.JAVA_BYTE, 1));
            List<Integer> ops = new ArrayList<>();
            for (int i = 0; i < len; i++) {
                long at = 16 + 8L * i;
                short opFlags = p.get(ValueLayout.JAVA_SHORT, at + 2);
                if ((opFlags & IO_URING_OP_SUPPORTED) != 0) {
                    ops.add(Byte.toUnsignedInt(p.get(ValueLayout.JAVA_BYTE, at)));
                }
            }
            return ops;
        }
    }

    // ------------------------------------------------------------------ state

    public int fd() {
        return fd;
    }

    public int sqEntries() {
        return sqEntries;
    }

    public int cqEntries() {
        return cqEntries;
    }

    /** The setup flags the ring really has. */
    public int flags() {
        return flags;
    }

    public int features() {
        return features;
    }

    /** The optional flags the kernel refused, and what was done instead. */
    public List<String> fallbacks() {
        return List.copyOf(fallbacks);
    }

    /** io_uring_enter calls made. */
    public long enters() {
        return enters;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        arena.close();
        Libc.close(fd);
    }

    // ------------------------------------------------------------------ availability, probed once

    private static final Optional<String> UNAVAILABLE = probeAvailability();
    private static final List<Integer> SUPPORTED_OPS = probeOps();

    private static Optional<String> probeAvailability() {
        if (!ArchConstants.supported()) {
            return Optional.of("unsupported architecture: " + System.getProperty("os.arch"));
        }
        try (IoUring r = create(Setup.of(2).plain())) {
            return Optional.empty();
        } catch (NativeIoException e) {
            return Optional.of(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(String.valueOf(e.getMessage()));
        }
    }

    private static List<Integer> probeOps() {
        if (UNAVAILABLE.isPresent()) {
            return List.of();
        }
        try (IoUring r = create(Setup.of(2).plain())) {
            return List.copyOf(r.probe());
        } catch (NativeIoException e) {
            return List.of();
        }
    }

    /** Whether io_uring can be used here. */
    public static boolean available() {
        return UNAVAILABLE.isEmpty();
    }

    /** Why io_uring cannot be used here, or empty. */
    public static Optional<String> unavailableReason() {
        return UNAVAILABLE;
    }

    /** The opcodes IORING_REGISTER_PROBE reported, as numbers. */
    public static List<Integer> supportedOpcodes() {
        return SUPPORTED_OPS;
    }

    public static boolean supports(int opcode) {
        return SUPPORTED_OPS.contains(opcode);
    }
}
