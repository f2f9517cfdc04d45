package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.uring.CqeStash;
import io.rawio.uring.IoUring;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Puts whose values are {@link ValueBuffers} buffers: the slot is written from the buffer with no copy
 * where its layout matches, copied where it does not, and either way the value reads back, before and
 * after a reopen (the checkpoint's data CRC and the recovery scan's both check it).
 */
@Timeout(60)
class ValueBuffersStoreTest {
    static final long SLOT = 8192;

    @TempDir
    Path dir;

    private static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int seed, int n) {
        byte[] v = new byte[n];
        new java.util.SplittableRandom(seed).nextBytes(v);
        return v;
    }

    private static ValueBuffers.Buffer filled(SlotStore s, byte[] v) {
        return filled(s, v, 0);
    }

    /** A buffer for the value {@code v} of a key of {@code keyLength} bytes (0: taken without one). */
    private static ValueBuffers.Buffer filled(SlotStore s, byte[] v, int keyLength) {
        ValueBuffers.Buffer b = keyLength == 0 ? s.valueBuffers().take(v.length)
                : s.valueBuffers().take(keyLength, v.length);
        MemorySegment.copy(v, 0, b.value(), ValueLayout.JAVA_BYTE, 0, v.length);
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {"psync", "uring"})
    void aValueInABufferIsWrittenFromItAndReadsBackAfterReopen(String engine) throws IOException {
        assumeTrue(!engine.equals("uring") || IoUring.available(), "io_uring unavailable");
        StoreOptions o = StoreOptions.defaults().withEngine(engine);
        for (boolean checkpoint : new boolean[] {true, false}) {
            Path p = dir.resolve(engine + checkpoint);
            SlotStore.format(p, 8L << 20, SLOT, true, o);
            byte[] aligned = bytes(1, 4096); // a 4 KiB value in an 8 KiB slot lies at 4096
            byte[] packed = bytes(2, 3000); // fits one block with its header: right after the key
            byte[] other = bytes(3, 3000);
            SlotStore s = SlotStore.open(p, o);
            try {
                ValueBuffers.Buffer a = filled(s, aligned, 0); // taken without a key: one block in
                ValueBuffers.Buffer b = filled(s, packed, 1); // taken for a key of b's length
                ValueBuffers.Buffer c = filled(s, other, 5); // taken for a longer key than c's: copied
                assertEquals(SlotDescriptor.HEADER_SIZE + 1, b.valueAt());
                List<SlotStore.Result> r = s.putMany(List.of(key("a"), key("b"), key("c")),
                        List.of(a.value(), b.value(), c.value()));
                assertTrue(r.get(0).ok() && r.get(1).ok() && r.get(2).ok(), r.toString());
                assertEquals(2, s.inPlaceWrites(), "a and b in place, c copied");
                // The caller's bytes are untouched by the write around them.
                assertArrayEquals(aligned, a.value().toArray(ValueLayout.JAVA_BYTE));
                assertArrayEquals(packed, b.value().toArray(ValueLayout.JAVA_BYTE));
                s.valueBuffers().give(a);
                s.valueBuffers().give(b);
                s.valueBuffers().give(c);
                assertArrayEquals(aligned, s.get(key("a")));
                assertArrayEquals(packed, s.get(key("b")));
                assertArrayEquals(other, s.get(key("c")));
            } finally {
                if (checkpoint) {
                    s.close();
                } else {
                    s.closeWithoutCheckpoint(); // the reopen scans the slots and checks their data CRC
                }
            }
            try (SlotStore r = SlotStore.open(p, o)) {
                assertArrayEquals(aligned, r.get(key("a")), "checkpoint=" + checkpoint);
                assertArrayEquals(packed, r.get(key("b")), "checkpoint=" + checkpoint);
                assertArrayEquals(other, r.get(key("c")), "checkpoint=" + checkpoint);
                CheckReport report = r.check();
                assertEquals(0, report.keysCorrupt() + report.slotsDamaged(), "check finds nothing wrong: " + report);
                assertEquals(3, report.keysVerified());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"psync", "uring"})
    void oneBufferGivenForSeveralKeysIsWrittenRightForEach(String engine) throws IOException {
        assumeTrue(!engine.equals("uring") || IoUring.available(), "io_uring unavailable");
        Path p = dir.resolve("twice-" + engine);
        StoreOptions o = StoreOptions.defaults().withEngine(engine);
        SlotStore.format(p, 8L << 20, SLOT, true, o);
        try (SlotStore s = SlotStore.open(p, o)) {
            byte[] v = bytes(3, 4096);
            ValueBuffers.Buffer b = filled(s, v);
            // Keys of one length, so every slot could be written from the buffer: with io_uring the writes
            // are in flight at once, and only one at a time may use the buffer's header block (the others
            // are copied).
            List<SlotStore.Result> r = s.putMany(List.of(key("x1"), key("y2"), key("z3")),
                    List.of(b.value(), b.value(), b.value()));
            assertTrue(r.get(0).ok() && r.get(1).ok() && r.get(2).ok());
            assertTrue(s.inPlaceWrites() >= 1, "the first in place");
            s.valueBuffers().give(b);
            for (String k : List.of("x1", "y2", "z3")) {
                assertArrayEquals(v, s.get(key(k)), k);
            }
            assertEquals(0, s.check().keysCorrupt(), "every slot's CRC holds");
        }
    }

    @Test
    void aBufferGivenBackWhileItsStartedPutIsInFlightIsNotReusedBeforeItEnds() throws IOException {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
        StoreOptions o = StoreOptions.defaults().withEngine("uring");
        Path p = dir.resolve("started");
        SlotStore.format(p, 8L << 20, SLOT, true, o);
        try (IoUring ring = IoUring.create(IoUring.Setup.of(64)); SlotStore s = SlotStore.open(p, o)) {
            assertTrue(s.onRing().share(ring, new CqeStash()));
            byte[] v = bytes(4, 4096);
            ValueBuffers.Buffer b = filled(s, v);
            AtomicReference<List<SlotStore.Result>> done = new AtomicReference<>();
            s.onRing().startPutMany(List.of(key("k")), List.of(b.value()), (r, f) -> done.set(r));
            s.valueBuffers().give(b); // too early, as a connection closed meanwhile would
            ValueBuffers.Buffer other = s.valueBuffers().take(4096);
            assertNotEquals(b.slot().address(), other.slot().address(), "the put still holds it");
            other.value().fill((byte) 0x5a);
            for (int i = 0; i < 10_000 && done.get() == null; i++) {
                s.onRing().runStarted();
                if (done.get() == null) {
                    ring.submitAndWait(1);
                    ring.reap((ud, res, fl) -> s.onRing().completion(ud, res));
                }
            }
            assertTrue(done.get() != null && done.get().getFirst().ok(), String.valueOf(done.get()));
            s.onRing().unshare();
            assertArrayEquals(v, s.get(key("k")));
            s.valueBuffers().give(other);
        }
    }
}
