package io.rawio.bench.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.rawio.bench.store.StoreBench.Op;
import io.rawio.bench.store.StoreBench.Order;
import io.rawio.bench.store.StoreBench.Result;
import io.rawio.bench.store.StoreBench.Spec;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreBenchTest {
    private static final int KEYS = 300;
    private static final int VALUE = 4096;

    @TempDir
    Path dir;

    private Path store;
    private final StoreOptions options = StoreOptions.defaults().withEngine("psync");

    /** 16 KiB slots in 16 MiB: room for every key of each run several times over (each run fills it again). */
    @BeforeEach
    void format() throws IOException {
        store = dir.resolve("s.store");
        SlotStore.format(store, 16 << 20, 16 << 10, false, options);
    }

    private static void assertSane(Result r, int keys) {
        assertEquals(keys, r.ops());
        assertEquals((long) keys * VALUE, r.bytes());
        assertEquals(keys, r.latency().count(), "one latency per key");
        long p50 = r.latency().percentile(50);
        long p99 = r.latency().percentile(99);
        long p999 = r.latency().percentile(99.9);
        assertTrue(p50 > 0 && p50 <= p99 && p99 <= p999 && p999 <= r.latency().max(),
                "percentiles ordered: " + p50 + " " + p99 + " " + p999 + " " + r.latency().max());
        assertTrue(r.elapsedNs() > 0 && r.opsPerSec() > 0 && r.bytesPerSec() > 0);
    }

    @Test
    void keysAreTheFormattedNumbers() {
        for (int i : new int[] {0, 1, 9, 10, 99, 12345, 1_000_000_000, Integer.MAX_VALUE}) {
            assertEquals(String.format(java.util.Locale.ROOT, "bench-%010d", i),
                    new String(StoreBench.key(i), java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    @Test
    void putThenGetOfEveryKeyCountsEachKeyOnce() throws IOException {
        Result put = StoreBench.run(store, options, new Spec(Op.PUT, VALUE, KEYS, 16, 0, Order.RANDOM));
        assertSane(put, KEYS);
        assertTrue(put.writeAmplification() >= 1, "a put writes at least its bytes: " + put.writeAmplification());
        try (SlotStore s = SlotStore.open(store, options)) {
            assertEquals(KEYS, s.stats().keys());
        }
        for (Order order : Order.values()) {
            assertSane(StoreBench.run(store, options, new Spec(Op.GET, VALUE, KEYS, 16, 64, order)), KEYS);
        }
        Result leases = StoreBench.run(store, options, new Spec(Op.GET, VALUE, KEYS, 16, 64, Order.RANDOM,
                StoreBench.Read.LEASE));
        assertSane(leases, KEYS);
        assertEquals("lease", leases.toJson().get("read").asText());
        assertSane(StoreBench.run(store, options, new Spec(Op.MIXED, VALUE, KEYS, 32, 0, Order.RANDOM)), KEYS);
    }

    @Test
    void theReportsCarryTheNumbers() throws IOException {
        Result r = StoreBench.run(store, options.withDurability(StoreOptions.Durability.DURABLE),
                new Spec(Op.PUT, VALUE, 50, 8, 0, Order.SEQUENTIAL));
        JsonNode json = r.toJson();
        assertEquals("put", json.get("op").asText());
        assertEquals(50, json.get("count").asLong());
        assertEquals(VALUE, json.get("value_size").asLong());
        assertEquals(8, json.get("batch").asInt());
        assertEquals("durable", json.get("durability").asText());
        assertTrue(json.get("lat_p99_ns").asLong() >= json.get("lat_p50_ns").asLong());
        StringWriter text = new StringWriter();
        r.print(new PrintWriter(text, true));
        assertTrue(text.toString().startsWith("put 50 x 4k, batch 8, durability durable: "), text.toString());
        assertEquals(3, text.toString().lines().count());
    }

    @Test
    void aValueLargerThanASlotIsRefusedAndAMissingKeyFailsTheGet() {
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> StoreBench.run(store, options, new Spec(Op.PUT, 64 << 10, 10, 8, 0, Order.RANDOM)));
        assertTrue(big.getMessage().startsWith("value larger than a slot holds: value=65536, max="), big.getMessage());
        // 16 MiB of 16 KiB slots holds fewer than 2000 keys: the fill evicts some, so a get misses one
        assertThrows(IOException.class,
                () -> StoreBench.run(store, options, new Spec(Op.GET, VALUE, 2000, 64, 0, Order.RANDOM)));
    }

    @Test
    void aSpecOutsideTheStoresLimitsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Spec(Op.PUT, VALUE, 0, 16, 0, Order.RANDOM));
        assertThrows(IllegalArgumentException.class,
                () -> new Spec(Op.PUT, VALUE, 10, StoreOptions.MAX_BATCH + 1, 0, Order.RANDOM));
        assertEquals(16, new Spec(Op.GET, VALUE, 10, 16, 0, Order.RANDOM).keysPerCall());
        assertEquals(64, new Spec(Op.GET, VALUE, 10, 16, 64, Order.RANDOM).keysPerCall());
    }
}
