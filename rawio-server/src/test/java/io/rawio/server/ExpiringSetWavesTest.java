package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SlotClasses;
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
 * SETs with an expiry (EX, PX, EXAT, PXAT, SETEX, PSETEX) go in a round's wave with the plain ones: a
 * pipeline of them is a few putManys, not one write each, and every key ends with the value and expiry
 * of its last SET, as one at a time would leave it.
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class ExpiringSetWavesTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    static long info(RespClient c, String field) throws Exception {
        for (String line : c.call("INFO", "rawio").split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1));
            }
        }
        throw new AssertionError(field + " not in INFO");
    }

    static long pttl(RespClient c, String key) throws Exception {
        String r = c.call("PTTL", key);
        assertTrue(r.startsWith(":"), r);
        return Long.parseLong(r.substring(1).trim());
    }

    @Test
    void aPipelineOfExpiringSetsIsAFewBatchesAndEachKeyKeepsItsLastSet() throws Exception {
        int n = 2_000;
        // One class of 16,384 4 KiB slots: every key stays.
        try (RunningServer running = new RunningServer(loop, dir, 64L << 20, SlotClasses.ofEqualSpace(List.of(4096L)),
                4096, o -> o);
                RespClient c = new RespClient(running.server.address())) {
            long before = info(c, "put_batches");
            List<String[]> requests = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String k = "k" + i;
                requests.add(switch (i % 4) {
                    case 0 -> new String[] {"SET", k, "v" + i, "EX", "1000"};
                    case 1 -> new String[] {"PSETEX", k, "2000000", "v" + i};
                    case 2 -> new String[] {"SETEX", k, "3000", "v" + i};
                    default -> new String[] {"SET", k, "v" + i};
                });
            }
            // The same key set again in the same pipeline: the last SET's value and expiry stand.
            requests.add(new String[] {"SET", "again", "first", "EX", "100"});
            requests.add(new String[] {"SET", "again", "second"});
            requests.add(new String[] {"SET", "later", "first"});
            requests.add(new String[] {"SET", "later", "second", "PX", "400000"});
            c.sendAll(requests.toArray(String[][]::new));
            for (int i = 0; i < requests.size(); i++) {
                assertEquals("+OK\r\n", c.reply(), "reply " + i);
            }
            long batches = info(c, "put_batches") - before;
            assertTrue(batches < n / 10, requests.size() + " SETs in " + batches + " putManys");
            for (int i = 0; i < n; i += 97) {
                String k = "k" + i;
                assertEquals("$" + ("v" + i).length() + "\r\nv" + i + "\r\n", c.call("GET", k));
                long left = pttl(c, k);
                long want = switch (i % 4) {
                    case 0 -> 1_000_000;
                    case 1 -> 2_000_000;
                    case 2 -> 3_000_000;
                    default -> -1;
                };
                if (want < 0) {
                    assertEquals(-1, left, k);
                } else {
                    assertTrue(left <= want && left > want - 60_000, k + ": " + left + " ms left, set " + want);
                }
            }
            assertEquals("$6\r\nsecond\r\n", c.call("GET", "again"));
            assertEquals(-1, pttl(c, "again"), "the plain SET after it took the expiry away");
            assertEquals("$6\r\nsecond\r\n", c.call("GET", "later"));
            long left = pttl(c, "later");
            assertTrue(left <= 400_000 && left > 340_000, "later: " + left);
            // A SET whose expiry already passed still runs alone, as before: the key is gone.
            assertEquals("+OK\r\n", c.call("SET", "past", "v", "PXAT", "1"));
            assertEquals("$-1\r\n", c.call("GET", "past"));
        }
    }
}
