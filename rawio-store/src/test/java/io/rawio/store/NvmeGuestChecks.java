package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngine;
import io.rawio.engine.IoEngines;
import io.rawio.engine.IoFile;
import io.rawio.engine.OpenOptions;
import io.rawio.engine.PsyncEngine;
import io.rawio.engine.UringCmdDeviceChecks;
import io.rawio.memory.AlignedMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one program the QEMU harness runs in its guest (each JVM start costs about a second under
 * software emulation): the uring-cmd engine's device checks, the cross-check with fio's io_uring_cmd
 * engine, and the store on the namespace. Prints {@code PASS name} / {@code FAIL name: why} lines;
 * exit status 1 when anything failed.
 */
public final class NvmeGuestChecks {
    private NvmeGuestChecks() {
    }

    public static void main(String[] args) throws Exception {
        Path ng = Path.of(args.length > 0 ? args[0] : "/dev/ng0n1");
        Path block = Path.of(args.length > 1 ? args[1] : "/dev/nvme0n1");
        boolean ok = UringCmdDeviceChecks.runAll(new UringCmdDeviceChecks(ng, block));
        ok &= run("fio io_uring_cmd and uring-cmd read each other's writes", () -> fio(ng, block));
        ok &= run("the store formats, puts, gets and reopens on the namespace", () -> store(ng));
        System.exit(ok ? 0 : 1);
    }

    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    private static boolean run(String name, Step s) {
        long t = System.nanoTime();
        try {
            s.run();
            System.out.printf("PASS %s (%d ms)%n", name, (System.nanoTime() - t) / 1_000_000);
            return true;
        } catch (Skipped k) {
            System.out.println("SKIP " + name + ": " + k.getMessage());
            return true;
        } catch (Throwable x) {
            System.out.println("FAIL " + name + ": " + x);
            x.printStackTrace(System.out);
            return false;
        }
    }

    static final class Skipped extends Exception {
        Skipped(String why) {
            super(why);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    private static String exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        check(rc == 0, String.join(" ", cmd) + " exited " + rc + ":\n" + out);
        return out;
    }

    private static List<String> fioJob(Path ng, String... extra) {
        List<String> c = new ArrayList<>(List.of("fio", "--name=xcheck", "--filename=" + ng,
                "--ioengine=io_uring_cmd", "--cmd_type=nvme", "--output-format=terse"));
        c.addAll(Arrays.asList(extra));
        return c;
    }

    /** rawio writes a pattern fio verifies; fio writes (crc32c-verified) what rawio reads and the block path agrees. */
    static void fio(Path ng, Path block) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/fio"))) {
            throw new Skipped("fio not installed on the host (the guest sees the host's root)");
        }
        long patternAt = 56L << 20;
        int len = 1 << 20;
        try (IoEngine e = IoEngines.create("uring-cmd"); IoFile f = e.open(ng, OpenOptions.readWrite());
                Arena a = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(a, len, 4096);
            for (long i = 0; i < len; i += 4) {
                buf.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), i, 0xdeadbeef);
            }
            IoBatch b = new IoBatch(2);
            b.write(f, patternAt, buf);
            b.fdatasync(f);
            e.execute(b);
            b.throwIfFailed();
        }
        exec(fioJob(ng, "--rw=write", "--bs=64k", "--offset=" + patternAt, "--size=" + len, "--verify=pattern",
                "--verify_pattern=0xdeadbeef", "--verify_only=1"));
        long fioAt = 60L << 20;
        exec(fioJob(ng, "--rw=randwrite", "--bs=16k", "--iodepth=8", "--offset=" + fioAt, "--size=" + (2 << 20),
                "--verify=crc32c", "--do_verify=1"));
        try (IoEngine e = IoEngines.create("uring-cmd"); IoFile f = e.open(ng, OpenOptions.readOnly());
                PsyncEngine p = new PsyncEngine(); IoFile bf = p.open(block, OpenOptions.readOnly().withDirect(true));
                Arena a = Arena.ofConfined()) {
            MemorySegment viaCmd = AlignedMemory.allocate(a, 2 << 20, 4096);
            MemorySegment viaBlock = AlignedMemory.allocate(a, 2 << 20, 4096);
            IoBatch b = new IoBatch(1);
            b.read(f, fioAt, viaCmd);
            e.execute(b);
            b.throwIfFailed();
            b.clear();
            b.read(bf, fioAt, viaBlock);
            p.execute(b);
            b.throwIfFailed();
            check(viaCmd.mismatch(viaBlock) == -1, "what fio wrote reads differently through uring-cmd and the"
                    + " block device, at " + viaCmd.mismatch(viaBlock));
            check(viaCmd.asSlice(0, 4096).mismatch(AlignedMemory.allocate(a, 4096, 4096).fill((byte) 0)) != -1,
                    "fio's blocks are not there (zeros)");
        }
    }

    /** The store on the namespace with --engine=uring-cmd: format, putMany, get, reopen, get. */
    static void store(Path ng) throws IOException {
        StoreOptions o = StoreOptions.defaults().withEngine("uring-cmd")
                .withDurability(StoreOptions.Durability.DURABLE);
        SlotStore.format(ng, 0, 64 * 1024, true, o);
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        try (SlotStore s = SlotStore.open(ng, o); Arena a = Arena.ofConfined()) {
            check(s.engineName().equals("uring-cmd"), "engine " + s.engineName());
            List<MemorySegment> segs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                byte[] k = ("key-" + i).getBytes(StandardCharsets.UTF_8);
                byte[] v = new byte[100 + i * 97];
                new java.util.Random(i).nextBytes(v);
                keys.add(k);
                values.add(v);
                segs.add(a.allocateFrom(ValueLayout.JAVA_BYTE, v));
            }
            for (SlotStore.Result r : s.putMany(keys, segs)) {
                check(r.ok(), "put: " + r);
            }
            for (int i = 0; i < keys.size(); i++) {
                check(Arrays.equals(values.get(i), s.get(keys.get(i))), "get " + i);
            }
        }
        try (SlotStore s = SlotStore.open(ng, o)) {
            check(s.keyCount() == keys.size(), "keys after reopen: " + s.keyCount());
            for (int i = 0; i < keys.size(); i += 7) {
                check(Arrays.equals(values.get(i), s.get(keys.get(i))), "get after reopen " + i);
            }
            check(s.check().healthy(), "check after reopen");
        }
    }
}
