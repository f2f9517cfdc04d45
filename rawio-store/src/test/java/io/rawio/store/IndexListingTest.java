package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SuperblockDescriptor.Superblock;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The index listed: every live key, scan pages with and without a prefix, each class's keys and bytes. */
class IndexListingTest {
    static final long NOW = 1_000_000;

    final Superblock sb = RingStateTest.ring(64);
    final KeyIndex index = new KeyIndex(sb);
    final Expiries expiries = new Expiries(Map.of(), InstantSource.fixed(Instant.ofEpochMilli(NOW)));
    final ClassRing[] rings = {new ClassRing(sb.classes().getFirst(), 0, 0)};
    final IndexListing listing = new IndexListing(sb, index, rings, expiries);

    /** a0..a9 (value length 10 + i), b0..b9, and "gone" expired a millisecond ago. */
    IndexListingTest() {
        for (int i = 0; i < 10; i++) {
            index.put(key("a" + i), Superblock.position(0, i), 10 + i, i);
            index.put(key("b" + i), Superblock.position(0, 10 + i), 100, 0);
        }
        index.put(key("gone"), Superblock.position(0, 20), 7, 0);
        expiries.set(key("gone"), NOW - 1);
        expiries.set(key("a3"), NOW + 60_000); // expires later: listed
    }

    static Set<String> names(List<KeyInfo> keys) {
        Set<String> out = new HashSet<>();
        for (KeyInfo k : keys) {
            assertTrue(out.add(new String(k.key(), StandardCharsets.UTF_8)), "listed twice");
        }
        return out;
    }

    @Test
    void keysListsTheLiveKeysWithWhatTheIndexHoldsAndLeavesTheExpiredOut() {
        List<KeyInfo> keys = listing.keys();
        Set<String> names = names(keys);
        assertEquals(20, names.size());
        assertTrue(!names.contains("gone"));
        for (KeyInfo k : keys) {
            String s = new String(k.key(), StandardCharsets.UTF_8);
            if (s.startsWith("a")) {
                int i = Integer.parseInt(s.substring(1));
                assertEquals(10 + i, k.valueLength());
                assertEquals(Superblock.position(0, i), k.position());
                assertEquals(i, k.dataCrc());
            }
        }
    }

    @Test
    void scanPagesCoverEveryLiveKeyOnceAndThePrefixKeepsOnlyItsKeys() {
        Set<String> all = new HashSet<>();
        Set<String> prefixed = new HashSet<>();
        long cursor = 0;
        int pages = 0;
        do {
            ScanPage page = listing.scan(cursor, 4, null);
            all.addAll(names(page.entries()));
            cursor = page.cursor();
            pages++;
        } while (cursor != 0 && pages < 1_000);
        assertTrue(pages > 1, "more than one page of 4 entries");
        do {
            ScanPage page = listing.scan(cursor, 4, "b".getBytes(StandardCharsets.UTF_8));
            prefixed.addAll(names(page.entries()));
            cursor = page.cursor();
        } while (cursor != 0);
        assertEquals(20, all.size());
        assertTrue(!all.contains("gone"));
        assertEquals(10, prefixed.size());
        assertTrue(prefixed.stream().allMatch(s -> s.startsWith("b")), prefixed.toString());
    }

    @Test
    void classStatsCountKeysAndValueBytesPerClass() {
        List<ClassStats> stats = listing.classStats();
        assertEquals(1, stats.size());
        ClassStats c = stats.getFirst();
        assertEquals(21, c.keys(), "the index's entries, the expired one too until it is dropped");
        long bytes = 7 + 10 * 100;
        for (int i = 0; i < 10; i++) {
            bytes += 10 + i;
        }
        assertEquals(bytes, c.valueBytes());
        assertEquals(64, c.slots());
    }
}
