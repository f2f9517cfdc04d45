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
 * Random puts, batched puts, gets, deletes (one and many) and reopens (clean, and abandoned as in a crash) against a
 * model map that applies FIFO eviction the way the ring does: every put and delete takes the next
 * position, and a key written at position p is gone once position p + slots has been taken.
 */
class SlotStoreModelProperties {
    static final int SLOTS_SIZE = 8192;

    /** kind: 0 put, 1 putMany, 2 get, 3 delete, 4 reopen, 5 crash-reopen, 6 checkpoint, 7 deleteMany. */
    record Op(int kind, int key, int count, int valueLength) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.integers().between(0, 7).withDistribution(net.jqwik.api.RandomDistribution.uniform())
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
                        case 7 -> {
                            // Keys given (some twice, some absent): each one present at the start counts, and
                            // gets a tombstone (the next position) unless an earlier one evicted it.
                            List<byte[]> keys = new ArrayList<>();
                            List<String> present = new ArrayList<>();
                            for (int i = 0; i < op.count(); i++) {
                                String kk = "key-" + ((op.key() + (i * 5) % 13) % 41); // repeats past 13
                                keys.add(StoreTesting.key(kk));
                                if (model.values.containsKey(kk) && !present.contains(kk)) {
                                    present.add(kk);
                                }
                            }
                            assertEquals(present.size(), store.deleteMany(keys), "keys deleted");
                            for (String kk : present) {
                                if (model.values.containsKey(kk)) {
                                    model.take();
                                    model.values.remove(kk);
                                    model.positions.remove(kk);
                                }
                            }
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

    // ------------------------------------------------------------------ several slot classes

    /**
     * Slot classes of 4, 4.5 (a sector class: written and read in 512-byte sectors), 16 and 64 KiB; the
     * largest class gets the most space, so every ring is a few slots.
     */
    static final SlotClasses CLASSES = SlotClasses.of(List.of(4096L, 4608L, 16384L, 65536L))
            .withShares(List.of(1.0, 1.0, 1.0, 3.0));
    static final long CLASSES_STORE_SIZE = 2L * 1024 * 1024 + 640 * 1024;

    /**
     * kind: 0 put, 1 putMany, 2 put expiring {@code ms} later, 3 get, 4 delete, 5 clock forward {@code ms},
     * 6 reopen, 7 crash-reopen, 8 checkpoint, 9 putMany expiring {@code ms} later. A value's size:
     * class {@code cls}, at {@code frac} per mille between the smallest and the largest the class holds.
     */
    record ClassOp(int kind, int key, int count, int cls, int frac, int ms) {
    }

    @Provide
    Arbitrary<List<ClassOp>> classOps() {
        Arbitrary<Integer> frac = Arbitraries.oneOf(Arbitraries.of(0, 1000), Arbitraries.integers().between(0, 1000));
        Arbitrary<ClassOp> op = Combinators.combine(
                Arbitraries.integers().between(0, 9).withDistribution(net.jqwik.api.RandomDistribution.uniform()),
                Arbitraries.integers().between(0, 15),
                Arbitraries.integers().between(1, 12),
                Arbitraries.integers().between(0, CLASSES.slotSizes().size() - 1),
                frac,
                Arbitraries.integers().between(1, 300)).as(ClassOp::new);
        return op.list().ofMinSize(1).ofMaxSize(80);
    }

    /**
     * The model of a store of several classes: every class is its own FIFO ring (a put takes the next
     * position of its value's class, a delete the next of class 0 for its tombstone), and a key whose
     * expiry has passed is absent.
     */
    private static final class ClassModel {
        record Entry(byte[] value, long expiry, int cls, long position) {
        }

        final Map<String, Entry> entries = new HashMap<>();
        final long[] cursors;
        final long[] slots;

        ClassModel(long[] slots) {
            this.slots = slots;
            this.cursors = new long[slots.length];
        }

        long take(int cls) {
            long p = cursors[cls]++;
            entries.values().removeIf(e -> e.cls() == cls && e.position() == p - slots[cls]);
            return p;
        }

        Entry live(String k, long now) {
            Entry e = entries.get(k);
            return e == null || (e.expiry() != 0 && e.expiry() <= now) ? null : e;
        }

        void put(String k, byte[] v, long expiry, int cls) {
            long p = take(cls);
            entries.put(k, new Entry(v, expiry, cls, p));
        }

        void delete(String k, long now) {
            if (live(k, now) != null) {
                take(0);
            }
            entries.remove(k);
        }

        List<String> liveKeys(long now) {
            return entries.keySet().stream().filter(k -> live(k, now) != null).toList();
        }
    }

    /**
     * Random puts (of every size, so keys move class), batched puts, expiring puts, gets with their
     * TTL, deletes, steps of a clock the test controls, reopens and crash-reopens (abandoned, no
     * checkpoint), against {@link ClassModel}. Every delete is followed by a checkpoint: without it a
     * crash brings back a deleted value of a larger class (see the defect in ClassMoveRecoveryTest,
     * covered by {@link #severalClassesWithDeletesBeforeACrashMatchTheModel}).
     */
    @Property(tries = 60)
    void severalClassesMatchTheModel(@ForAll("classOps") List<ClassOp> ops) throws IOException {
        runClassModel(ops, true);
    }

    /** As {@link #severalClassesMatchTheModel}, with no checkpoint after a delete. */
    @Property(tries = 60)
    void severalClassesWithDeletesBeforeACrashMatchTheModel(@ForAll("classOps") List<ClassOp> ops) throws IOException {
        runClassModel(ops, false);
    }

    private static void runClassModel(List<ClassOp> ops, boolean checkpointAfterDelete) throws IOException {
        Path dir = Files.createTempDirectory("rawio-store-classes-model");
        Path path = dir.resolve("s.store");
        SlotClassesStoreTest.TestClock clock = new SlotClassesStoreTest.TestClock();
        StoreOptions options = StoreTesting.psyncOptions().withBatchSize(4).withClock(clock);
        try {
            SlotStore.format(path, CLASSES_STORE_SIZE, CLASSES, false, options, Preallocation.FALLOCATE,
                    FormatProgress.NONE);
            SlotStore store = SlotStore.open(path, options);
            long[] slots = store.classStats().stream().mapToLong(ClassStats::slots).toArray();
            ClassModel model = new ClassModel(slots);
            long seq = 0;
            List<String> done = new ArrayList<>();
            try {
                for (ClassOp op : ops) {
                    String k = "key-" + op.key();
                    long now = clock.ms.get();
                    done.add(op.toString());
                    switch (op.kind()) {
                        case 0, 2 -> {
                            int len = lengthIn(k, op.cls(), op.frac());
                            byte[] v = CrashWriter.value(k, seq++, len);
                            long expiry = op.kind() == 2 ? now + op.ms() : 0;
                            store.put(StoreTesting.key(k), MemorySegment.ofArray(v), expiry);
                            model.put(k, v, expiry, op.cls());
                        }
                        case 1, 9 -> {
                            long expiry = op.kind() == 9 ? now + op.ms() : 0;
                            List<byte[]> keys = new ArrayList<>();
                            List<MemorySegment> vals = new ArrayList<>();
                            List<Runnable> apply = new ArrayList<>();
                            for (int i = 0; i < op.count(); i++) {
                                String kk = "key-" + ((op.key() + i * 7) % 16);
                                int cls = (op.cls() + i) % CLASSES.slotSizes().size();
                                byte[] v = CrashWriter.value(kk, seq++, lengthIn(kk, cls, (op.frac() + i * 379) % 1001));
                                keys.add(StoreTesting.key(kk));
                                vals.add(MemorySegment.ofArray(v));
                                apply.add(() -> model.put(kk, v, expiry, cls));
                            }
                            List<SlotStore.Result> rs = store.putMany(keys, vals, expiry);
                            for (SlotStore.Result r : rs) {
                                assertTrue(r.ok(), r.toString());
                            }
                            apply.forEach(Runnable::run);
                        }
                        case 3 -> assertClassGet(store, model, k, now, done);
                        case 4 -> {
                            boolean live = model.live(k, now) != null;
                            assertEquals(live, store.delete(StoreTesting.key(k)), () -> "delete " + k + " after " + done);
                            model.delete(k, now);
                            if (checkpointAfterDelete) {
                                store.checkpoint();
                            }
                        }
                        case 5 -> clock.ms.addAndGet(op.ms());
                        case 6 -> {
                            store.close();
                            store = SlotStore.open(path, options);
                        }
                        case 7 -> {
                            store.abandon();
                            store = SlotStore.open(path, options);
                        }
                        default -> store.checkpoint();
                    }
                }
                long now = clock.ms.get();
                for (int i = 0; i < 16; i++) {
                    assertClassGet(store, model, "key-" + i, now, done);
                }
                assertEquals(new java.util.TreeSet<>(model.liveKeys(now)), new java.util.TreeSet<>(
                        SlotClassesStoreTest.names(store.keys().stream().map(KeyInfo::key).toList())),
                        () -> "live keys after " + done);
                store.abandon();
                store = SlotStore.open(path, options);
                for (int i = 0; i < 16; i++) {
                    assertClassGet(store, model, "key-" + i, now, done);
                }
            } finally {
                store.close();
            }
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    /** A value length in class {@code cls} for key {@code k}: {@code frac} per mille of the way up it. */
    private static int lengthIn(String k, int cls, int frac) {
        int kl = StoreTesting.key(k).length;
        long max = CrashWriter.classMax(kl, CLASSES.slotSizes().get(cls));
        long min = cls == 0 ? 0 : CrashWriter.classMax(kl, CLASSES.slotSizes().get(cls - 1)) + 1;
        return (int) (min + (max - min) * frac / 1000);
    }

    private static void assertClassGet(SlotStore store, ClassModel model, String k, long now, List<String> done)
            throws IOException {
        byte[] got = store.get(StoreTesting.key(k));
        ClassModel.Entry want = model.live(k, now);
        if (want == null) {
            assertTrue(got == null, () -> "absent key " + k + " read back " + got.length + " bytes after " + done);
            assertEquals(-2, store.ttlMillis(StoreTesting.key(k)), () -> "ttl of absent " + k);
        } else {
            assertTrue(java.util.Arrays.equals(want.value(), got), () -> "value of " + k + ": want "
                    + want.value().length + " bytes, got " + (got == null ? "none" : got.length + " bytes")
                    + " after " + done);
            assertEquals(want.expiry() == 0 ? -1 : want.expiry() - now, store.ttlMillis(StoreTesting.key(k)),
                    () -> "ttl of " + k + " after " + done);
        }
    }
}
