package io.rawio.engine;

import static io.rawio.uring.IoUringConstants.*;

import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Alignment;
import io.rawio.nativeio.Errno;
import io.rawio.nativeio.Libc;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nvme.NvmeDevices;
import io.rawio.nvme.NvmeIdentifyNamespace;
import io.rawio.nvme.NvmeStatus;
import io.rawio.nvme.NvmeTransferLimit;
import io.rawio.nvme.NvmeUringCmdDescriptor;
import io.rawio.uring.IoUring;
import io.rawio.uring.SqeDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code uring-cmd}: NVMe passthrough. Each operation becomes NVMe Read (0x02) / Write (0x01) / Flush
 * (0x00) commands sent with IORING_OP_URING_CMD (cmd_op NVME_URING_CMD_IO) to a namespace's generic
 * character device ({@code /dev/ngXnY}), skipping the block layer and the file system: no page cache,
 * no request merging or splitting, no I/O scheduler.
 *
 * <p>The ring is set up with IORING_SETUP_SQE128 | IORING_SETUP_CQE32, which the NVMe driver requires
 * (the 72-byte {@link NvmeUringCmdDescriptor} does not fit a 64-byte SQE). One ring per calling thread,
 * as in {@link UringEngine}.
 *
 * <p>What differs from the file engines, all stated by the file ({@link NvmeFile}):
 * <ul>
 *   <li>Offsets and lengths are whole logical blocks (the namespace's LBA size): anything else is
 *       refused with -EINVAL before it is submitted. The buffer needs only the queue's DMA alignment.</li>
 *   <li>A command's completion is 0 for success (not a byte count), a positive NVMe status, or
 *       -errno. An operation's result is its length, or the errno its status maps to
 *       ({@link NvmeStatus#errno}), and {@link IoBatch#failure(int)} names the status. A read past the
 *       namespace's end is not short: the device answers LBA Out of Range.</li>
 *   <li>The block layer does not split passthrough commands: an operation longer than the file's
 *       {@link NvmeTransferLimit} is sent as several commands in the same submission, and succeeds
 *       only if every one does.</li>
 *   <li>FSYNC and FDATASYNC are an NVMe Flush (after everything before them in the batch completed);
 *       with {@link SyncMode#DSYNC} or {@link SyncMode#SYNC}, writes carry FUA (Force Unit Access).</li>
 *   <li>Memory offered with {@link #registerMemory} is registered with each ring; a command whose buffer
 *       lies inside it is sent with IORING_URING_CMD_FIXED (Linux 6.1).</li>
 * </ul>
 */
public final class UringCmdEngine extends AbstractIoEngine {
    /** cdw12 bit 30 of Read and Write: Force Unit Access. */
    static final int CDW12_FUA = 1 << 30;
    /**
     * The page size the transfer limit counts segments in. 4 KiB is the smallest page of the
     * architectures rawio runs on, so the limit is never overestimated.
     */
    static final int PAGE_SIZE = 4096;
    /**
     * Registered memory is registered in slices of this many bytes, one io_uring buffer each. Linux
     * 6.1's io_import_fixed leaves the iterator's segment count at the registered buffer's pages from
     * the command's start to the buffer's END, and blk_rq_map_user_bvec refuses more segments than
     * max_segments with EINVAL: a command in a large registered region always failed. 32 pages stay
     * under the 33 segments of the smallest common NVMe limit (128 KiB transfers); a command that
     * crosses two slices goes without IORING_URING_CMD_FIXED.
     */
    static final int FIXED_SLICE_BYTES = 32 * PAGE_SIZE;

    /** user_data: operation index in bits 32-62, command index in 0-31, this bit when sent FIXED. */
    private static final long FIXED_BIT = 1L << 63;

    private final int entries;
    private final int maxInflight;
    private final ThreadRings<Ring> rings = new ThreadRings<>(Ring::close);
    private final CopyOnWriteArrayList<MemorySegment> regions = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<String> notices = new CopyOnWriteArrayList<>();
    private final LongAdder commands = new LongAdder();
    private final LongAdder fixedCommands = new LongAdder();

    public UringCmdEngine(EngineConfig config) {
        super("uring-cmd");
        this.maxInflight = Math.min(config.queueDepth(), 4096);
        this.entries = Integer.highestOneBit(Math.max(2, maxInflight) * 2 - 1);
    }

    /** Why NVMe passthrough with io_uring cannot be used here (any device), or empty. */
    public static Optional<String> unavailableReason() {
        Optional<String> ring = IoUring.unavailableReason();
        if (ring.isPresent()) {
            return ring;
        }
        if (!IoUring.supportedOpcodes().isEmpty() && !IoUring.supports(IORING_OP_URING_CMD)) {
            return Optional.of("this kernel's io_uring lacks IORING_OP_URING_CMD (NVMe passthrough needs Linux 5.19)");
        }
        return Optional.empty();
    }

    /** Commands sent so far (a split operation counts each), and those sent with a registered buffer. */
    public long commands() {
        return commands.sum();
    }

    public long fixedBufferCommands() {
        return fixedCommands.sum();
    }

    /** What the engine changed and why (a refused registration, a dropped setup flag). */
    public List<String> notices() {
        return List.copyOf(notices);
    }

    @Override
    public void registerMemory(MemorySegment region) {
        checkOpen();
        regions.add(region);
    }

    // ------------------------------------------------------------------ open

    /**
     * Opens a namespace's generic character device. Refuses anything else with the reason, and
     * namespaces formatted with metadata. O_DIRECT, O_CREAT and preallocation do not apply (the
     * device has no page cache and a fixed size) and are ignored.
     *
     * @throws IllegalArgumentException when {@code path} is not an NVMe generic device, or its
     *                                  namespace has metadata
     */
    @Override
    public IoFile open(Path path, OpenOptions options) throws IOException {
        checkOpen();
        Optional<String> why = NvmeDevices.whyNotGeneric(path);
        if (why.isPresent()) {
            throw new IllegalArgumentException("engine uring-cmd: " + why.get());
        }
        Set<OpenFlag> flags = EnumSet.copyOf(options.flags());
        // A character device: O_DIRECT is refused by open(2) (no direct_IO), O_CREAT means nothing, and
        // O_SYNC/O_DSYNC do not reach passthrough commands (FUA does, see prepare).
        flags.removeAll(EnumSet.of(OpenFlag.DIRECT, OpenFlag.CREAT, OpenFlag.SYNC, OpenFlag.DSYNC));
        NativeFile file = NativeFile.open(path, flags, NativeFile.DEFAULT_MODE);
        try {
            int nsid = Libc.ioctl(file.fd(), Integer.toUnsignedLong(NvmeUringCmdDescriptor.NVME_IOCTL_ID), MemorySegment.NULL);
            if (nsid <= 0) {
                throw new NativeIoException("ioctl NVME_IOCTL_ID", -nsid, path.toString(), file.fd(),
                        NativeIoException.UNKNOWN, NativeIoException.UNKNOWN, null);
            }
            NvmeIdentifyNamespace.Namespace ns;
            NvmeTransferLimit limit;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment id = AlignedMemory.allocate(a, NvmeIdentifyNamespace.SIZE, PAGE_SIZE);
                identify(file, nsid, NvmeUringCmdDescriptor.NVME_ID_CNS_NS, id);
                ns = NvmeIdentifyNamespace.decode(id);
                if (ns.metadataBytes() != 0) {
                    throw new IllegalArgumentException("engine uring-cmd: " + path + " is formatted with "
                            + ns.metadataBytes() + " bytes of metadata per " + ns.lbaSize() + "-byte block (LBA format "
                            + ns.format() + "): this engine sends no metadata buffer; format the namespace with an"
                            + " LBA format without metadata (nvme format --lbaf=N)");
                }
                int lba = ns.lbaSize();
                Optional<NvmeTransferLimit> sysfs = NvmeDevices.queueDirOf(path)
                        .flatMap(q -> NvmeTransferLimit.fromSysfs(q, PAGE_SIZE, lba));
                if (sysfs.isPresent()) {
                    limit = sysfs.get();
                } else {
                    identify(file, 0, NvmeUringCmdDescriptor.NVME_ID_CNS_CTRL, id);
                    limit = NvmeTransferLimit.ofMdts(NvmeIdentifyNamespace.mdts(id), PAGE_SIZE, lba);
                }
            }
            Alignment alignment = new Alignment(dmaAlignment(path), ns.lbaSize(), "Identify Namespace");
            return new NvmeFile(this, file, options, alignment, nsid, ns, limit);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Identify (admin passthrough, NVME_IOCTL_ADMIN_CMD) into a 4096-byte buffer. */
    private static void identify(NativeFile file, int nsid, int cns, MemorySegment into) throws NativeIoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cmd = a.allocate(NvmeUringCmdDescriptor.SIZE, 8);
            NvmeUringCmdDescriptor.fillIdentify(cmd, 0, nsid, cns, into.address());
            int r = Libc.ioctl(file.fd(), Integer.toUnsignedLong(NvmeUringCmdDescriptor.NVME_IOCTL_ADMIN_CMD), cmd);
            String what = "ioctl NVME_IOCTL_ADMIN_CMD Identify CNS=" + cns;
            if (r < 0) {
                throw new NativeIoException(what, -r, file.path().toString(), file.fd(), NativeIoException.UNKNOWN,
                        NvmeIdentifyNamespace.SIZE, -r == Errno.EACCES || -r == Errno.EPERM
                                ? "admin passthrough needs CAP_SYS_ADMIN on this kernel: run as root" : null);
            }
            if (r > 0) {
                throw new NativeIoException(what, Errno.EIO, file.path().toString(), file.fd(),
                        NativeIoException.UNKNOWN, NvmeIdentifyNamespace.SIZE, NvmeStatus.describe(r));
            }
        }
    }

    /** The queue's dma_alignment + 1 (what a buffer's address must meet; 4 bytes for NVMe), 4 if unknown. */
    private static int dmaAlignment(Path path) {
        return NvmeDevices.queueDirOf(path)
                .flatMap(q -> readLong(q.resolve("dma_alignment")))
                .map(m -> (int) m.longValue() + 1)
                .filter(m -> Integer.bitCount(m) == 1)
                .orElse(4);
    }

    private static Optional<Long> readLong(Path p) {
        try {
            return Optional.of(Long.parseLong(java.nio.file.Files.readString(p).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ batches

    /** One thread's ring and the state of its batch, reused from batch to batch. */
    private final class Ring implements IoUring.CqeVisitor {
        final IoUring uring;
        int registeredVersion = -1;
        MemorySegment[] registered = new MemorySegment[0];
        /** The kernel refused a registered buffer (EINVAL): commands go without it from then on. */
        boolean fixedRefused;
        int inflight;
        int completed;
        IoBatch batch;
        /** Per operation: commands it takes, the next to send, those sent and not yet final. */
        int[] chunkCount = new int[64];
        int[] nextChunk = new int[64];
        int[] pending = new int[64];
        /** Per operation: the first failure of its commands (-errno), 0 while none failed. */
        long[] failure = new long[64];
        int[] status = new int[64];
        /** user_data of commands to send again (EAGAIN, EINTR). */
        long[] retry = new long[64];
        int retryCount;
        /** Where {@link #locate} put the command: buffer address, length, device offset. */
        long chunkAddr;
        int chunkLen;
        long chunkOffset;

        Ring() throws NativeIoException {
            this.uring = IoUring.create(IoUring.Setup.of(entries).withFlags(IORING_SETUP_SQE128 | IORING_SETUP_CQE32));
            for (String f : uring.fallbacks()) {
                notices.addIfAbsent(f);
            }
        }

        void start(int n) {
            if (chunkCount.length < n) {
                int m = Math.max(n, chunkCount.length * 2);
                chunkCount = new int[m];
                nextChunk = new int[m];
                pending = new int[m];
                failure = new long[m];
                status = new int[m];
            }
            inflight = 0;
            completed = 0;
            retryCount = 0;
        }

        @Override
        public void completion(long userData, int res, int cqeFlags) {
            inflight--;
            int i = (int) (userData >>> 32) & 0x7fffffff;
            boolean fixedRefusedNow = res == -Errno.EINVAL && (userData & FIXED_BIT) != 0;
            if (fixedRefusedNow && !fixedRefused) {
                fixedRefused = true;
                notices.addIfAbsent("the kernel refused a registered buffer for a passthrough command (EINVAL):"
                        + " commands go without IORING_URING_CMD_FIXED");
            }
            if (res == -Errno.EAGAIN || res == -Errno.EINTR || fixedRefusedNow) {
                if (retryCount == retry.length) {
                    retry = java.util.Arrays.copyOf(retry, retry.length * 2);
                }
                retry[retryCount++] = userData;
                return;
            }
            if (res != 0 && failure[i] == 0) {
                if (res > 0) {
                    status[i] = res;
                    failure[i] = -NvmeStatus.errno(res);
                } else {
                    failure[i] = res;
                }
                // Commands of this operation not sent yet will not be: it failed already.
                nextChunk[i] = chunkCount[i];
            }
            pending[i]--;
            finishIfDone(this, batch, i);
        }

        void close() {
            uring.close();
        }
    }

    private Ring ring() {
        Ring r = rings.current();
        if (r == null) {
            try {
                r = new Ring();
            } catch (NativeIoException e) {
                throw new IllegalStateException("cannot set up an io_uring ring with SQE128|CQE32: " + e.getMessage(), e);
            }
            rings.set(r);
        }
        return r;
    }

    private void syncRegistrations(Ring r) {
        int version = regions.size();
        if (r.registeredVersion == version) {
            return;
        }
        r.registeredVersion = version;
        try {
            if (r.registered.length > 0) {
                r.uring.unregisterBuffers();
            }
            r.registered = new MemorySegment[0];
            List<MemorySegment> slices = new ArrayList<>();
            for (MemorySegment region : regions) {
                for (long at = 0; at < region.byteSize(); at += FIXED_SLICE_BYTES) {
                    slices.add(region.asSlice(at, Math.min(FIXED_SLICE_BYTES, region.byteSize() - at)));
                }
            }
            MemorySegment[] all = slices.toArray(MemorySegment[]::new);
            if (all.length > 0) {
                r.uring.registerBuffers(all);
                r.registered = all;
            }
        } catch (NativeIoException e) {
            notices.addIfAbsent("registered buffers refused, commands go without IORING_URING_CMD_FIXED: "
                    + e.getMessage());
        }
    }

    @Override
    protected void run(IoBatch batch) {
        Ring r = ring();
        syncRegistrations(r);
        int n = batch.size();
        r.start(n);
        r.batch = batch;
        try {
            runOn(r, batch, n);
        } finally {
            r.batch = null;
        }
    }

    private void runOn(Ring r, IoBatch batch, int n) {
        int capacity = Math.min(r.uring.sqEntries(), maxInflight);
        int next = 0;
        int current = -1;
        while (r.completed < n) {
            boolean barrier = false;
            while (r.inflight < capacity) {
                if (r.retryCount > 0) {
                    long ud = r.retry[--r.retryCount];
                    send(r, batch, (int) (ud >>> 32) & 0x7fffffff, (int) ud);
                    continue;
                }
                if (current >= 0 && r.nextChunk[current] < r.chunkCount[current]) {
                    r.pending[current]++;
                    send(r, batch, current, r.nextChunk[current]++);
                    continue;
                }
                current = -1;
                if (next >= n) {
                    break;
                }
                if (batch.op(next).isSync() && r.inflight > 0) {
                    // A Flush starts once everything before it in the batch has completed.
                    barrier = true;
                    break;
                }
                int i = next++;
                batch.issued(i, System.nanoTime());
                long pre = precheck(batch, i);
                r.failure[i] = 0;
                r.status[i] = 0;
                r.pending[i] = 0;
                r.nextChunk[i] = 0;
                if (pre < 0) {
                    r.chunkCount[i] = 0;
                    r.failure[i] = pre;
                    finishIfDone(r, batch, i);
                    continue;
                }
                r.chunkCount[i] = chunks((NvmeFile) batch.file(i), batch, i);
                if (r.chunkCount[i] == 0) {
                    finishIfDone(r, batch, i);
                    continue;
                }
                current = i;
            }
            if (r.inflight == 0) {
                continue; // everything so far was settled without the device; fill again
            }
            int waitFor = barrier || (next == n && current < 0 && r.retryCount == 0) ? r.inflight : 1;
            int s = r.uring.submitAndWait(waitFor);
            syscalls.increment();
            if (s < 0 && s != -Errno.EINTR && s != -Errno.EAGAIN && s != -Errno.EBUSY) {
                failRing(r, batch, s);
                return;
            }
            r.uring.reap(r);
        }
    }

    /** What every engine checks, and whole blocks within one command's 32-bit length field. */
    private static long precheck(IoBatch batch, int i) {
        long pre = batch.precheck(i);
        if (pre < 0) {
            return pre;
        }
        if (!(batch.file(i) instanceof NvmeFile)) {
            return -Errno.EBADF;
        }
        return 0;
    }

    /** Commands operation {@code i} takes: one per transfer limit of each buffer, one for a Flush. */
    private static int chunks(NvmeFile f, IoBatch batch, int i) {
        IoOp op = batch.op(i);
        if (op.isSync()) {
            return 1;
        }
        NvmeTransferLimit limit = f.transferLimit();
        if (!op.isVectored()) {
            return batch.length(i) == 0 ? 0 : limit.chunks(batch.length(i));
        }
        int c = 0;
        for (MemorySegment b : batch.vector(i)) {
            if (b.byteSize() > 0) {
                c += limit.chunks(b.byteSize());
            }
        }
        return c;
    }

    /** Sets the ring's chunk fields to command {@code k} of operation {@code i}. */
    private static void locate(Ring r, NvmeFile f, IoBatch batch, int i, int k) {
        NvmeTransferLimit limit = f.transferLimit();
        if (!batch.op(i).isVectored()) {
            r.chunkAddr = batch.buffer(i).address() + limit.chunkOffset(k);
            r.chunkLen = limit.chunkLength(batch.length(i), k);
            r.chunkOffset = batch.offset(i) + limit.chunkOffset(k);
            return;
        }
        long at = batch.offset(i);
        for (MemorySegment b : batch.vector(i)) {
            long len = b.byteSize();
            int c = len == 0 ? 0 : limit.chunks(len);
            if (k < c) {
                r.chunkAddr = b.address() + limit.chunkOffset(k);
                r.chunkLen = limit.chunkLength(len, k);
                r.chunkOffset = at + limit.chunkOffset(k);
                return;
            }
            k -= c;
            at += len;
        }
        throw new IllegalStateException("no command " + k + " in operation " + i);
    }

    /** Fills and queues command {@code k} of operation {@code i}. */
    private void send(Ring r, IoBatch batch, int i, int k) {
        long sqe = r.uring.nextSqeOffset();
        if (sqe < 0) {
            throw new IllegalStateException("SQ ring full with " + r.inflight + " commands in flight");
        }
        MemorySegment sqes = r.uring.sqeArray();
        NvmeFile f = (NvmeFile) batch.file(i);
        long userData = ((long) i << 32) | (k & 0xffffffffL);
        IoOp op = batch.op(i);
        if (op.isSync()) {
            SqeDescriptor.prepUringCmd(sqes, sqe, f.fd(), NvmeUringCmdDescriptor.NVME_URING_CMD_IO, 0, userData);
            NvmeUringCmdDescriptor.fill(sqes, sqe + SqeDescriptor.CMD_OFFSET, NvmeUringCmdDescriptor.NVME_CMD_FLUSH,
                    f.nsid(), 0, 0, 0, 0);
        } else {
            locate(r, f, batch, i, k);
            int bi = r.fixedRefused ? -1 : IoUring.registeredIndex(r.registered, r.chunkAddr, r.chunkLen);
            if (bi >= 0) {
                userData |= FIXED_BIT;
            }
            SqeDescriptor.prepUringCmd(sqes, sqe, f.fd(), NvmeUringCmdDescriptor.NVME_URING_CMD_IO,
                    bi >= 0 ? IORING_URING_CMD_FIXED : 0, userData);
            if (bi >= 0) {
                SqeDescriptor.bufIndex(sqes, sqe, (short) bi);
                fixedCommands.increment();
            }
            int lba = f.lbaSize();
            long cmd = sqe + SqeDescriptor.CMD_OFFSET;
            NvmeUringCmdDescriptor.fill(sqes, cmd, op.isWrite() ? NvmeUringCmdDescriptor.NVME_CMD_WRITE
                    : NvmeUringCmdDescriptor.NVME_CMD_READ, f.nsid(), r.chunkAddr, r.chunkLen,
                    r.chunkOffset / lba, r.chunkLen / lba);
            if (op.isWrite() && f.options().sync() != SyncMode.NONE) {
                long cdw12 = cmd + NvmeUringCmdDescriptor.CDW12_OFFSET;
                sqes.set(java.lang.foreign.ValueLayout.JAVA_INT, cdw12,
                        sqes.get(java.lang.foreign.ValueLayout.JAVA_INT, cdw12) | CDW12_FUA);
            }
        }
        r.inflight++;
        commands.increment();
    }

    /** Records operation {@code i}'s result once every command it takes has been sent and settled. */
    private static void finishIfDone(Ring r, IoBatch batch, int i) {
        if (r.pending[i] > 0 || r.nextChunk[i] < r.chunkCount[i]) {
            return;
        }
        if (r.status[i] != 0) {
            batch.deviceStatus(i, r.status[i]);
        }
        long result = r.failure[i] != 0 ? r.failure[i] : batch.op(i).isSync() ? 0 : batch.length(i);
        batch.complete(i, result, System.nanoTime());
        r.completed++;
    }

    /**
     * The ring itself failed: the commands the kernel took are waited for first (at most
     * {@link UringEngine#FAILED_RING_WAIT_NANOS}, as the uring engine does: their buffers go back to the
     * batch's owner), what did complete keeps its result, the rest get the error; the ring is dropped.
     */
    private void failRing(Ring r, IoBatch batch, int errno) {
        r.uring.reap(r);
        long deadline = System.nanoTime() + UringEngine.FAILED_RING_WAIT_NANOS;
        while (r.inflight > 0 && System.nanoTime() < deadline) {
            int s = UringEngine.awaitOnce(r.uring, deadline - System.nanoTime());
            r.uring.reap(r);
            if (UringEngine.ringFailed(s) && s != -io.rawio.nativeio.Errno.ETIME) {
                break; // the kernel refuses the ring's enters too: nothing more can be learnt
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            if (batch.result(i) == IoBatch.NOT_EXECUTED) {
                batch.complete(i, errno, System.nanoTime());
            }
        }
        rings.drop(r);
    }

    /** The calling thread's ring goes now, not when the engine closes (its descriptor with it). */
    @Override
    public void releaseThread() {
        if (isClosed()) {
            return; // closed with the engine
        }
        Ring r = rings.current();
        if (r != null) {
            rings.drop(r);
        }
    }

    @Override
    public void close() {
        if (isClosed()) {
            return;
        }
        super.close();
        rings.closeAll();
    }
}
