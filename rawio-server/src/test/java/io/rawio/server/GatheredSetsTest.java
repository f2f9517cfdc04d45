package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a wave's putMany writes for the SETs it gathered: one write per key, its last value and that SET's expiry. */
class GatheredSetsTest {
    @TempDir
    Path dir;

    static byte[] k(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static MemorySegment v(int n) {
        return MemorySegment.ofArray(new byte[n]);
    }

    static List<String> names(List<byte[]> keys) {
        return keys.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
    }

    SlotStore store() throws Exception {
        StoreOptions o = StoreOptions.defaults().withEngine("psync");
        Path p = dir.resolve("s.store");
        SlotStore.format(p, 16L << 20, 4096, false, o);
        return SlotStore.open(p, o);
    }

    @Test
    void aKeySetTwiceIsWrittenOnceWithItsLastValueAndExpiry() throws Exception {
        try (SlotStore store = store()) {
            GatheredSets g = new GatheredSets();
            int tooLarge = (int) store.maxValueLength(1) + 1;
            g.add(null, k("a"), v(1), 100);
            g.add(null, k("b"), v(2), 0);
            g.add(null, k("a"), v(3), 200);
            g.add(null, k("c"), v(tooLarge), 0); // refused on its own: stands in for no one
            g.add(null, k("c"), v(5), 300);
            GatheredSets.Writes w = g.take(store);
            assertTrue(g.isEmpty(), "a new gathering");
            assertEquals(List.of("b", "a", "c", "c"), names(w.keys()));
            assertArrayEquals(new long[] {0, 200, 0, 300}, w.expiries());
            assertArrayEquals(new int[] {2, 1, 2, 3, 4}, w.writtenAs());
            assertEquals(3, w.values().get(1).byteSize(), "a's last value");
            for (int i = 0; i < 5; i++) {
                int write = w.slot()[w.writtenAs()[i]];
                assertEquals(new String(k(i == 0 || i == 2 ? "a" : i == 1 ? "b" : "c"), StandardCharsets.UTF_8),
                        names(w.keys()).get(write), "SET " + i);
            }
            assertEquals(tooLarge, w.largest());
            assertEquals(5, w.owners().length);
        }
    }

    @Test
    void withoutExpiriesOrRepeatsNothingIsMergedAndNoExpiriesAreGiven() throws Exception {
        try (SlotStore store = store()) {
            GatheredSets g = new GatheredSets();
            for (int i = 0; i < 100; i++) { // past the first array of expiries
                g.add(null, k("k" + i), v(i), 0);
            }
            GatheredSets.Writes w = g.take(store);
            assertEquals(100, w.keys().size());
            assertNull(w.expiries());
            assertNull(w.slot());
            g.add(null, k("x"), v(1), 0);
            g.add(null, k("y"), v(1), 5);
            GatheredSets.Writes next = g.take(store);
            assertArrayEquals(new long[] {0, 5}, next.expiries(), "only the new gathering's");
        }
    }
}
