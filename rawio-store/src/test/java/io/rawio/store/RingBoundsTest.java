package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ring is never written twice over at once: many writers on a tiny ring, a reinsertion of every
 * key, and a delete in place racing nothing but its own checkpoint. Each case once left two keys on
 * one slot, or a deleted value readable after a restart.
 */
class RingBoundsTest {
    /** Metadata of a tiny store (2 superblocks, 2 checkpoint regions of 1 MiB + 4 KiB) plus 8 slots of 8 KiB. */
    static final long EIGHT_SLOTS = (2L << 20) + (16 << 10) + 8 * 8192;

    @TempDir
    Path dir;

    static byte[] valueOf(byte[] k, int n) {
        byte[] v = new byte[n];
        int h = Arrays.hashCode(k);
        for (int i = 0; i < n; i++) {
            v[i] = (byte) (h + i * 31);
        }
        return v;
    }

    @Test
    void manyWritersOnATinyRingNeverShareASlot() throws Exception {
        Path p = dir.resolve("tiny.store");
        StoreOptions o = StoreTesting.psyncOptions().withBatchSize(1).withDurability(StoreOptions.Durability.DURABLE);
        SlotStore.format(p, EIGHT_SLOTS, 8192, false, o);
        try (SlotStore s = SlotStore.open(p, o)) {
            long slots = s.superblock().slotCount();
            assertEquals(8, slots);
            List<Throwable> errors = StoreTesting.hammer(8, 1500, id -> {
                int[] i = {0};
                return () -> {
                    byte[] a = key("t" + id + "-" + i[0]++);
                    byte[] b = key("t" + id + "-" + i[0]++);
                    for (SlotStore.Result r : s.putMany(List.of(a, b), List.of(
                            MemorySegment.ofArray(valueOf(a, 4096)), MemorySegment.ofArray(valueOf(b, 4096))))) {
                        assertTrue(r.ok(), r.toString());
                    }
                };
            });
            assertTrue(errors.isEmpty(), errors.toString());
            List<KeyInfo> keys = s.keys();
            assertTrue(keys.size() <= slots, "no more keys than slots: " + keys.size());
            for (KeyInfo k : keys) {
                GetResult g = s.getMany(List.of(k.key())).getFirst();
                assertNull(g.corrupt(), g.corrupt());
                assertArrayEquals(valueOf(k.key(), 4096), g.value());
            }
            CheckReport c = s.check();
            assertEquals(0, c.keysCorrupt(), c.toString());
            assertEquals(0, s.stats().corruptions());
            assertTrue(s.stats().evictions() > 100, "the ring went round: " + s.stats().evictions());
        }
    }

    @Test
    void reinsertingEveryKeyNeverWrapsOntoTheNewKey() throws Exception {
        Path p = dir.resolve("hot.store");
        StoreOptions o = StoreTesting.psyncOptions().withBatchSize(1).withEviction(StoreOptions.Eviction.FIFO_REINSERT);
        SlotStore.format(p, EIGHT_SLOTS, 8192, false, o);
        byte[] newcomer = key("newcomer");
        SlotStore s = SlotStore.open(p, o);
        long slots = s.superblock().slotCount();
        for (int i = 0; i < slots; i++) {
            s.put(key("r" + i), valueOf(key("r" + i), 4096));
        }
        for (int i = 0; i < slots; i++) {
            assertNotNull(s.get(key("r" + i))); // every key hot
        }
        s.put(newcomer, valueOf(newcomer, 4096));
        assertArrayEquals(valueOf(newcomer, 4096), s.get(newcomer));
        CheckReport c = s.check();
        assertEquals(0, c.keysCorrupt(), "the newcomer's slot holds its own header: " + c);
        assertTrue(s.stats().reinsertions() > 0, "some keys were reinserted");
        s.closeWithoutCheckpoint(); // a crash: the scan must find the acknowledged newcomer
        try (SlotStore r = SlotStore.open(p, o)) {
            assertArrayEquals(valueOf(newcomer, 4096), r.get(newcomer));
        }
    }

    @Test
    void aHotKeyWithANewerWritePendingIsNotReinsertedOverIt() throws Exception {
        Path p = dir.resolve("pending.store");
        StoreOptions o = StoreTesting.psyncOptions().withBatchSize(1).withEviction(StoreOptions.Eviction.FIFO_REINSERT)
                .withDurability(StoreOptions.Durability.DURABLE);
        SlotStore.format(p, (2L << 20) + (16 << 10) + 64 * 8192, 8192, false, o);
        byte[] r2 = key("r2");
        byte[] fresh = valueOf(key("r2-new"), 4096);
        SlotStore s = SlotStore.open(p, o);
        assertEquals(64, s.superblock().slotCount());
        for (int i = 0; i < 64; i++) {
            s.put(key("r" + i), valueOf(key("r" + i), 4096));
        }
        assertNotNull(s.get(r2)); // hot
        assertTrue(s.checkpoint());
        // r2's new value lands at position 64 (slot 0); then the ring reaches slot 2, where r2's old
        // value still sits, hot. Reinserting it there would put the old value after the new one.
        List<byte[]> ks = List.of(r2, key("x1"), key("x2"), key("x3"));
        List<MemorySegment> vs = List.of(MemorySegment.ofArray(fresh), MemorySegment.ofArray(valueOf(key("x1"), 4096)),
                MemorySegment.ofArray(valueOf(key("x2"), 4096)), MemorySegment.ofArray(valueOf(key("x3"), 4096)));
        for (SlotStore.Result r : s.putMany(ks, vs)) {
            assertTrue(r.ok(), r.toString());
        }
        assertArrayEquals(fresh, s.get(r2));
        s.closeWithoutCheckpoint(); // a crash: recovery applies the slots after the checkpoint in order
        try (SlotStore r = SlotStore.open(p, o)) {
            assertArrayEquals(fresh, r.get(r2), "the acknowledged new value, not the old one reinserted after it");
        }
    }

    @Test
    void aDeleteInPlaceNeverComesBackAsItsValue() throws Exception {
        Path p = dir.resolve("rej.store");
        StoreOptions o = StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.REJECT);
        SlotStore.format(p, 12L << 20, 8192, false, o);
        byte[] victim = key("victim");
        try (SlotStore s = SlotStore.open(p, o)) {
            s.put(victim, valueOf(victim, 4096));
            assertTrue(s.checkpoint());
            // Fill the ring with 1 KiB keys: the index outgrows the checkpoint region.
            StoreTesting.fillWithLongKeys(s, k -> valueOf(k, 4096));
            assertTrue(!s.checkpoint(), "the index no longer fits a checkpoint");
            assertTrue(s.delete(victim), "deleted in place: the ring is full and eviction is off");
            assertNull(s.get(victim));
        }
        try (SlotStore s = SlotStore.open(p, o)) {
            // The last checkpoint that fitted still lists the key; its slot is zeros, so a get fails its
            // data CRC. What it must never do is return the deleted bytes.
            try {
                byte[] got = s.get(victim);
                assertTrue(got == null, "the deleted value came back: " + (got == null ? 0 : got.length) + " bytes");
            } catch (StoreException.Corrupt e) {
                assertTrue(e.getMessage().contains("victim"), e.getMessage());
            }
        }
    }
}
