package io.rawio.jmh.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison harness drives all three stores, checks what they read back, and refuses bad input. */
class KvCompareTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(KvCompare cmd, String... args) {
        return KvCompare.run(cmd, args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private KvCompare cmd() {
        return new KvCompare(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String[] small(Path dir, String... more) {
        List<String> a = new ArrayList<>(List.of("--dir", dir.toString(), "--count", "40", "--value-size", "16k",
                "--batch", "8", "--latency-ops", "6", "--drop-caches", "off"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void everyStoreReadsBackEveryValueAndTheReportHasEveryRound(@TempDir Path dir) throws IOException {
        KvCompare c = cmd();
        Path json = dir.resolve("r.json");
        int rc = run(c, small(dir.resolve("work"), "--rounds", "2", "--json", json.toString()));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        KvCompare.Report r = c.report;
        assertNotNull(r);
        assertEquals(6, r.rounds().size());
        for (KvCompare.RoundResult rr : r.rounds()) {
            // 34 keys in the get phase, 6 single gets: every one compared with what was put
            assertEquals(40, rr.valuesChecked(), rr.system());
            assertTrue(rr.putMiBps() > 0 && Double.isFinite(rr.putMiBps()), rr.system());
            assertTrue(rr.getMiBps() > 0 && Double.isFinite(rr.getMiBps()), rr.system());
            assertTrue(rr.getP50Us() <= rr.getP99Us(), rr.system());
            assertTrue(rr.putP50Us() <= rr.putP99Us(), rr.system());
            assertTrue(rr.bytesOnDisk() > 40L * 16 * 1024, rr.system() + " holds the values: " + rr.bytesOnDisk());
        }
        assertEquals(List.of("rawio", "rocksdb", "lmdb"), List.copyOf(r.medians().keySet()));
        assertEquals(List.of("rocksdb", "lmdb"), List.copyOf(r.rawioRatios().keySet()));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("vs rocksdb") && text.contains("vs lmdb"), text);
        String written = Files.readString(json);
        assertTrue(written.contains("\"rawioRatios\"") && written.contains("\"putMiBps\""), written);
        // the stores' directories are removed after each run
        try (var s = Files.list(dir.resolve("work"))) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void theGetFractionReadsOnlyPartOfTheKeys(@TempDir Path dir) {
        KvCompare c = cmd();
        int rc = run(c, small(dir, "--systems", "rawio", "--rounds", "1", "--get-fraction", "0.5"));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        // 34 keys in the get phase, half of them read: 17, plus the 6 single gets
        assertEquals(23, c.report.rounds().getFirst().valuesChecked());
    }

    @Test
    void rawioBufferedOnAnotherEngineAndRocksDbWithItsWalStillReadBackEveryValue(@TempDir Path dir) {
        KvCompare c = cmd();
        int rc = run(c, small(dir, "--systems", "rawio,rocksdb", "--rounds", "1", "--rawio-buffered",
                "--rawio-engine", "psync", "--rocksdb-wal"));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        assertEquals(false, c.report.setup().get("rawioDirect"));
        assertEquals("psync", c.report.setup().get("rawioEngine"));
        assertEquals(true, c.report.setup().get("rocksdbWal"));
        KvCompare.RoundResult rawio = c.report.rounds().getFirst();
        assertEquals("engine psync, buffered", rawio.detail());
        for (KvCompare.RoundResult rr : c.report.rounds()) {
            assertEquals(40, rr.valuesChecked(), rr.system());
        }
    }

    @Test
    void aStoreThatReturnsAWrongValueFailsTheRun(@TempDir Path dir) {
        KvCompare c = new KvCompare(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)) {
            @Override
            KvStore open(String system, Path d, Workload w, Durability durability, boolean create) throws IOException {
                return new FlippingStore(super.open(system, d, w, durability, create));
            }
        };
        int rc = run(c, small(dir, "--systems", "lmdb", "--rounds", "1"));
        assertEquals(1, rc);
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("lmdb: key k") && e.contains("read back a different value"), e);
    }

    @Test
    void badInputIsOneLineAndExitTwo(@TempDir Path dir) {
        for (String[] bad : List.of(new String[] {"--durability", "maybe"}, new String[] {"--systems", "rawio,sqlite"},
                new String[] {"--count", "1"}, new String[] {"--get-fraction", "0"}, new String[] {"--nope"},
                new String[] {"--rawio-engine", "nope"})) {
            out.reset();
            err.reset();
            int rc = run(cmd(), small(dir, bad));
            assertEquals(2, rc, String.join(" ", bad));
            String e = err.toString(StandardCharsets.UTF_8).strip();
            assertTrue(e.startsWith("kv-compare: "), e);
            assertFalse(e.contains("\n"), e);
        }
    }

    /** Passes everything through, but flips a byte of every value that a batch get returns. */
    private record FlippingStore(KvStore in) implements KvStore {
        @Override
        public void putBatch(List<byte[]> keys, List<byte[]> values) throws IOException {
            in.putBatch(keys, values);
        }

        @Override
        public List<byte[]> getBatch(List<byte[]> keys) throws IOException {
            List<byte[]> v = in.getBatch(keys);
            for (byte[] b : v) {
                if (b != null && b.length > 100) {
                    b[100] ^= 1;
                }
            }
            return v;
        }

        @Override
        public void put(byte[] key, byte[] value) throws IOException {
            in.put(key, value);
        }

        @Override
        public byte[] get(byte[] key) throws IOException {
            return in.get(key);
        }

        @Override
        public void finishWrites() throws IOException {
            in.finishWrites();
        }

        @Override
        public long bytesOnDisk() throws IOException {
            return in.bytesOnDisk();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
