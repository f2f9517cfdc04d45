package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SlotClasses;
import io.rawio.store.StoreOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT without options go in a round's wave: a pipeline of them is a
 * few getMany-and-putMany batches, each answered as one at a time would be, and each key keeps its value
 * and gets the last expiry it was given. The rest (options, times already past) runs alone, as before.
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class ExpireWavesTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    @Test
    void aPipelineOfExpiresIsAFewBatchesAndEachKeyGetsItsLastExpiry() throws Exception {
        int n = 1_000;
        try (RunningServer running = new RunningServer(loop, dir, 64L << 20, SlotClasses.ofEqualSpace(List.of(4096L)),
                4096, x -> x, StoreOptions.defaults().withEngine(RunningServer.engine()));
                RespClient c = new RespClient(running.server.address())) {
            List<String[]> sets = new ArrayList<>();
            for (int i = 0; i < n; i += 2) {
                sets.add(new String[] {"SET", "k" + i, "value" + i}); // the even keys are there
            }
            c.sendAll(sets.toArray(String[][]::new));
            for (int i = 0; i < sets.size(); i++) {
                assertEquals("+OK\r\n", c.reply());
            }
            long before = ExpiringSetWavesTest.info(c, "expire_batches");
            long now = System.currentTimeMillis();
            List<String[]> requests = new ArrayList<>();
            List<String> want = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String k = "k" + i;
                requests.add(switch (i % 4) {
                    case 0 -> new String[] {"EXPIRE", k, "1000"};
                    case 1 -> new String[] {"pexpire", k, "2000000"};
                    case 2 -> new String[] {"ExpireAt", k, Long.toString(now / 1000 + 3000)};
                    default -> new String[] {"PEXPIREAT", k, Long.toString(now + 4_000_000)};
                });
                want.add(i % 2 == 0 ? ":1\r\n" : ":0\r\n");
            }
            requests.add(new String[] {"EXPIRE", "k0", "500"}); // again, later: the last expiry stands
            want.add(":1\r\n");
            requests.add(new String[] {"EXPIRE", "k2", "500", "GT"}); // an option: alone, as before
            want.add(":0\r\n");
            requests.add(new String[] {"EXPIRE", "k4", "-1"}); // past: deletes the key, alone
            want.add(":1\r\n");
            requests.add(new String[] {"EXPIRE", "k6", "ten"});
            want.add("-ERR value is not an integer or out of range\r\n");
            c.sendAll(requests.toArray(String[][]::new));
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i), c.reply(), "reply " + i + " to " + String.join(" ", requests.get(i)));
            }
            long batches = ExpiringSetWavesTest.info(c, "expire_batches") - before;
            assertTrue(batches >= 1 && batches < n / 10, n + " EXPIREs in " + batches + " batches");
            long elapsed = System.currentTimeMillis() - now;
            for (int i = 8; i < n; i += 2) {
                String k = "k" + i;
                assertEquals("$" + ("value" + i).length() + "\r\nvalue" + i + "\r\n", c.call("GET", k), k);
                long left = ExpiringSetWavesTest.pttl(c, k);
                long set = switch (i % 4) {
                    case 0 -> 1_000_000;
                    default -> (now / 1000 + 3000) * 1000 - now;
                };
                assertTrue(left <= set && left >= set - elapsed - 2_000, k + ": " + left + " ms left, set " + set);
            }
            long k0 = ExpiringSetWavesTest.pttl(c, "k0");
            assertTrue(k0 <= 500_000 && k0 > 440_000, "k0: " + k0);
            assertEquals("$-1\r\n", c.call("GET", "k4"));
            assertEquals(":-2\r\n", c.call("PTTL", "k1"));
        }
    }

    /** A wave's EXPIREs read their values onto the heap: 4 MiB of them at most, the rest in later waves. */
    @Test
    void expiresOfLargeValuesGoAFewToAWave() throws Exception {
        int n = 10;
        String value = "x".repeat(1 << 20);
        try (RunningServer running = new RunningServer(loop, dir, 256L << 20, 1 << 20);
                RespClient c = new RespClient(running.server.address())) {
            List<String[]> sets = new ArrayList<>();
            List<String[]> expires = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sets.add(new String[] {"SET", "big" + i, value});
                expires.add(new String[] {"EXPIRE", "big" + i, "1000"});
            }
            c.sendAll(sets.toArray(String[][]::new));
            for (int i = 0; i < n; i++) {
                assertEquals("+OK\r\n", c.reply());
            }
            long before = ExpiringSetWavesTest.info(c, "expire_batches");
            c.sendAll(expires.toArray(String[][]::new));
            for (int i = 0; i < n; i++) {
                assertEquals(":1\r\n", c.reply(), "reply " + i);
            }
            long batches = ExpiringSetWavesTest.info(c, "expire_batches") - before;
            assertTrue(batches >= (n + 3) / 4, n + " EXPIREs of 1 MiB values in " + batches + " waves");
            for (int i = 0; i < n; i++) {
                long left = ExpiringSetWavesTest.pttl(c, "big" + i);
                assertTrue(left > 900_000 && left <= 1_000_000, "big" + i + ": " + left);
                assertEquals(":" + value.length() + "\r\n", c.call("STRLEN", "big" + i));
            }
        }
    }

    /**
     * With eviction off and the ring full, pipelined EXPIREs succeed in waves as they do one at a time:
     * each rewrite frees its old slot for the next, and the store's planning waits for a rewrite in
     * flight instead of refusing the slot it is about to free.
     */
    @Test
    void aFullRingWithEvictionOffTakesAWaveOfRewrites() throws Exception {
        StoreOptions o = StoreOptions.defaults().withEngine(RunningServer.engine())
                .withEviction(StoreOptions.Eviction.REJECT);
        try (RunningServer running = new RunningServer(loop, dir, 4L << 20, SlotClasses.ofEqualSpace(List.of(4096L)),
                4096, x -> x, o);
                RespClient c = new RespClient(running.server.address())) {
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                String r = c.call("SET", "k" + i, "v" + i);
                if (!r.equals("+OK\r\n")) {
                    break; // the ring is full
                }
                keys.add("k" + i);
            }
            assertTrue(keys.size() > 100 && keys.size() < 10_000, keys.size() + " keys");
            for (int i = 0; i < 10; i++) {
                assertEquals(":1\r\n", c.call("DEL", keys.removeFirst()));
            }
            List<String[]> expires = new ArrayList<>();
            for (String k : keys) {
                expires.add(new String[] {"EXPIRE", k, "1000"});
            }
            c.sendAll(expires.toArray(String[][]::new));
            for (int i = 0; i < keys.size(); i++) {
                assertEquals(":1\r\n", c.reply(), "EXPIRE " + keys.get(i));
            }
            for (int i = 0; i < keys.size(); i += 37) {
                long left = ExpiringSetWavesTest.pttl(c, keys.get(i));
                assertTrue(left > 900_000 && left <= 1_000_000, keys.get(i) + ": " + left);
            }
            assertEquals(":" + keys.size() + "\r\n", c.call("DBSIZE"));
            assertTrue(ExpiringSetWavesTest.info(c, "expire_batches") > 0, "the EXPIREs went in waves");
            // And pipelined SETs rewriting every key, in waves too: all stored, none refused.
            List<String[]> sets = new ArrayList<>();
            for (String k : keys) {
                sets.add(new String[] {"SET", k, "w" + k});
            }
            c.sendAll(sets.toArray(String[][]::new));
            for (String k : keys) {
                assertEquals("+OK\r\n", c.reply(), "SET " + k);
            }
            for (int i = 0; i < keys.size(); i += 41) {
                assertEquals("$" + ("w" + keys.get(i)).length() + "\r\nw" + keys.get(i) + "\r\n", c.call("GET", keys.get(i)));
            }
        }
    }
}
