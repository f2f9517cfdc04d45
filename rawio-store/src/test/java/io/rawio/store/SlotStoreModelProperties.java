package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random puts, batched puts, gets, deletes and reopens (clean, and abandoned as in a crash) against a
 * model map that applies FIFO eviction the way the ring does: every put and delete takes the next
 * position, and a key written at position p is gone once position p + slots has been taken.
 */
class SlotStoreModelProperties {
    static final int SLOTS_SIZE = 8192;

    /** kind: 0 put, 1 putMany, 2 get, 3 delete, 4 reopen, 5 crash-reopen, 6 checkpoint. */
    record Op(int kind, int key, int count, int valueLength) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.integers().between(0, 6).withDistribution(net.jqwik.api.RandomDistribution.uniform())
                        .edgeCases(c -> c.includeOnly(0)),
                Arbitraries.integers().between(0, 40),
                Arbitraries.integers().between(1, 20),
                Arbitraries.integers().between(0, SLOTS_SIZE - 64 - 8)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(60);
    }

    private static final class Model {
        final Map<String, byte[]> values = new HashMap<>();
        final Map<String, Long> positions = new HashMap<>();
        long cursor;
        final long slots;

        Model(long slots) {
            this.slots = slots;
        }

        void take() {
            long p = cursor++;
            // The slot at p held the key written at p - slots: it is evicted now.
            positions.entrySet().removeIf(e -> {
                if (e.getValue() == p - slots) {
                    values.remove(e.getKey());
                    return true;
                }
                return false;
            });
        }

        void put(String k, byte[] v) {
            take();
            values.put(k, v);
            positions.put(k, cursor - 1);
        }

        void delete(String k) {
            if (values.containsKey(k)) {
                take();
                values.remove(k);
                positions.remove(k);
            }
        }
    }

    @Property(tries = 40)
    void storeMatchesTheModel(@ForAll("ops") List<Op> ops) throws IOException {
        Path dir = Files.createTempDirectory("rawio-store-model");
        Path path = dir.resolve("s.store");
        try {
            SlotStore.format(path, 2L * 1024 * 1024 + 24 * SLOTS_SIZE, SLOTS_SIZE, false, StoreTesting.psyncOptions());
            SlotStore store = SlotStore.open(path, StoreTesting.psyncOptions().withBatchSize(4));
            Model model = new Model(store.superblock().slotCount());
            int seq = 0;
            try {
                for (Op op : ops) {
                    String k = "key-" + op.key();
                    switch (op.kind()) {
                        case 0 -> {
                            byte[] v = value(k, seq++, op.valueLength());
                            store.put(StoreTesting.key(k), v);
                            model.put(k, v);
                        }
                        case 1 -> {
                            List<byte[]> keys = new ArrayList<>();
                            List<MemorySegment> vals = new ArrayList<>();
                            try (Arena a = Arena.ofConfined()) {
                                Map<String, byte[]> last = new HashMap<>();
                                List<String> order = new ArrayList<>();
                                for (int i = 0; i < op.count(); i++) {
                                    String kk = "key-" + ((op.key() + i * 7) % 41);
                                    byte[] v = value(kk, seq++, (op.valueLength() + i * 997) % (SLOTS_SIZE - 64 - 8));
                                    keys.add(StoreTesting.key(kk));
                                    vals.add(a.allocateFrom(ValueLayout.JAVA_BYTE, v));
                                    order.add(kk);
                                    last.put(kk, v);
                                }
                                List<SlotStore.Result> rs = store.putMany(keys, vals);
                                for (int i = 0; i < rs.size(); i++) {
                                    assertTrue(rs.get(i).ok(), rs.get(i).error());
                                }
                                // Same key twice in a batch: the later one wins (higher position).
                                for (int i = 0; i < order.size(); i++) {
                                    model.put(order.get(i), value(order.get(i), 0, 0));
                                }
                                for (String kk : order) {
                                    if (model.values.containsKey(kk)) {
                                        model.values.put(kk, last.get(kk));
                                    }
                                }
                            }
                        }
                        case 2 -> assertGet(store, model, k);
                        case 3 -> {
                            boolean had = model.values.containsKey(k);
                            assertEquals(had, store.delete(StoreTesting.key(k)));
                            model.delete(k);
                        }
                        case 4 -> {
                            store.close();
                            store = SlotStore.open(path, StoreTesting.psyncOptions().withBatchSize(4));
                        }
                        case 5 -> {
                            store.abandon();
                            store = SlotStore.open(path, StoreTesting.psyncOptions().withBatchSize(4));
                        }
                        default -> store.checkpoint();
                    }
                }
                for (String k : model.values.keySet()) {
                    assertGet(store, model, k);
                }
                assertEquals(model.values.size(), store.stats().keys(), "live keys");
            } finally {
                store.close();
            }
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    private static byte[] value(String key, int seq, int length) {
        byte[] v = new byte[length];
        for (int i = 0; i < length; i++) {
            v[i] = (byte) (key.hashCode() * 31 + seq * 17 + i);
        }
        return v;
    }

    private static void assertGet(SlotStore store, Model model, String k) throws IOException {
        byte[] got = store.get(StoreTesting.key(k));
        byte[] want = model.values.get(k);
        if (want == null) {
            assertTrue(got == null, () -> "absent key " + k + " read back " + got.length + " bytes");
        } else {
            assertTrue(java.util.Arrays.equals(want, got), () -> "value of " + k + ": want " + want.length + " bytes, got "
                    + (got == null ? "none" : got.length + " bytes"));
        }
    }
}
