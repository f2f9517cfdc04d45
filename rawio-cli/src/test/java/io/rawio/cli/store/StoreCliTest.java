package io.rawio.cli.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreCliTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err, byte[] raw) {
    }

    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        StoreCommand.rawOut = System.out;
        StoreCommand.rawIn = System.in;
    }

    Run run(String... args) {
        raw.reset();
        StoreCommand.rawOut = raw;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> a = new ArrayList<>(List.of("store"));
        a.addAll(List.of(args));
        int exit = Main.run(a.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), raw.toByteArray());
    }

    @Test
    void theOldEngineNameAioSaysWhatItBecame() {
        Run r = run("format", dir.resolve("s.store").toString(), "--size=8m", "--slot=16k", "--engine=aio");
        assertEquals(2, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains("unknown engine: aio (renamed: asyncchannel is java.nio's AsynchronousFileChannel;"
                + " libaio is Linux native AIO)"), r.err());
    }

    private String store() {
        String p = dir.resolve("s.store").toString();
        Run r = run("format", p, "--size=8m", "--slot=16k", "--engine=psync");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("slots of 16k"), r.out());
        return p;
    }

    @Test
    void putGetDelLsStat() throws IOException {
        String p = store();
        Path f = Files.write(dir.resolve("value.bin"), "hello".getBytes());
        assertEquals(0, run("put", p, "greeting", f.toString(), "--engine=psync").exit());
        StoreCommand.rawIn = new ByteArrayInputStream("from stdin".getBytes());
        assertEquals(0, run("put", p, "piped", "-", "--engine=psync").exit());
        Run g = run("get", p, "greeting", "--engine=psync");
        assertEquals(0, g.exit(), g.err());
        assertArrayEquals("hello".getBytes(), g.raw());
        assertArrayEquals("from stdin".getBytes(), run("get", p, "piped", "--engine=psync").raw());
        Run ls = run("ls", p, "--engine=psync");
        assertTrue(ls.out().contains("greeting") && ls.out().contains("piped"), ls.out());
        Run st = run("stat", p, "--engine=psync");
        assertTrue(st.out().contains("keys         2"), st.out());
        assertTrue(st.out().contains("format       version 3"), st.out());
        assertTrue(st.out().matches("(?s).*index +\\d+ bytes \\([0-9.]+ per key\\).*"), st.out());
        assertEquals(0, run("del", p, "greeting", "--engine=psync").exit());
        Run missing = run("get", p, "greeting", "--engine=psync");
        assertEquals(1, missing.exit());
        assertEquals("rawio store get: no such key: greeting", missing.err().strip());
        assertEquals(1, run("del", p, "greeting", "--engine=psync").exit());
    }

    @Test
    void badInputIsOneLineAndChangesNothing() throws IOException {
        String p = store();
        Path f = Files.write(dir.resolve("v"), "x".getBytes());
        assertEquals(0, run("put", p, "k", f.toString(), "--engine=psync").exit());
        byte[] before = Files.readAllBytes(Path.of(p));
        Path big = Files.write(dir.resolve("big"), new byte[20000]);
        Path junk = Files.write(dir.resolve("junk"), new byte[65536]);
        String[][] cases = {
            {"put", p, "", f.toString()},
            {"put", p, "k2", dir.resolve("missing").toString()},
            {"put", p, "k3", big.toString()},
            {"get", junk.toString(), "k"},
            {"get", dir.resolve("nothing").toString(), "k"},
            {"format", dir.resolve("n1").toString(), "--size=8m", "--slot=1000"},
            {"format", dir.resolve("n2").toString(), "--size=16k", "--slot=4k"},
            {"format", p, "--size=8m", "--slot=16k"},
            {"format", p, "--size=8m", "--slot=16k", "--force", "--prealloc=sparse"},
            {"format", dir.resolve("n3").toString(), "--size=8m", "--slot=16k", "--prealloc=sparse"},
            {"put", p},
            {"import", p, dir.resolve("missing").toString()},
            {"bench", p, "--op=fly"},
            {"bench", p, "--op=get", "--order=backwards"},
            {"bench", p, "--op=get", "--read=mmap"},
            {"bench", p, "--op=put", "--warmup=1"},
            {"get", p, "k", "--engine=warp"},
        };
        for (String[] c : cases) {
            String[] args = new String[c.length + 1];
            System.arraycopy(c, 0, args, 0, c.length);
            args[c.length] = "--engine=psync";
            if (c[c.length - 1].startsWith("--engine=")) {
                args = c;
            }
            Run r = run(args);
            assertTrue(r.exit() != 0, String.join(" ", c));
            if (c[0].equals("put") || c[0].equals("format")) {
                assertEquals(2, r.exit(), "a bad argument: " + String.join(" ", c) + " -> " + r.err());
            }
            long lines = r.err().strip().lines().count();
            assertEquals(1, lines, String.join(" ", c) + " -> " + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
        assertArrayEquals(before, Files.readAllBytes(Path.of(p)), "the store is byte for byte unchanged");
        assertFalse(Files.exists(dir.resolve("n1")));
        assertFalse(Files.exists(dir.resolve("n2")));
        assertFalse(Files.exists(dir.resolve("n3")));
    }

    /** A store of 4 classes: 4k, 64k, 1m and 4m slots, the last two with more of the space. */
    private String classStore() {
        String p = dir.resolve("c.store").toString();
        Run r = run("format", p, "--size=64m", "--classes=4k,64k,1m,4m+", "--class-share=1,1,2,4",
                "--prealloc=fallocate", "--engine=psync");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("in 4 classes"), r.out());
        assertTrue(r.out().matches("(?s).*class 0: [0-9,]+ slots of 4k.*class 3: [0-9,]+ slots of 4m\n"), r.out());
        return p;
    }

    @Test
    void valuesOfDifferentSizesLandInTheirClassesAndStatShowsThem() throws IOException {
        String p = classStore();
        int[] sizes = {100, 10_000, 500_000, 3_000_000};
        for (int i = 0; i < sizes.length; i++) {
            byte[] v = new byte[sizes[i]];
            java.util.Arrays.fill(v, (byte) ('a' + i));
            Path f = Files.write(dir.resolve("v" + i), v);
            Run put = run("put", p, "k" + i, f.toString(), "--engine=psync");
            assertEquals(0, put.exit(), put.err());
        }
        for (int i = 0; i < sizes.length; i++) {
            Run g = run("get", p, "k" + i, "--engine=psync");
            assertEquals(0, g.exit(), g.err());
            assertEquals(sizes[i], g.raw().length);
            assertEquals('a' + i, g.raw()[sizes[i] - 1]);
        }
        Run st = run("stat", p, "--engine=psync");
        assertEquals(0, st.exit(), st.err());
        assertTrue(st.out().contains("keys         4"), st.out());
        assertTrue(st.out().contains("in 4 classes"), st.out());
        assertTrue(st.out().contains("expired      0"), st.out());
        // one key in each class, with its value's bytes
        for (int i = 0; i < sizes.length; i++) {
            assertTrue(st.out().matches("(?s).*\\n +" + i + " +\\S+ +\\d+ +1 +" + sizes[i] + " .*"), st.out());
        }
        Run ls = run("ls", p, "--count=1", "--engine=psync");
        assertEquals(0, ls.exit(), ls.err());
        assertEquals(4, ls.out().lines().count(), ls.out());
        assertTrue(ls.out().contains(String.format("%10d  k3", 3_000_000)), ls.out());
    }

    @Test
    void maxValueFormatsClassesUpToTheLargestValue() throws IOException {
        String p = dir.resolve("m.store").toString();
        Run r = run("format", p, "--size=32m", "--max-value=1m", "--prealloc=fallocate", "--engine=psync");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("class 0: ") && r.out().contains(" slots of 4k"), r.out());
        Path big = Files.write(dir.resolve("big"), new byte[1 << 20]);
        assertEquals(0, run("put", p, "big", big.toString(), "--engine=psync").exit());
        assertEquals(1 << 20, run("get", p, "big", "--engine=psync").raw().length);
        Path tooBig = Files.write(dir.resolve("tooBig"), new byte[(1 << 20) + 8192]);
        assertEquals(2, run("put", p, "tooBig", tooBig.toString(), "--engine=psync").exit());
    }

    @Test
    void expireInSetsATtlAndPersistRemovesIt() throws IOException {
        String p = store();
        Path f = Files.write(dir.resolve("v"), "session".getBytes());
        assertEquals(0, run("put", p, "s", f.toString(), "--expire-in=1h", "--engine=psync").exit());
        Run ttl = run("ttl", p, "s", "--engine=psync");
        assertEquals(0, ttl.exit(), ttl.err());
        long ms = Long.parseLong(ttl.out().strip());
        assertTrue(ms > 0 && ms <= 3_600_000, ttl.out());
        assertEquals(0, run("persist", p, "s", "--engine=psync").exit());
        assertEquals("none", run("ttl", p, "s", "--engine=psync").out().strip());
        assertArrayEquals("session".getBytes(), run("get", p, "s", "--engine=psync").raw());
        Run absent = run("ttl", p, "nothing", "--engine=psync");
        assertEquals(1, absent.exit());
        assertEquals("absent", absent.out().strip());
        assertEquals(1, run("persist", p, "nothing", "--engine=psync").exit());
        long at = System.currentTimeMillis() + 60_000;
        assertEquals(0, run("put", p, "t", f.toString(), "--expire-at=" + at, "--engine=psync").exit());
        long left = Long.parseLong(run("ttl", p, "t", "--engine=psync").out().strip());
        assertTrue(left > 0 && left <= 60_000, Long.toString(left));
    }

    @Test
    void expiredKeysAreGoneAfterTheirTime() throws Exception {
        String p = store();
        Path f = Files.write(dir.resolve("v"), "brief".getBytes());
        assertEquals(0, run("put", p, "brief", f.toString(), "--expire-in=300", "--engine=psync").exit());
        assertEquals(0, run("put", p, "stays", f.toString(), "--engine=psync").exit());
        Thread.sleep(400);
        assertEquals(1, run("get", p, "brief", "--engine=psync").exit());
        assertEquals("absent", run("ttl", p, "brief", "--engine=psync").out().strip());
        Run ls = run("ls", p, "--engine=psync");
        assertEquals(List.of("         5  stays"), ls.out().lines().toList());
    }

    @Test
    void lsFiltersByPrefix() throws IOException {
        String p = store();
        Path f = Files.write(dir.resolve("v"), "x".getBytes());
        for (String k : List.of("user:1", "user:2", "order:1")) {
            assertEquals(0, run("put", p, k, f.toString(), "--durability=none", "--engine=psync").exit());
        }
        Run ls = run("ls", p, "--prefix=user:", "--count=2", "--engine=psync");
        assertEquals(0, ls.exit(), ls.err());
        assertEquals(List.of("user:1", "user:2"), ls.out().lines().map(l -> l.substring(12)).sorted().toList());
    }

    @Test
    void badClassesAndExpiriesAreOneLineAndWriteNothing() throws IOException {
        String p = store();
        Path f = Files.write(dir.resolve("v"), "x".getBytes());
        String seventeen = String.join(",", java.util.stream.IntStream.rangeClosed(1, 17)
                .mapToObj(i -> (4 * i) + "k").toList());
        String[][] cases = {
            {"--classes=64k,4k"},
            {"--classes=4k,4k"},
            {"--classes=4k,6000"},
            {"--classes=4k,4700"},
            {"--classes=3584,4k"},
            {"--classes=" + seventeen},
            {"--classes=4k+,64k"},
            {"--classes=4k,,64k"},
            {"--classes=4k,64k", "--slot=4k"},
            {"--max-value=1m", "--classes=4k,64k"},
            {"--slot=16k", "--class-share=1"},
            {"--classes=4k,64k", "--class-share=1,2,3"},
            {"--classes=4k,64k", "--class-share=1,-2"},
            {"--max-value=lots"},
            {},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("format", dir.resolve("n").toString(), "--size=8m",
                    "--prealloc=fallocate", "--engine=psync"));
            args.addAll(List.of(c));
            Run r = run(args.toArray(String[]::new));
            assertEquals(2, r.exit(), args + " -> " + r.out() + r.err());
            assertEquals(1, r.err().strip().lines().count(), args + " -> " + r.err());
            assertTrue(r.err().startsWith("rawio store format: "), r.err());
            assertFalse(Files.exists(dir.resolve("n")), String.join(" ", c));
        }
        byte[] before = Files.readAllBytes(Path.of(p));
        String[][] puts = {
            {"--expire-in=soon"},
            {"--expire-in=0"},
            {"--expire-in=1h", "--expire-at=99999999999999"},
            {"--expire-at=1700000000"},
            {"--expire-at=tomorrow"},
        };
        for (String[] c : puts) {
            List<String> args = new ArrayList<>(List.of("put", p, "k", f.toString(), "--engine=psync"));
            args.addAll(List.of(c));
            Run r = run(args.toArray(String[]::new));
            assertEquals(2, r.exit(), args + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), args + " -> " + r.err());
        }
        assertArrayEquals(before, Files.readAllBytes(Path.of(p)), "the store is byte for byte unchanged");
    }

    @Test
    void theDefaultIsMaxValue4m() throws IOException {
        String p = dir.resolve("d.store").toString();
        Run r = run("format", p, "--size=128m", "--prealloc=fallocate", "--engine=psync");
        assertEquals(0, r.exit(), r.err());
        try (var s = io.rawio.store.SlotStore.open(Path.of(p), io.rawio.store.StoreOptions.defaults().withEngine("psync"))) {
            assertEquals(io.rawio.store.SlotClasses.forMaxValue(4 << 20).slotSizes(),
                    s.superblock().classes().stream().map(c -> c.slotSize()).toList());
        }
    }

    @Test
    void importStoresIntoEveryClass() throws IOException {
        String p = classStore();
        List<String> args = new ArrayList<>(List.of("import", p, "--engine=psync"));
        int[] sizes = {10, 50_000, 900_000, 4_000_000, 5_000_000};
        for (int i = 0; i < sizes.length; i++) {
            args.add(Files.write(dir.resolve("f" + i), new byte[sizes[i]]).toString());
        }
        Run r = run(args.toArray(String[]::new));
        assertEquals(1, r.exit(), "the 5,000,000-byte file fits no class");
        assertEquals(4, r.out().lines().filter(l -> l.startsWith("stored f")).count(), r.out());
        assertTrue(r.err().contains("f4"), r.err());
        for (int i = 0; i < 4; i++) {
            assertEquals(sizes[i], run("get", p, "f" + i, "--engine=psync").raw().length);
        }
    }

    @Test
    void importPrintsStoredOncePerKeyAndExportWritesThemBack() throws IOException {
        String p = store();
        List<String> args = new ArrayList<>(List.of("import", p, "--batch=3", "--durability=durable", "--engine=psync"));
        for (int i = 0; i < 7; i++) {
            args.add(Files.write(dir.resolve("file" + i + ".dat"), ("content " + i).getBytes()).toString());
        }
        Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        assertEquals(7, r.out().lines().filter(l -> l.startsWith("stored file")).count(), r.out());
        Path out = dir.resolve("out");
        assertEquals(0, run("export", p, out.toString(), "--engine=psync").exit());
        for (int i = 0; i < 7; i++) {
            assertArrayEquals(("content " + i).getBytes(), Files.readAllBytes(out.resolve("file" + i + ".dat")));
        }
    }

    @Test
    void checkFindsCorruption() throws IOException {
        String p = store();
        Path f = Files.write(dir.resolve("v"), new byte[3000]);
        assertEquals(0, run("put", p, "a", f.toString(), "--engine=psync").exit());
        assertEquals(0, run("put", p, "b", f.toString(), "--engine=psync").exit());
        Run ok = run("check", p, "--engine=psync");
        assertEquals(0, ok.exit(), ok.out() + ok.err());
        assertTrue(ok.out().strip().endsWith("ok"));
        long slots0;
        try (var s = io.rawio.store.SlotStore.open(Path.of(p), io.rawio.store.StoreOptions.defaults().withEngine("psync"))) {
            slots0 = s.superblock().slotOffset(s.keys().stream().filter(k -> k.key()[0] == 'a')
                    .findFirst().orElseThrow().position() % s.superblock().slotCount());
        }
        try (RandomAccessFile raf = new RandomAccessFile(p, "rw")) {
            raf.seek(slots0 + 200);
            raf.write(0xff);
        }
        Run bad = run("check", p, "--engine=psync");
        assertEquals(1, bad.exit());
        assertTrue(bad.out().contains("keys corrupt        1"), bad.out());
        assertTrue(bad.out().strip().endsWith("CORRUPT"));
    }

    @Test
    void benchPrintsThroughputAndLatency() throws Exception {
        String p = store();
        Run r = run("bench", p, "--op=put", "--value-size=4k", "--count=200", "--batch=16", "--engine=psync",
                "--output-format=json");
        assertEquals(0, r.exit(), r.err());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertEquals(200, json.get("count").asLong());
        assertTrue(json.get("ops_per_sec").asDouble() > 0);
        assertTrue(json.get("lat_p99_ns").asLong() >= json.get("lat_p50_ns").asLong());
        Run g = run("bench", p, "--op=get", "--value-size=4k", "--count=200", "--engine=psync");
        assertEquals(0, g.exit(), g.err());
        assertTrue(g.out().contains("ops/s"));
        Run s = run("bench", p, "--op=get", "--value-size=4k", "--count=200", "--per-call=64", "--order=sequential",
                "--engine=psync");
        assertEquals(0, s.exit(), s.err());
        assertTrue(s.out().contains("get 200 x"), s.out());
        Run l = run("bench", p, "--op=get", "--value-size=4k", "--count=200", "--per-call=64", "--read=lease",
                "--warmup=1", "--engine=psync", "--output-format=json");
        assertEquals(0, l.exit(), l.err());
        var leased = new com.fasterxml.jackson.databind.ObjectMapper().readTree(l.out());
        assertEquals("lease", leased.get("read").asText());
        assertEquals(1, leased.get("warmup_passes").asInt());
        assertEquals(200, leased.get("count").asLong(), "the warm-up is not counted");
        // A mixed run with a DRAM tier: gets of keys read before are answered from memory.
        Run m = run("bench", p, "--op=mixed", "--value-size=4k", "--count=200", "--per-call=8", "--cache=4m",
                "--engine=psync", "--output-format=json");
        assertEquals(0, m.exit(), m.err());
        var mixed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(m.out());
        assertTrue(mixed.get("cache_hits").asLong() + mixed.get("cache_misses").asLong() > 0, m.out());
        Run bad = run("bench", p, "--op=get", "--cache=lots", "--engine=psync");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("--cache"), bad.err());
    }

    @Property(tries = 200)
    void keyNamesRoundTripAndAreSafe(@ForAll byte[] key) {
        String name = KeyNames.encode(key);
        assertArrayEquals(key, KeyNames.decode(name));
        assertFalse(name.contains("/"));
        assertFalse(name.equals(".") || name.equals(".."));
    }
}
