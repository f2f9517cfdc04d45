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
import java.util.concurrent.TimeUnit;

/**
 * The one program the QEMU harness runs in its guest (each JVM start costs seconds under software
 * emulation): the uring-cmd engine's device checks (the split path among them) and, with
 * {@code --full}, the cross-check with fio's io_uring_cmd engine, the store on the namespace, and a
 * {@link CrashWriter} child killed with SIGKILL while it writes to the store there. Prints
 * {@code PASS name} / {@code FAIL name: why} lines; exit status 1 when anything failed.
 *
 * <p>Usage: {@code NvmeGuestChecks NG_DEVICE BLOCK_DEVICE [--full]}.
 */
public final class NvmeGuestChecks {
    private NvmeGuestChecks() {
    }

    public static void main(String[] args) throws Exception {
        Path ng = Path.of(args.length > 0 ? args[0] : "/dev/ng0n1");
        Path block = Path.of(args.length > 1 ? args[1] : "/dev/nvme0n1");
        boolean full = Arrays.asList(args).contains("--full");
        boolean ok = UringCmdDeviceChecks.runAll(new UringCmdDeviceChecks(ng, block));
        if (full) {
            ok &= run("fio io_uring_cmd and uring-cmd read each other's writes", () -> fio(ng, block));
            ok &= run("the store formats, puts, gets and reopens on the namespace", () -> store(ng));
            ok &= run("acknowledged keys survive kill -9 of a writer on the namespace", () -> killNine(ng));
        }
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

    /**
     * A {@link CrashWriter} child puts keys into a store on the namespace with uring-cmd (durable
     * batches), printing "ack KEY" once a batch is acknowledged; it is killed with SIGKILL once it has
     * acknowledged {@code KILL_AFTER_ACKS} keys, while still writing. Reopened here: every acknowledged
     * key reads back exactly, every key the store holds has the bytes its writer gave it, and no slot
     * fails its CRC.
     */
    static void killNine(Path ng) throws Exception {
        StoreOptions o = StoreOptions.defaults().withEngine("uring-cmd");
        SlotStore.format(ng, 0, 32 * 1024, true, o);
        long slots;
        try (SlotStore s = SlotStore.open(ng, o)) {
            slots = s.superblock().slotCount();
        }
        int maxKeys = (int) (slots / 2); // never comes round: nothing acknowledged is evicted
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = Files.createTempFile("crash-writer", ".out");
        Process child = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED", "-D" + CrashWriter.ENGINE_PROPERTY + "=uring-cmd",
                "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(), ng.toString(), "k",
                String.valueOf(maxKeys))
                .redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(out.toFile()).start();
        try {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (Files.readString(out).lines().filter(l -> l.startsWith("ack ")).count() < KILL_AFTER_ACKS) {
                check(child.isAlive(), "the writer died before it acknowledged " + KILL_AFTER_ACKS + " keys:\n"
                        + Files.readString(out));
                check(System.nanoTime() < deadline, "the writer acknowledged " + KILL_AFTER_ACKS + " keys within 120 s");
                Thread.sleep(20);
            }
        } finally {
            child.destroyForcibly(); // SIGKILL: no close, no checkpoint
            check(child.waitFor(30, TimeUnit.SECONDS), "the writer died");
        }
        List<String> lines = Files.readAllLines(out);
        check(!lines.isEmpty() && lines.getFirst().equals("open"), "the writer opened the store: " + lines);
        check(!lines.contains("done"), "the writer was killed while writing, not once done");
        List<String> acked = lines.stream().filter(l -> l.startsWith("ack ")).map(l -> l.substring(4)).toList();
        try (SlotStore s = SlotStore.open(ng, o)) {
            for (String k : acked) {
                byte[] v = s.get(StoreTesting.key(k));
                check(v != null, "acknowledged key lost: " + k);
                check(Arrays.equals(StoreTesting.valueFor(k, KillNineTest.MAX_VALUE), v), "value of " + k);
            }
            // Unacknowledged keys may or may not be there, but never with wrong bytes.
            for (KeyInfo info : s.keys()) {
                String k = new String(info.key(), StandardCharsets.UTF_8);
                check(Arrays.equals(StoreTesting.valueFor(k, KillNineTest.MAX_VALUE), s.get(info.key())),
                        "value of unacknowledged " + k);
            }
            check(s.check().keysCorrupt() == 0, "keys whose slot fails its CRC after the kill");
            System.out.printf("  %d keys acknowledged before the kill, %d in the store after it%n", acked.size(),
                    s.keyCount());
        }
    }

    /** Acknowledged keys before the writer is killed (about a second of writing under TCG). */
    private static final int KILL_AFTER_ACKS = 300;
}
