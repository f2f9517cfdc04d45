package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SlotClasses;
import io.rawio.store.StoreOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

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

    /**
     * Three connections pipeline 600 random SETs each over 40 keys of their own, in every form a wave takes
     * (any case), on a store with and without durability (a durable wave is cut at 256 SETs): every reply
     * is +OK, and every key ends with the value and expiry of its connection's last SET of it.
     */
    @ParameterizedTest(name = "durable {0}")
    @ValueSource(booleans = {false, true})
    void manyConnectionsOfMixedSetsLeaveEachKeyAsItsLastSet(boolean durable) throws Exception {
        StoreOptions o = StoreOptions.defaults().withEngine(RunningServer.engine());
        if (durable) {
            o = o.withDurability(StoreOptions.Durability.DURABLE);
        }
        int conns = 3;
        int n = 600;
        try (RunningServer running = new RunningServer(loop, dir, 64L << 20, SlotClasses.ofEqualSpace(List.of(4096L)),
                4096, x -> x, o)) {
            long now = System.currentTimeMillis();
            Map<String, String> values = new HashMap<>();
            Map<String, Long> ttls = new HashMap<>(); // ms left as of now, -1 for none
            List<RespClient> clients = new ArrayList<>();
            try {
                for (int c = 0; c < conns; c++) {
                    Random r = new Random(31 * c + 7);
                    List<String[]> requests = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        String k = "c" + c + ":k" + r.nextInt(40);
                        String v = "v" + c + "_" + i;
                        long t = 100 + r.nextInt(100_000); // seconds
                        long exat = (now + 2_000) / 1000 + t;
                        requests.add(switch (r.nextInt(7)) {
                            case 0 -> new String[] {anyCase(r, "set"), k, v};
                            case 1 -> new String[] {"SET", k, v, anyCase(r, "ex"), Long.toString(t)};
                            case 2 -> new String[] {"SET", k, v, anyCase(r, "px"), Long.toString(t * 1000)};
                            case 3 -> new String[] {"SET", k, v, anyCase(r, "exat"), Long.toString(exat)};
                            case 4 -> new String[] {"SET", k, v, anyCase(r, "pxat"), Long.toString(now + t * 1000)};
                            case 5 -> new String[] {anyCase(r, "setex"), k, Long.toString(t), v};
                            default -> new String[] {anyCase(r, "psetex"), k, Long.toString(t * 1000), v};
                        });
                        String[] q = requests.getLast();
                        values.put(k, v);
                        ttls.put(k, q.length == 3 ? -1 : q[3].equalsIgnoreCase("exat") ? exat * 1000 - now : t * 1000);
                    }
                    RespClient client = new RespClient(running.server.address());
                    clients.add(client);
                    client.sendAll(requests.toArray(String[][]::new));
                }
                for (RespClient client : clients) {
                    for (int i = 0; i < n; i++) {
                        assertEquals("+OK\r\n", client.reply(), "reply " + i);
                    }
                }
                long elapsed = System.currentTimeMillis() - now;
                RespClient c0 = clients.getFirst();
                for (Map.Entry<String, String> e : values.entrySet()) {
                    String k = e.getKey();
                    assertEquals("$" + e.getValue().length() + "\r\n" + e.getValue() + "\r\n", c0.call("GET", k), k);
                    long left = pttl(c0, k);
                    long want = ttls.get(k);
                    if (want < 0) {
                        assertEquals(-1, left, k);
                    } else {
                        assertTrue(left <= want && left >= want - elapsed - 2_000, k + ": " + left + " ms left, set " + want);
                    }
                }
            } finally {
                for (RespClient client : clients) {
                    client.close();
                }
            }
        }
    }

    static String anyCase(Random r, String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            b.append(r.nextBoolean() ? Character.toUpperCase(ch) : ch);
        }
        return b.toString();
    }
}
