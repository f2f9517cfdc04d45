package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The expiry table against a model map: random sets, clears (an expiry of 0) and forgets over up to
 * 300 keys, so that the table grows and shrinks and probe runs collide and are shifted back on
 * deletion. Every key's expiry, expiredAt and the size match the model after every step; a copy taken
 * midway keeps what was there when it was taken whatever the original does next; a table built from
 * recovered entries holds them.
 */
class ExpiriesProperties {
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochMilli(1_000));

    /** key k gets expiry {@code ms} (0 clears it), or is forgotten ({@code forget}). */
    record Op(int key, long ms, boolean forget) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 300),
                Arbitraries.longs().between(0, 2_000), Arbitraries.integers().between(0, 3).map(i -> i == 0))
                .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(1_500);
    }

    private static byte[] key(int k) {
        return ("k" + k).getBytes(StandardCharsets.UTF_8);
    }

    @Property(tries = 200)
    void theTableActsAsAMap(@ForAll("ops") List<Op> ops) {
        Expiries e = new Expiries(Map.of(), CLOCK);
        Map<Integer, Long> model = new HashMap<>();
        Expiries copy = null;
        Map<Integer, Long> atCopy = null;
        for (int step = 0; step < ops.size(); step++) {
            Op o = ops.get(step);
            if (o.forget() || o.ms() == 0) {
                if (o.forget()) {
                    e.forget(key(o.key()));
                } else {
                    e.set(key(o.key()), 0);
                }
                model.remove(o.key());
            } else {
                byte[] k = key(o.key());
                e.set(k, o.ms());
                k[0] = 'x'; // the table keeps its own copy of the key
                model.put(o.key(), o.ms());
            }
            if (step == ops.size() / 2) {
                copy = e.copy();
                atCopy = new HashMap<>(model);
            }
            checkAgainst(e, model, "after step " + step + " " + o);
        }
        checkAgainst(copy, atCopy, "the copy taken midway");
    }

    @Property(tries = 50)
    void recoveredEntriesAreHeld(@ForAll("ops") List<Op> ops) {
        Map<Integer, Long> model = new HashMap<>();
        Map<ByteBuffer, Long> recovered = new HashMap<>();
        for (Op o : ops) {
            if (o.ms() != 0) {
                model.put(o.key(), o.ms());
                recovered.put(ByteBuffer.wrap(key(o.key())), o.ms());
            }
        }
        checkAgainst(new Expiries(recovered, CLOCK), model, "recovered");
    }

    private static void checkAgainst(Expiries e, Map<Integer, Long> model, String when) {
        assertEquals(model.size(), e.size(), when + ": size");
        assertEquals(model.isEmpty(), e.isEmpty(), when + ": isEmpty");
        for (int k = 0; k <= 300; k++) {
            long want = model.getOrDefault(k, 0L);
            assertEquals(want, e.of(key(k)), when + ": expiry of key " + k);
            assertEquals(want != 0 && want <= 1_000, e.expiredAt(key(k), 1_000), when + ": expired " + k);
            assertEquals(want != 0 && want <= 1_000, e.expiredNow(key(k)), when + ": expired now " + k);
        }
    }

    /**
     * Phases of mostly sets and mostly forgets over 2,000 keys, some of them made to share one home
     * slot of the table at its sizes up to 4,096 entries (their hashes agree in the top 12 bits): the
     * table grows, shrinks back and grows again, and probe runs of colliding keys are shifted back as
     * their members go.
     */
    @Property(tries = 30)
    void theTableGrowsAndShrinksWithKeysThatCollide(@ForAll("phases") List<Boolean> setting,
            @ForAll @net.jqwik.api.constraints.LongRange(min = 0, max = Long.MAX_VALUE) long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        List<byte[]> keys = new java.util.ArrayList<>(colliding(200));
        for (int i = 0; keys.size() < 2_000; i++) {
            keys.add(("w" + i).getBytes(StandardCharsets.UTF_8));
        }
        Expiries e = new Expiries(Map.of(), CLOCK);
        Map<ByteBuffer, Long> model = new HashMap<>();
        for (int p = 0; p < setting.size(); p++) {
            for (int step = 0; step < 1_500; step++) {
                byte[] k = keys.get(r.nextInt(keys.size()));
                boolean set = r.nextInt(10) < (setting.get(p) ? 9 : 1);
                if (set) {
                    long ms = 1 + r.nextInt(2_000);
                    e.set(k, ms);
                    model.put(ByteBuffer.wrap(k), ms);
                } else if (r.nextBoolean()) {
                    e.forget(k);
                    model.remove(ByteBuffer.wrap(k));
                } else {
                    e.set(k, 0);
                    model.remove(ByteBuffer.wrap(k));
                }
            }
            assertEquals(model.size(), e.size(), "phase " + p);
            for (byte[] k : keys) {
                assertEquals(model.getOrDefault(ByteBuffer.wrap(k), 0L), e.of(k), "phase " + p);
            }
        }
    }

    @Provide
    Arbitrary<List<Boolean>> phases() {
        return Arbitraries.of(true, false).list().ofMinSize(2).ofMaxSize(8);
    }

    /** {@code n} keys whose hashes agree in their top 12 bits: one home in every table of up to 4,096. */
    private static List<byte[]> colliding(int n) {
        List<byte[]> out = new java.util.ArrayList<>();
        int top = KeyIndex.hash("c0".getBytes(StandardCharsets.UTF_8)) >>> 20;
        for (int i = 0; out.size() < n; i++) {
            byte[] k = ("c" + i).getBytes(StandardCharsets.UTF_8);
            if (KeyIndex.hash(k) >>> 20 == top) {
                out.add(k);
            }
        }
        return out;
    }
}
