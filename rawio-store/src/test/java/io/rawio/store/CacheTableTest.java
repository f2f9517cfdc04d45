package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lock-free table alone: link, find, unlink from any place in a chain, growth, clear. */
class CacheTableTest {
    private static CacheEntry entry(int hash, int id) {
        // The value is never freed here: these entries are never killed.
        return new CacheEntry(new byte[] {(byte) id, (byte) (id >>> 8)}, hash, MemorySegment.NULL, null);
    }

    @Test
    void entriesOfOneChainAreFoundAndUnlinkedWhereverTheyAre() {
        CacheTable t = new CacheTable();
        List<CacheEntry> chain = new ArrayList<>();
        for (int id = 0; id < 5; id++) { // one hash: one chain, newest first
            CacheEntry e = entry(7, id);
            t.link(e);
            chain.add(e);
        }
        for (CacheEntry e : chain) {
            assertSame(e, t.find(e.key, 7));
            assertSame(e, t.lookup(e.key, 7));
        }
        t.unlink(chain.get(2)); // the middle
        t.unlink(chain.get(4)); // the head
        t.unlink(chain.get(0)); // the tail
        assertNull(t.lookup(chain.get(2).key, 7));
        assertNull(t.find(chain.get(4).key, 7));
        assertNull(t.find(chain.get(0).key, 7));
        assertSame(chain.get(1), t.lookup(chain.get(1).key, 7));
        assertSame(chain.get(3), t.lookup(chain.get(3).key, 7));
        assertEquals(2, t.size());
        t.unlink(chain.get(2)); // not linked: nothing
        assertEquals(2, t.size());
    }

    @Test
    void theTableGrowsPastThreeQuartersAndKeepsEveryEntry() {
        CacheTable t = new CacheTable();
        assertEquals(16, t.buckets());
        List<CacheEntry> all = new ArrayList<>();
        for (int id = 0; id < 1000; id++) {
            CacheEntry e = entry(ValueCache.hash(new byte[] {(byte) id, (byte) (id >>> 8)}), id);
            t.link(e);
            all.add(e);
            assertTrue(t.size() <= t.buckets() - t.buckets() / 4, "size=" + t.size() + " buckets=" + t.buckets());
        }
        assertEquals(2048, t.buckets());
        for (CacheEntry e : all) {
            assertSame(e, t.lookup(e.key, e.hash));
        }
        t.clear();
        assertEquals(0, t.size());
        for (CacheEntry e : all) {
            assertNull(t.lookup(e.key, e.hash));
        }
    }

    @Test
    void aKeyIsComparedByItsBytesNotOnlyItsHash() {
        CacheTable t = new CacheTable();
        CacheEntry a = entry(1, 1);
        t.link(a);
        assertNull(t.lookup(new byte[] {2, 0}, 1));
        assertNull(t.lookup(new byte[] {1, 0}, 2));
        assertSame(a, t.lookup(new byte[] {1, 0}, 1));
    }
}
