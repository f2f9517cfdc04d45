package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** SCAN's cursor read as C's strtoul in base 10 reads it, with Redis's checks after (ScanCommands.cursor). */
class ScanCursorTest {
    private static OptionalLong cursor(String s) {
        return ScanCommands.cursor(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void signsDigitsAndTheUnsigned64BitRange() {
        assertEquals(OptionalLong.of(0), cursor(""));
        assertEquals(OptionalLong.of(0), cursor("0"));
        assertEquals(OptionalLong.of(0), cursor("-0"));
        assertEquals(OptionalLong.of(7), cursor("+7"));
        assertEquals(OptionalLong.of(7), cursor("007"));
        assertEquals(OptionalLong.of(4294967295L), cursor("4294967295"));
        assertEquals(OptionalLong.of(-1L), cursor("-1"), "2^64 - 1");
        assertEquals(OptionalLong.of(-1L), cursor("18446744073709551615"));
        assertEquals(OptionalLong.of(1L), cursor("-18446744073709551615"), "negated as an unsigned number");
        assertEquals(OptionalLong.of(Long.MIN_VALUE), cursor("9223372036854775808"));
    }

    @Test
    void whatStrtoulLeavesOverOrCannotHoldIsNoCursor() {
        for (String bad : new String[] {"18446744073709551616", "99999999999999999999", "-18446744073709551616", " 1",
                "1 ", "+", "-", "0x10", "1x", "--1", "+-1", "\t1"}) {
            assertTrue(cursor(bad).isEmpty(), bad);
        }
    }
}
