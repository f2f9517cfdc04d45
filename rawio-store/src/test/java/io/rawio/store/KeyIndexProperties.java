package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The index against a model map, driven as the window planner drives it: a key looked up once
 * ({@link KeyIndex#find}) and then put or removed by that entry ({@link KeyIndex#putAt},
 * {@link KeyIndex#removeAt}), a slot's resident evicted before a put lands there. Over random puts,
 * moves and removes that grow and shrink the table, every key's position, value length and CRC, every
 * slot's key, and the counts match the model.
 */
class KeyIndexProperties {
    private static final int SLOTS = 64;

    /** A put of key k at position p (value length, CRC from it), or a remove of k (p < 0). */
    record Op(int key, long position) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 40),
                Arbitraries.longs().between(-20, 200)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(300);
    }

    private static byte[] key(int k) {
        return ("key:" + k).getBytes(StandardCharsets.UTF_8);
    }

    /** Applies {@code o} to the index as the planner would, and to the model (key -> position; key -> {length, CRC}). */
    private static void apply(KeyIndex index, java.util.Map<Integer, Long> model,
            java.util.Map<Integer, int[]> lengthAndCrc, Op o, int step) {
        byte[] k = key(o.key());
        Long was = model.get(o.key());
        if (o.position() < 0) {
            assertEquals(was == null ? -1 : was, index.removeAt(index.find(k)), "remove " + o);
            model.remove(o.key());
            return;
        }
        int slot = (int) (o.position() % SLOTS);
        byte[] resident = index.keyInSlot(slot);
        if (resident != null) {
            index.removeAt(index.find(resident));
            String r = new String(resident, StandardCharsets.UTF_8);
            model.remove(Integer.parseInt(r.substring(4)));
            was = model.get(o.key());
        }
        int e = index.find(k);
        // Length and CRC differ from put to put of a key: an update must replace them.
        int length = o.key() * 3 + step;
        int crc = o.key() * 7 + 31 * step;
        assertEquals(was == null ? -1 : was, index.putAt(e, e < 0 ? k.clone() : k, o.position(), length, crc),
                "put " + o);
        model.put(o.key(), o.position());
        lengthAndCrc.put(o.key(), new int[] {length, crc});
    }

    @Property(tries = 200)
    void putsAndRemovesByEntryMatchAModel(@ForAll("ops") List<Op> ops) {
        KeyIndex index = new KeyIndex(SLOTS);
        java.util.Map<Integer, Long> model = new java.util.HashMap<>(); // key -> position
        java.util.Map<Integer, int[]> lengthAndCrc = new java.util.HashMap<>(); // key -> {value length, CRC}
        int step = 0;
        for (Op o : ops) {
            apply(index, model, lengthAndCrc, o, ++step);
            assertEquals(model.size(), index.size());
            long keyBytes = 0;
            long valueBytes = 0;
            for (int m : model.keySet()) {
                keyBytes += key(m).length;
                valueBytes += lengthAndCrc.get(m)[0];
            }
            assertEquals(keyBytes, index.keyBytes());
            assertEquals(valueBytes, index.valueBytes());
        }
        for (int k = 0; k <= 40; k++) {
            int e = index.find(key(k));
            Long p = model.get(k);
            assertEquals(p == null, e < 0, "key " + k);
            if (p != null) {
                assertEquals(p, index.positionAt(e));
                assertEquals(lengthAndCrc.get(k)[0], index.valueLengthAt(e));
                assertEquals(lengthAndCrc.get(k)[1], index.dataCrcAt(e));
            }
        }
        for (int s = 0; s < SLOTS; s++) {
            byte[] expect = null;
            for (var m : model.entrySet()) {
                if (m.getValue() % SLOTS == s) {
                    expect = key(m.getKey());
                }
            }
            assertArrayEquals(expect, index.keyInSlot(s), "slot " + s);
        }
    }

    /**
     * A checkpoint encodes from {@link KeyIndex#entriesCopy} after the lock is released, while the
     * index goes on changing: the copy answers with what the index held when copied.
     */
    @Property(tries = 200)
    void anEntriesCopyKeepsWhatTheIndexHeldWhenCopied(@ForAll("ops") List<Op> before, @ForAll("ops") List<Op> after) {
        KeyIndex index = new KeyIndex(SLOTS);
        java.util.Map<Integer, Long> model = new java.util.HashMap<>();
        java.util.Map<Integer, int[]> lengthAndCrc = new java.util.HashMap<>();
        int step = 0;
        for (Op o : before) {
            apply(index, model, lengthAndCrc, o, ++step);
        }
        for (int k = 0; k <= 40; k += 3) {
            int e = index.find(key(k));
            if (e >= 0) {
                index.markHot(e); // the hot flag shares the length's word: the copy masks it
            }
        }
        IndexEntries copy = index.entriesCopy();
        java.util.Map<Integer, Long> modelThen = new java.util.HashMap<>(model);
        java.util.Map<Integer, int[]> lengthAndCrcThen = new java.util.HashMap<>(lengthAndCrc);
        long keyBytesThen = index.keyBytes();
        for (Op o : after) {
            apply(index, model, lengthAndCrc, o, ++step);
        }
        assertEquals(modelThen.size(), copy.size());
        assertEquals(keyBytesThen, copy.keyBytes());
        java.util.Map<Integer, Long> seen = new java.util.HashMap<>();
        for (int i = 0; i < copy.size(); i++) {
            int k = Integer.parseInt(new String(copy.keys()[i], StandardCharsets.UTF_8).substring(4));
            seen.put(k, copy.positions()[i]);
            assertEquals(lengthAndCrcThen.get(k)[0], copy.valueLengths()[i], "length of key " + k);
            assertEquals(lengthAndCrcThen.get(k)[1], copy.dataCrcs()[i], "CRC of key " + k);
            assertEquals(0, copy.versionAt(i), "one class: no versions");
        }
        assertEquals(modelThen, seen);
    }
}
