package io.rawio.engine;

import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.Errno;
import io.rawio.nvme.NvmeStatus;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The uring-cmd engine's contract, checked on a real (or emulated) NVMe namespace: the parts of the
 * conformance suite that apply to a device addressed in blocks, and what only passthrough has (the
 * split path, NVMe statuses, the block path reading what passthrough wrote). Plain methods, so that
 * both JUnit ({@link UringCmdEngineConformanceTest}) and one JVM in a QEMU guest can run them.
 *
 * <p>Destroys the namespace's contents (its first 64 MiB at most).
 */
public final class UringCmdDeviceChecks {
    /** One check: throws AssertionError (or anything) when the engine fails it. */
    @FunctionalInterface
    public interface Check {
        void run(UringCmdDeviceChecks c) throws Exception;
    }

    private final Path generic;
    private final Path block;

    /**
     * @param generic the namespace's generic device ({@code /dev/ng0n1})
     * @param block   its block device ({@code /dev/nvme0n1}), or null to skip the block-path checks
     */
    public UringCmdDeviceChecks(Path generic, Path block) {
        this.generic = generic;
        this.block = block;
    }

    /** Every check, by name, in the order they run. */
    public static Map<String, Check> all() {
        Map<String, Check> m = new LinkedHashMap<>();
        m.put("open reads the namespace from Identify", UringCmdDeviceChecks::identify);
        m.put("the block device is refused, naming the generic one", UringCmdDeviceChecks::blockDeviceRefused);
        m.put("writes and reads round-trip, flush succeeds", UringCmdDeviceChecks::roundTrip);
        m.put("the block path reads what passthrough wrote, and the reverse", UringCmdDeviceChecks::blockPathAgrees);
        m.put("1-4 MiB operations are split at the transfer limit", UringCmdDeviceChecks::splitPath);
        m.put("an LBA past the end gives the NVMe status, neighbours succeed", UringCmdDeviceChecks::outOfRange);
        m.put("misaligned operations are refused before submission", UringCmdDeviceChecks::misaligned);
        m.put("a batch larger than the queue is split, readv/writev work", UringCmdDeviceChecks::largeBatch);
        m.put("registered memory goes out with IORING_URING_CMD_FIXED", UringCmdDeviceChecks::fixedBuffers);
        m.put("random batches match a model of the device", UringCmdDeviceChecks::model);
        m.put("several threads share one engine", UringCmdDeviceChecks::threads);
        m.put("use after close fails clearly", UringCmdDeviceChecks::closed);
        return m;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    private static void fill(MemorySegment s, long seed) {
        Random r = new Random(seed);
        for (long i = 0; i + 8 <= s.byteSize(); i += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
    }

    private static UringCmdEngine engine(int depth) {
        return new UringCmdEngine(new EngineConfig(depth));
    }

    private NvmeFile open(IoEngine e) throws IOException {
        return (NvmeFile) e.open(generic, OpenOptions.readWrite());
    }

    void identify() throws IOException {
        try (UringCmdEngine e = engine(8); NvmeFile f = open(e)) {
            check(f.nsid() == 1, "nsid=" + f.nsid());
            String name = generic.getFileName().toString().replace("ng", "nvme");
            Path q = Path.of("/sys/block", name);
            if (Files.isDirectory(q)) {
                long sectors = Long.parseLong(Files.readString(q.resolve("size")).trim());
                int lbs = Integer.parseInt(Files.readString(q.resolve("queue/logical_block_size")).trim());
                check(f.size() == sectors * 512, "capacity=" + f.size() + ", sysfs=" + sectors * 512);
                check(f.lbaSize() == lbs, "lbaSize=" + f.lbaSize() + ", sysfs=" + lbs);
            }
            check(f.transferLimit().bytes() % f.lbaSize() == 0, "limit " + f.transferLimit());
            System.out.println("  " + generic + ": nsid=" + f.nsid() + " lba=" + f.lbaSize() + " capacity="
                    + f.size() + " limit=" + f.transferLimit().bytes() + " (" + f.transferLimit().source() + ")");
        }
    }

    void blockDeviceRefused() {
        if (block == null) {
            return;
        }
        try (UringCmdEngine e = engine(8)) {
            try {
                e.open(block, OpenOptions.readWrite()).close();
                throw new AssertionError("the block device was opened");
            } catch (IllegalArgumentException expected) {
                check(expected.getMessage().contains("/dev/" + generic.getFileName()), expected.getMessage());
            } catch (IOException other) {
                throw new AssertionError(other);
            }
        }
    }

    void roundTrip() throws IOException {
        try (UringCmdEngine e = engine(8); NvmeFile f = open(e); Arena a = Arena.ofConfined()) {
            MemorySegment out = AlignedMemory.allocate(a, 64 * 1024, 4096);
            MemorySegment in = AlignedMemory.allocate(a, 64 * 1024, 4096);
            fill(out, 1);
            IoBatch b = new IoBatch(4);
            b.write(f, 1 << 20, out);
            b.fdatasync(f);
            b.fsync(f);
            e.execute(b);
            b.throwIfFailed();
            check(b.result(0) == out.byteSize() && b.result(1) == 0 && b.result(2) == 0, "results");
            b.clear();
            b.read(f, 1 << 20, in);
            e.execute(b);
            b.throwIfFailed();
            check(b.result(0) == in.byteSize(), "read result " + b.result(0));
            check(out.mismatch(in) == -1, "bytes read back differ at " + out.mismatch(in));
        }
    }

    void blockPathAgrees() throws IOException {
        if (block == null) {
            return;
        }
        try (UringCmdEngine e = engine(8); NvmeFile f = open(e); PsyncEngine p = new PsyncEngine();
                IoFile bf = p.open(block, OpenOptions.readWrite().withDirect(true)); Arena a = Arena.ofConfined()) {
            int len = 256 * 1024;
            MemorySegment out = AlignedMemory.allocate(a, len, 4096);
            MemorySegment in = AlignedMemory.allocate(a, len, 4096);
            fill(out, 2);
            IoBatch b = new IoBatch(2);
            b.write(f, 2 << 20, out);
            b.fdatasync(f);
            e.execute(b);
            b.throwIfFailed();
            b.clear();
            b.read(bf, 2 << 20, in);
            p.execute(b);
            b.throwIfFailed();
            check(out.mismatch(in) == -1, "the block device reads other bytes than passthrough wrote, at "
                    + out.mismatch(in));
            fill(out, 3);
            b.clear();
            b.write(bf, 3 << 20, out);
            b.fdatasync(bf);
            p.execute(b);
            b.throwIfFailed();
            b.clear();
            b.read(f, 3 << 20, in);
            e.execute(b);
            b.throwIfFailed();
            check(out.mismatch(in) == -1, "passthrough reads other bytes than the block device wrote");
        }
    }

    void splitPath() throws IOException {
        try (UringCmdEngine e = engine(16); NvmeFile f = open(e); Arena a = Arena.ofConfined()) {
            int limit = f.transferLimit().bytes();
            long[] lengths = {1 << 20, (3 << 20) + f.lbaSize(), 4 << 20};
            MemorySegment[] out = new MemorySegment[lengths.length];
            MemorySegment[] in = new MemorySegment[lengths.length];
            IoBatch b = new IoBatch(4);
            long at = 8 << 20;
            long expectedCommands = 0;
            for (int k = 0; k < lengths.length; k++) {
                out[k] = AlignedMemory.allocate(a, lengths[k], 4096);
                in[k] = AlignedMemory.allocate(a, lengths[k], 4096);
                fill(out[k], 10 + k);
                b.write(f, at, out[k]);
                at += 4 << 20;
                expectedCommands += (lengths[k] + limit - 1) / limit;
            }
            long before = e.commands();
            e.execute(b);
            b.throwIfFailed();
            check(e.commands() - before == expectedCommands, "commands=" + (e.commands() - before) + ", expected="
                    + expectedCommands + " at limit " + limit);
            b.clear();
            at = 8 << 20;
            for (int k = 0; k < lengths.length; k++) {
                b.read(f, at, in[k]);
                at += 4 << 20;
            }
            e.execute(b);
            b.throwIfFailed();
            for (int k = 0; k < lengths.length; k++) {
                check(b.result(k) == lengths[k], "result " + k + "=" + b.result(k));
                check(out[k].mismatch(in[k]) == -1, "split op " + k + " differs at " + out[k].mismatch(in[k]));
            }
            System.out.println("  " + expectedCommands + " commands for 3 writes of 1-4 MiB at a limit of " + limit);
        }
    }

    void outOfRange() throws IOException {
        try (UringCmdEngine e = engine(8); NvmeFile f = open(e); Arena a = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(a, 8192, 4096);
            IoBatch b = new IoBatch(4);
            b.read(f, f.size(), buf.asSlice(0, 4096));
            b.read(f, 0, buf.asSlice(4096, 4096));
            b.write(f, f.size() - f.lbaSize(), AlignedMemory.allocate(a, 2L * f.transferLimit().bytes(), 4096));
            e.execute(b);
            check(b.result(0) == -Errno.EIO, "read past the end: result=" + b.result(0));
            int st = b.deviceStatus(0);
            check(NvmeStatus.sct(st) == NvmeStatus.SCT_GENERIC && NvmeStatus.sc(st) == NvmeStatus.SC_LBA_RANGE,
                    "status=0x" + Integer.toHexString(st));
            String msg = b.failure(0).getMessage();
            check(msg.contains("LBA Out of Range") && msg.contains(generic.toString()), msg);
            check(b.result(1) == 4096, "the neighbour read: " + b.result(1));
            check(b.result(2) < 0 && b.deviceStatus(2) != 0,
                    "a split write whose first command fits and second does not fails as a whole: " + b.result(2));
            System.out.println("  " + msg);
        }
    }

    void misaligned() throws IOException {
        try (UringCmdEngine e = engine(8); NvmeFile f = open(e); Arena a = Arena.ofConfined()) {
            int lba = f.lbaSize();
            MemorySegment buf = AlignedMemory.allocate(a, 4L * lba, 4096);
            IoBatch b = new IoBatch(4);
            b.read(f, lba / 2, buf.asSlice(0, lba));
            b.write(f, 0, buf.asSlice(0, lba + 4));
            b.read(f, lba, buf.asSlice(2, lba)); // 2-byte aligned: below NVMe's dword DMA alignment
            b.read(f, lba, buf.asSlice(lba, lba));
            long before = e.commands();
            e.execute(b);
            for (int i = 0; i < 3; i++) {
                check(b.result(i) == -Errno.EINVAL, "misaligned op " + i + ": " + b.result(i));
                String msg = b.failure(i).getMessage();
                check(msg.contains("to " + lba + " bytes"), msg);
            }
            check(b.result(3) == lba, "the aligned neighbour: " + b.result(3));
            check(e.commands() - before == 1, "only the aligned op reached the device: " + (e.commands() - before));
        }
    }

    void largeBatch() throws IOException {
        try (UringCmdEngine e = engine(8); NvmeFile f = open(e); Arena a = Arena.ofConfined()) {
            int n = 300;
            int lba = f.lbaSize();
            MemorySegment out = AlignedMemory.allocate(a, (long) n * lba, 4096);
            MemorySegment in = AlignedMemory.allocate(a, (long) n * lba, 4096);
            fill(out, 4);
            IoBatch b = new IoBatch(8);
            for (int i = 0; i < n; i++) {
                b.write(f, (24L << 20) + (long) i * lba, out.asSlice((long) i * lba, lba));
            }
            b.fdatasync(f);
            e.execute(b);
            b.throwIfFailed();
            b.clear();
            int half = n / 2 * lba;
            b.readv(f, 24L << 20, in.asSlice(0, half), in.asSlice(half, (long) n * lba - half));
            e.execute(b);
            b.throwIfFailed();
            check(b.result(0) == (long) n * lba, "readv result " + b.result(0));
            check(out.mismatch(in) == -1, "bytes differ at " + out.mismatch(in));
        }
    }

    void fixedBuffers() throws IOException {
        try (UringCmdEngine e = engine(8); Arena a = Arena.ofShared()) {
            MemorySegment region = AlignedMemory.allocate(a, 1 << 20, 4096);
            e.registerMemory(region);
            try (NvmeFile f = open(e)) {
                MemorySegment out = region.asSlice(0, 256 * 1024);
                MemorySegment in = region.asSlice(512 * 1024, 256 * 1024);
                fill(out, 5);
                IoBatch b = new IoBatch(2);
                b.write(f, 32L << 20, out);
                e.execute(b);
                b.throwIfFailed();
                b.clear();
                b.read(f, 32L << 20, in);
                e.execute(b);
                b.throwIfFailed();
                check(out.mismatch(in) == -1, "bytes differ");
                check(e.fixedBufferCommands() > 0 || !e.notices().isEmpty(),
                        "no command used the registered buffer and no notice says why");
                System.out.println("  fixed-buffer commands: " + e.fixedBufferCommands() + " " + e.notices());
            }
        }
    }

    void model() throws IOException {
        long base = 40L << 20;
        try (UringCmdEngine e = engine(8); NvmeFile f = open(e); Arena a = Arena.ofConfined()) {
            int lba = f.lbaSize();
            int blocks = (1 << 20) / lba;
            byte[] model = new byte[blocks * lba];
            MemorySegment init = AlignedMemory.allocate(a, model.length, 4096).fill((byte) 0);
            IoBatch b = new IoBatch(8);
            b.write(f, base, init);
            e.execute(b);
            b.throwIfFailed();
            Random r = new Random(6);
            for (int round = 0; round < 20; round++) {
                b.clear();
                List<MemorySegment> bufs = new ArrayList<>();
                List<int[]> specs = new ArrayList<>();
                boolean[] written = new boolean[blocks];
                for (int k = 0; k < 1 + r.nextInt(12); k++) {
                    int start = r.nextInt(blocks);
                    int count = 1 + r.nextInt(Math.min(blocks - start, 3 * 131072 / lba + 1));
                    boolean write = r.nextBoolean();
                    boolean clash = false;
                    for (int x = start; x < start + count; x++) {
                        clash |= written[x];
                    }
                    if (clash) {
                        continue; // overlapping with a write of the same batch: undefined order
                    }
                    MemorySegment buf = AlignedMemory.allocate(a, (long) count * lba, 4096);
                    if (write) {
                        fill(buf, r.nextLong());
                        for (int x = start; x < start + count; x++) {
                            written[x] = true;
                        }
                        b.write(f, base + (long) start * lba, buf);
                    } else {
                        b.read(f, base + (long) start * lba, buf);
                    }
                    bufs.add(buf);
                    specs.add(new int[] {start, count, write ? 1 : 0});
                }
                if (r.nextInt(4) == 0) {
                    b.fdatasync(f);
                }
                e.execute(b);
                b.throwIfFailed();
                for (int k = 0; k < specs.size(); k++) {
                    int[] s = specs.get(k);
                    byte[] got = bufs.get(k).toArray(ValueLayout.JAVA_BYTE);
                    if (s[2] == 0) {
                        byte[] want = java.util.Arrays.copyOfRange(model, s[0] * lba, (s[0] + s[1]) * lba);
                        // reads of blocks another op of this batch writes are not defined: skip them
                        boolean racy = false;
                        for (int x = s[0]; x < s[0] + s[1]; x++) {
                            racy |= written[x];
                        }
                        check(racy || java.util.Arrays.equals(want, got), "round " + round + " read " + k);
                    }
                }
                for (int k = 0; k < specs.size(); k++) {
                    int[] s = specs.get(k);
                    if (s[2] == 1) {
                        byte[] got = bufs.get(k).toArray(ValueLayout.JAVA_BYTE);
                        System.arraycopy(got, 0, model, s[0] * lba, got.length);
                    }
                }
            }
            MemorySegment all = AlignedMemory.allocate(a, model.length, 4096);
            b.clear();
            b.read(f, base, all);
            e.execute(b);
            b.throwIfFailed();
            check(java.util.Arrays.equals(model, all.toArray(ValueLayout.JAVA_BYTE)), "device contents at the end");
        }
    }

    void threads() throws Exception {
        try (UringCmdEngine e = engine(8); NvmeFile f = open(e)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    long off = (48L << 20) + (long) t * (1 << 20);
                    long seed = 100 + t;
                    fs.add(pool.submit(() -> {
                        try (Arena a = Arena.ofConfined()) {
                            MemorySegment out = AlignedMemory.allocate(a, 1 << 20, 4096);
                            MemorySegment in = AlignedMemory.allocate(a, 1 << 20, 4096);
                            for (int round = 0; round < 5; round++) {
                                fill(out, seed + round);
                                IoBatch b = new IoBatch(2);
                                b.write(f, off, out);
                                e.execute(b);
                                b.throwIfFailed();
                                b.clear();
                                b.read(f, off, in);
                                e.execute(b);
                                b.throwIfFailed();
                                check(out.mismatch(in) == -1, "thread data differ");
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> x : fs) {
                    x.get();
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    void closed() throws IOException {
        UringCmdEngine e = engine(8);
        NvmeFile f = open(e);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(a, 4096, 4096);
            f.close();
            IoBatch b = new IoBatch(1);
            b.read(f, 0, buf);
            try {
                e.execute(b);
                throw new AssertionError("a batch on a closed file ran");
            } catch (IllegalStateException expected) {
                // as the contract says
            }
            e.close();
            e.close();
            try {
                e.open(generic, OpenOptions.readWrite());
                throw new AssertionError("a closed engine opened a file");
            } catch (IllegalStateException expected) {
                // as the contract says
            }
        }
    }

    /**
     * Runs every check on {@code args[0]} (the generic device) and {@code args[1]} (its block device,
     * optional); prints one line per check; exit status 1 when any failed.
     */
    public static void main(String[] args) {
        Path ng = Path.of(args.length > 0 ? args[0] : "/dev/ng0n1");
        Path blk = args.length > 1 ? Path.of(args[1]) : null;
        System.exit(runAll(new UringCmdDeviceChecks(ng, blk)) ? 0 : 1);
    }

    /** Runs every check, printing {@code PASS name} or {@code FAIL name: why}; true when all passed. */
    public static boolean runAll(UringCmdDeviceChecks c) {
        boolean ok = true;
        for (Map.Entry<String, Check> ch : all().entrySet()) {
            long t = System.nanoTime();
            try {
                ch.getValue().run(c);
                System.out.printf("PASS %s (%d ms)%n", ch.getKey(), (System.nanoTime() - t) / 1_000_000);
            } catch (Throwable x) {
                ok = false;
                System.out.println("FAIL " + ch.getKey() + ": " + x);
                x.printStackTrace(System.out);
            }
        }
        return ok;
    }
}
