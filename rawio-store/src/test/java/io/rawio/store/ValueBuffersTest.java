package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool of value buffers on its own: layout, reuse, the budget, and what a put's pin holds back. */
class ValueBuffersTest {

    @Test
    void aValueStartsOneBlockIntoAnAlignedBufferOfWholeBlocks() {
        try (ValueBuffers p = new ValueBuffers()) {
            ValueBuffers.Buffer b = p.take(1 << 20);
            assertEquals(1 << 20, b.value().byteSize());
            assertEquals(0, b.slot().address() % 4096, "the slot is block-aligned (O_DIRECT)");
            assertEquals(b.slot().address() + ValueBuffers.VALUE_AT, b.value().address());
            assertEquals(0, b.capacity() % 4096);
            assertTrue(b.capacity() >= ValueBuffers.VALUE_AT + (1 << 20));
            assertTrue(b.capacity() <= (ValueBuffers.VALUE_AT + (1 << 20)) * 5 / 4, "at most a quarter more");
            assertSame(b, p.lentFor(b.value()));
            assertNull(p.lentFor(b.value().asSlice(0, 100)), "a slice is not the buffer's value");
            assertNull(p.lentFor(MemorySegment.ofArray(new byte[100])), "a heap value is never one");
            p.give(b);
            assertNull(p.lentFor(b.slot().asSlice(ValueBuffers.VALUE_AT, 1 << 20)), "given back: no longer lent");
        }
    }

    @Test
    void aBufferGivenBackIsReusedForTheSameSize() {
        try (ValueBuffers p = new ValueBuffers()) {
            ValueBuffers.Buffer a = p.take(100_000);
            long address = a.slot().address();
            p.give(a);
            ValueBuffers.Buffer b = p.take(100_001); // the same rounded size
            assertEquals(address, b.slot().address());
            assertEquals(100_001, b.value().byteSize());
            assertEquals(1, p.lent());
            assertThrows(IllegalStateException.class, () -> p.give(a), "the first lending was over");
            p.give(b);
            assertEquals(0, p.lent());
            assertThrows(IllegalStateException.class, () -> p.give(b));
            assertThrows(IllegalArgumentException.class, () -> p.take(0));
        }
    }

    @Test
    void theBudgetBoundsWhatIsLentAndKept() {
        try (ValueBuffers p = new ValueBuffers()) {
            p.budget(4 * 8192);
            ValueBuffers.Buffer a = p.take(4096); // 8 KiB each: a block for the header, one for the value
            ValueBuffers.Buffer b = p.take(4096);
            ValueBuffers.Buffer c = p.take(4096);
            ValueBuffers.Buffer d = p.take(4096);
            assertNotNull(d);
            assertNull(p.take(4096), "past the budget: nothing lent");
            assertEquals(4 * 8192, p.heldBytes());
            p.give(a);
            assertNull(p.take(8000), "a larger size: more than a quarter of the budget");
            assertEquals(4 * 8192, p.heldBytes(), "the idle one kept");
            ValueBuffers.Buffer e = p.take(3000);
            assertNotNull(e, "the idle one, reused for a size that rounds to it");
            p.give(b);
            p.give(c);
            p.budget(3 * 8192);
            assertEquals(3 * 8192, p.heldBytes(), "idle past the new budget freed");
            p.budget(0);
            assertNull(p.take(1));
            p.give(d);
            p.give(e);
            assertEquals(0, p.heldBytes(), "given back past the budget: freed");
        }
    }

    @Test
    void oneBufferIsAtMostAQuarterOfTheBudget() {
        try (ValueBuffers p = new ValueBuffers()) {
            assertNull(p.take((int) (ValueBuffers.DEFAULT_BUDGET / 4)),
                    "a value announced as 16 MiB takes no buffer: a quarter of the budget is the most");
            assertNotNull(p.take((int) (ValueBuffers.DEFAULT_BUDGET / 8)));
        }
    }

    @Test
    void aPinnedBufferGivenBackIsReusedOnlyOnceThePutIsOver() {
        try (ValueBuffers p = new ValueBuffers()) {
            ValueBuffers.Buffer a = p.take(4096);
            ValueBuffers.Pins pins = p.pin(List.of(MemorySegment.ofArray(new byte[3]), a.value()));
            assertNotNull(pins);
            assertEquals(1, pins.count());
            assertSame(a, p.beginWrite(a.value()));
            assertNull(p.beginWrite(a.value()), "one write at a time from a buffer");
            p.endWrite(a);
            p.give(a); // the caller is done with it; the put is not
            ValueBuffers.Buffer b = p.take(4096);
            assertNotEquals(a.slot().address(), b.slot().address(), "not reused while pinned");
            p.unpin(pins);
            ValueBuffers.Buffer c = p.take(4096);
            assertEquals(a.slot().address(), c.slot().address(), "reused once the put is over");
            assertNull(p.pin(List.of(MemorySegment.ofArray(new byte[3]))), "nothing to pin");
        }
    }

    @Test
    void aValueNotPinnedIsNotWrittenInPlace() {
        try (ValueBuffers p = new ValueBuffers()) {
            ValueBuffers.Buffer a = p.take(4096);
            assertNull(p.beginWrite(a.value()), "only a put that pinned it writes from it");
        }
    }
}
