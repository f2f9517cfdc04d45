package io.rawio.cli.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The zero fill's progress: nothing for a fill under a second, then a line a second, and its end. */
class ZeroProgressTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aShortFillSaysNothing() {
        StringWriter out = new StringWriter();
        AtomicLong now = new AtomicLong(5 * SECOND);
        var p = new ZeroProgress(new PrintWriter(out), "rawio serve", now::get);
        now.addAndGet(SECOND / 2);
        p.written(1 << 20, 2 << 20);
        now.addAndGet(SECOND / 4);
        p.written(2 << 20, 2 << 20);
        assertEquals("", out.toString());
    }

    @Test
    void aLongFillSaysHowFarOnceASecondAndItsEnd() {
        StringWriter out = new StringWriter();
        AtomicLong now = new AtomicLong(0);
        var p = new ZeroProgress(new PrintWriter(out), "rawio serve", now::get);
        long total = 100L << 30;
        for (int i = 1; i <= 40; i++) { // 40 pieces, a quarter of a second each
            now.addAndGet(SECOND / 4);
            p.written(total * i / 40, total);
        }
        String[] lines = out.toString().split("\n");
        assertEquals(10, lines.length, out.toString()); // seconds 1-9, then the end
        assertTrue(lines[0].startsWith("rawio serve: writing zeros: 10g of 100g (10%), 1.0 s"), lines[0]);
        assertTrue(lines[9].startsWith("rawio serve: writing zeros: 100g of 100g (100%), 10.0 s"), lines[9]);
    }
}
