package io.rawio.bench.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;

class ScanCountProperties {
    @Property(tries = 500)
    void swarCountsMatchANaiveScan(@ForAll @StringLength(max = 300) @CharRange(from = '\n', to = '\n')
            @CharRange(from = 'A', to = 'E') @CharRange(from = 'O', to = 'R') String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ScanLab.Counts c = ScanLab.count(MemorySegment.ofArray(b), b.length);
        long lines = text.chars().filter(ch -> ch == '\n').count();
        long matches = 0;
        for (int i = 0; i + 5 <= text.length(); i++) {
            if (text.startsWith("ERROR", i)) {
                matches++;
            }
        }
        assertEquals(lines, c.lines(), text);
        assertEquals(matches, c.matches(), text);
    }

    @Property
    void zeroBytesIsExact(@ForAll long v) {
        int expected = 0;
        for (int i = 0; i < 8; i++) {
            if (((v >>> (8 * i)) & 0xff) == 0) {
                expected++;
            }
        }
        assertEquals(expected, ScanLab.zeroBytes(v));
        assertEquals(expected, Long.bitCount(ScanLab.zeroMask(v)));
    }
}
