package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delete in place (eviction off, ring full) whose checkpoint does not fit, followed by a restart
 * that loads an older checkpoint still listing the key: the deleted value never comes back, whatever
 * it was, and a packed one reads as a plain miss.
 */
class DeleteInPlaceTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"packed", "aligned-zeros", "aligned"})
    void aDeletedValueNeverComesBackFromAnOlderCheckpoint(String kind) throws Exception {
        Path p = dir.resolve(kind + ".store");
        StoreOptions o = StoreTesting.psyncOptions().withEviction(StoreOptions.Eviction.REJECT);
        SlotStore.format(p, 12L << 20, 8192, false, o);
        byte[] victim = key("victim");
        byte[] value = switch (kind) {
            case "packed" -> StoreTesting.valueFor("victim", 1000);
            case "aligned-zeros" -> new byte[4096];
            default -> {
                byte[] v = new byte[4096];
                Arrays.fill(v, (byte) 7);
                yield v;
            }
        };
        try (SlotStore s = SlotStore.open(p, o)) {
            s.put(victim, value);
            assertTrue(s.checkpoint());
            StoreTesting.fillWithLongKeys(s, k -> new byte[100]);
            assertFalse(s.checkpoint(), "test setup: the index no longer fits a checkpoint");
            assertTrue(s.delete(victim), "deleted in place");
            assertNull(s.get(victim));
        }
        try (SlotStore s = SlotStore.open(p, o)) {
            byte[] got;
            try {
                got = s.get(victim);
                if (kind.equals("packed")) {
                    assertNull(got, "the key's own tombstone is a miss");
                }
            } catch (StoreException.Corrupt e) {
                assertFalse(kind.equals("packed"), "a packed value reads its tombstone: a miss, not corrupt");
                got = null;
            }
            assertNull(got, "the deleted value came back");
            assertFalse(s.contains(victim), "the key is dropped either way");
            assertEquals(0, kind.equals("packed") ? s.stats().corruptions() : 0);
        }
    }
}
