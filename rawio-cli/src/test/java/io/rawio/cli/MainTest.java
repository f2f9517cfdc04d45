package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rawio.nativeio.Numa;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpListsTheSubcommands() {
        Run r = run("--help");
        assertEquals(0, r.exit());
        for (String c : new String[] {"bench", "lab", "store", "info"}) {
            assertTrue(r.out().contains("  " + c + " "), c + " in " + r.out());
        }
        assertEquals("", r.err());
    }

    @Test
    void versionNamesRawioAndJava() {
        Run r = run("--version");
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("rawio "), r.out());
    }

    @Test
    void anUnknownSubcommandIsOneLineWithAHint() {
        Run r = run("frobnicate");
        assertEquals(2, r.exit());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].contains("frobnicate"), lines[0]);
        assertTrue(lines[0].contains("rawio --help"), lines[0]);
        assertEquals("", r.out());
    }

    @Test
    void anUnknownOptionIsOneLineWithAHint() {
        Run r = run("--frobnicate");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("rawio: Unknown option: '--frobnicate'"), r.err());
        Run sub = run("info", "--frobnicate");
        assertEquals(2, sub.exit());
        assertTrue(sub.err().contains("rawio info --help"), sub.err());
        assertEquals(1, sub.err().strip().lines().count(), sub.err());
    }

    @Test
    void infoReportsKernelAlignmentAndEngines() {
        Run r = run("info");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("kernel"));
        assertTrue(r.out().contains("O_DIRECT alignment"));
        assertTrue(r.out().contains("psync"));
        assertTrue(r.out().contains("transparent huge pages"));
        if (io.rawio.uring.IoUring.available()) {
            // what serve's io_uring loop would use here, probed as the loop probes it
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  serve loop") && l.contains("accept")
                    && l.contains("recv")), r.out());
        }
    }

    @Test
    void infoSaysOfEachEngineWhetherItRunsHere() throws Exception {
        Run r = run("info");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("  libaio "), r.out());
        assertTrue(r.out().contains("  asyncchannel "), r.out());
        assertTrue(r.out().contains("java.nio AsynchronousFileChannel"), r.out());
        if (Files.exists(Path.of("/proc/sys/fs/aio-max-nr"))) {
            assertTrue(r.out().contains("fs.aio-max-nr"), r.out());
            assertTrue(r.out().contains("fs.aio-nr"), r.out());
        }
        JsonNode engines = new ObjectMapper().readTree(run("info", "--output-format=json").out()).get("engines");
        assertEquals(io.rawio.libaio.AioContext.available(), engines.get("libaio").get("available").asBoolean());
        assertEquals(io.rawio.engine.UringEngine.unavailableReason().isEmpty(), engines.get("uring").get("available").asBoolean());
        assertTrue(engines.get("asyncchannel").get("available").asBoolean());
        assertTrue(engines.get("libaio").get("value").asText().length() > "unavailable".length());
        assertFalse(engines.has("aio"));
    }

    @Test
    void infoAsJsonParses() throws Exception {
        Run r = run("info", "--output-format=json");
        assertEquals(0, r.exit(), r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertTrue(root.get("system").get("kernel").get("value").asText().startsWith("Linux"));
        assertTrue(root.get("engines").get("psync").get("available").asBoolean());
    }

    @Test
    void infoListsTheNumaNodesSysfsHas() throws Exception {
        Run r = run("info");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("\nNUMA\n"), r.out());
        List<String> sysfs = new ArrayList<>();
        if (Files.isDirectory(Numa.SYSFS_NODES)) {
            try (var dirs = Files.newDirectoryStream(Numa.SYSFS_NODES, "node[0-9]*")) {
                dirs.forEach(d -> sysfs.add("node " + d.getFileName().toString().substring(4)));
            }
        }
        JsonNode numa = new ObjectMapper().readTree(run("info", "--output-format=json").out()).get("NUMA");
        List<String> listed = new ArrayList<>();
        numa.fieldNames().forEachRemaining(n -> {
            if (n.matches("node \\d+")) {
                listed.add(n);
            }
        });
        assertEquals(sysfs.stream().sorted().toList(), listed.stream().sorted().toList());
        for (String node : sysfs) {
            assertTrue(r.out().contains("  " + node + " "), node + " in " + r.out());
        }
        assertTrue(numa.has("store scratch buffers"), numa.toString());
        if (sysfs.size() <= 1) {
            assertTrue(numa.get("binding").get("value").asText().contains("cannot be measured here"), numa.toString());
        }
    }

    @Test
    void infoRefusesABadDirectory() {
        Run r = run("info", "--dir=/no/such/dir");
        assertEquals(2, r.exit());
        assertEquals(1, r.err().strip().lines().count());
    }

    @Test
    void labListsItsLabsAndRefusesUnknownOnes() {
        Run r = run("lab", "--list");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("buffer-size") && r.out().contains("sync-modes"), r.out());
        Run bad = run("lab", "warp-drive");
        assertEquals(2, bad.exit());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("unknown lab: warp-drive"));
    }
}
