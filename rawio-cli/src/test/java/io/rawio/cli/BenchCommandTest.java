package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rawio.bench.fio.FioRunner;
import io.rawio.bench.report.FioJson;
import io.rawio.bench.report.JobSummary;
import io.rawio.testing.Root;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class BenchCommandTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Path file() {
        return dir.resolve("bench.dat");
    }

    private long filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void uringCmdIsRefusedAnythingButAnNvmeGenericDevice() throws IOException {
        Files.write(file(), new byte[1 << 20]);
        for (String[] args : List.of(new String[] {"--filename=" + file(), "--engine=uring-cmd", "--size=512k"},
                new String[] {"--filename=" + dir.resolve("new.dat"), "--engine=uring-cmd", "--size=512k"})) {
            Run r = run(args);
            assertEquals(2, r.exit(), String.join(" ", args) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(r.err().startsWith("rawio bench: engine uring-cmd") && r.err().contains("/dev/ngXnY"), r.err());
        }
        assertFalse(Files.exists(dir.resolve("new.dat")));
    }

    @Test
    void badInputIsOneLineExitTwoAndWritesNothing() throws IOException {
        String f = "--filename=" + file();
        List<String[]> cases = List.of(
                new String[] {f, "--engine=nosuch"},
                new String[] {f, "--engine=psync", "--bs=1000", "--direct=1"},
                new String[] {f, "--engine=psync", "--size=1k"},
                new String[] {f, "--engine=psync", "--size=0"},
                new String[] {f, "--engine=psync", "--runtime=0"},
                new String[] {f, "--engine=psync", "--runtime=-1s"},
                new String[] {"--filename=" + dir, "--engine=psync"},
                new String[] {"--filename=" + dir.resolve("no/such/dir/f"), "--engine=psync"},
                new String[] {f, "--engine=psync", "--rw=sideways"},
                new String[] {f, "--engine=mmap", "--direct=1"},
                new String[] {f, "--engine=psync", "--output-format=xml"},
                new String[] {f, "--engine=psync", "--iodepth=0"});
        for (String[] args : cases) {
            Run r = run(args);
            assertEquals(2, r.exit(), String.join(" ", args) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(r.err().startsWith("rawio bench: "), r.err());
            assertFalse(Files.exists(file()), "nothing created for " + String.join(" ", args));
        }
        assertEquals(0, filesIn(dir));
    }

    @Test
    void aWriteJobOnABlockDeviceIsRefusedWithoutTheFlag() throws IOException {
        assumeTrue(Root.isRoot(), "needs root to attach a loop device");
        Path img = dir.resolve("disk.img");
        byte[] data = new byte[1 << 20];
        java.util.Arrays.fill(data, (byte) 0x42);
        Files.write(img, data);
        String dev = Root.output("losetup", "-f", "--show", img.toString());
        assumeTrue(dev != null && dev.startsWith("/dev/loop"), "losetup could not attach a loop device");
        try {
            Run r = run("--filename=" + dev, "--engine=psync", "--rw=randwrite", "--size=512k", "--runtime=1s");
            assertEquals(2, r.exit());
            assertTrue(r.err().contains("--allow-device-write"), r.err());
            Run read = run("--filename=" + dev, "--engine=psync", "--rw=randread", "--size=512k", "--runtime=1s",
                    "--output-format=json");
            assertEquals(0, read.exit(), read.err());
        } finally {
            Root.run("losetup", "-d", dev);
        }
        byte[] after = Files.readAllBytes(img);
        assertEquals(-1, java.util.Arrays.mismatch(data, after), "the device's data is untouched");
    }

    @Test
    void theOldEngineNameAioSaysWhatItBecame() {
        Run r = run("--filename=" + file(), "--engine=psync,aio");
        assertEquals(2, r.exit(), r.err());
        assertEquals("rawio bench: unknown engine: aio (renamed: asyncchannel is java.nio's AsynchronousFileChannel;"
                + " libaio is Linux native AIO)", r.err().strip());
        assertFalse(Files.exists(file()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"psync", "pvsync", "filechannel", "asyncchannel", "posixaio", "mmap"})
    void aShortRealRunObeysTheInvariants(String engine) throws IOException {
        boolean direct = !engine.equals("mmap");
        Run r = run("--filename=" + file(), "--engine=" + engine, "--size=8m", "--bs=4k", "--iodepth=8",
                "--rw=randrw", "--runtime=1s", "--direct=" + (direct ? 1 : 0), "--output-format=json");
        assertEquals(0, r.exit(), r.err());
        JsonNode job = FioJson.MAPPER.readTree(r.out()).get("jobs").get(0);
        assertEquals(engine, job.get("jobname").asText());
        long ios = 0;
        for (String side : List.of("read", "write")) {
            JsonNode d = job.get(side);
            long n = d.get("total_ios").asLong();
            ios += n;
            assertEquals(n * 4096, d.get("io_bytes").asLong(), side + " io_bytes = ios x bs");
            if (n > 0) {
                JsonNode p = d.get("clat_ns").get("percentile");
                long prev = 0;
                for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
                    long v = p.get(it.next()).asLong();
                    assertTrue(v >= prev, side + " percentiles non-decreasing");
                    prev = v;
                }
                assertTrue(d.get("clat_ns").get("max").asLong() >= prev);
                assertTrue(d.get("lat_ns").get("mean").asDouble() >= d.get("clat_ns").get("mean").asDouble() * 0.99);
            }
        }
        assertTrue(ios > 0, "some I/O was done");
        JsonNode x = job.get("rawio");
        assertTrue(x.get("syscalls").asLong() > 0 || engine.equals("mmap"));
        if (io.rawio.nativeio.BlockDevices.diskOf(dir).isPresent()) {
            assertTrue(x.has("device"), "device counters present when the device is known");
            if (direct) {
                assertTrue(x.get("device").get("read_ios").asLong() > 0, "O_DIRECT reads reached the device");
            }
        }
    }

    @Test
    void aFileTheUserNamedIsKept() throws IOException {
        // --filename given: the file is the user's and is kept (the scratch file of a run without
        // --filename lives in the working directory, which a test in this JVM cannot change)
        Run r = run("--filename=" + file(), "--engine=psync", "--size=1m", "--runtime=1s", "--output-format=csv");
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.exists(file()));
        assertTrue(r.out().startsWith("engine,rw,bs"), r.out());
        assertEquals(2, r.out().strip().lines().count());
    }

    @Test
    void sizeBoundJobTransfersExactlyTheSize() throws IOException {
        Run r = run("--filename=" + file(), "--engine=psync", "--size=1m", "--bs=64k", "--rw=write",
                "--time_based=0", "--direct=0", "--output-format=json", "--fdatasync=4");
        assertEquals(0, r.exit(), r.err());
        JsonNode job = FioJson.MAPPER.readTree(r.out()).get("jobs").get(0);
        assertEquals(1 << 20, job.get("write").get("io_bytes").asLong(), "bytes accounted equal bytes requested");
        assertEquals(16, job.get("write").get("total_ios").asLong());
        assertEquals(4, job.get("rawio").get("syncs").asLong(), "fdatasync after every 4 writes");
    }

    @Test
    void fioAndRawioJsonReadTheSame() throws IOException {
        assumeTrue(FioRunner.version().isPresent(), "fio is not installed");
        Path f = file();
        Run r = run("--filename=" + f, "--engine=psync", "--size=4m", "--runtime=1s", "--output-format=json");
        assertEquals(0, r.exit(), r.err());
        JsonNode rawio = FioJson.MAPPER.readTree(r.out());

        var job = new BenchCommand();
        new CommandLine(job).parseArgs("--filename=" + f, "--engine=psync", "--size=4m", "--runtime=1s");
        JobSummary fio = FioRunner.run(job.job(), "psync", f);
        JobSummary ours = JobSummary.read(rawio).getFirst();
        for (JobSummary s : List.of(fio, ours)) {
            assertTrue(s.readIos() > 0, s.toString());
            assertEquals(0, s.writeIos());
            assertEquals(s.readIos() * 4096, s.readBytes());
            assertTrue(s.iops() > 0 && s.bwKiBs() > 0);
            assertTrue(s.clatP99Ns() >= s.clatP50Ns() && s.clatP50Ns() > 0);
            assertTrue(s.runtimeMs() > 500);
        }
        // The structure: every field fio writes for a direction that rawio claims to write.
        List<String> missing = new ArrayList<>();
        JsonNode fioRoot = fioJson(job, f);
        JsonNode fr = fioRoot.get("jobs").get(0).get("read");
        JsonNode rr = rawio.get("jobs").get(0).get("read");
        for (String k : List.of("io_bytes", "io_kbytes", "bw_bytes", "bw", "iops", "runtime", "total_ios", "short_ios",
                "drop_ios", "slat_ns", "clat_ns", "lat_ns")) {
            if (!fr.has(k)) {
                missing.add("fio:" + k);
            }
            if (!rr.has(k)) {
                missing.add("rawio:" + k);
            }
        }
        for (Iterator<String> it = fr.get("clat_ns").get("percentile").fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!rr.get("clat_ns").get("percentile").has(key)) {
                missing.add("rawio percentile " + key);
            }
        }
        assertTrue(missing.isEmpty(), "fields missing: " + missing);
    }

    private static JsonNode fioJson(BenchCommand job, Path f) throws IOException {
        Path out = Files.createTempFile("fio", ".json");
        try {
            Process p = new ProcessBuilder(FioRunner.command(job.job(), "psync", f, out))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor();
            String s = Files.readString(out);
            return FioJson.MAPPER.readTree(s.substring(s.indexOf('{')));
        } catch (InterruptedException e) {
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
