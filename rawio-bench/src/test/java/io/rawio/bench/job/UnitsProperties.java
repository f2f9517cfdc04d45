package io.rawio.bench.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;

class UnitsProperties {
    @Property
    void sizesWithSuffixesArePowersOf1024(@ForAll @LongRange(min = 0, max = 1 << 20) long n,
            @ForAll @IntRange(min = 0, max = 3) int unit) {
        String[] suffix = {"", "k", "m", "g"};
        assertEquals(n << (10 * unit), Units.parseSize(n + suffix[unit]));
        assertEquals(n << (10 * unit), Units.parseSize(n + suffix[unit].toUpperCase()));
        if (unit > 0) {
            assertEquals(n << (10 * unit), Units.parseSize(n + suffix[unit].toUpperCase() + "iB"));
        }
    }

    @Property
    void formatThenParseIsIdentity(@ForAll @LongRange(min = 0, max = 1L << 50) long bytes) {
        assertEquals(bytes, Units.parseSize(Units.formatSize(bytes)));
    }

    @Property
    void durationsFormatThenParse(@ForAll @LongRange(min = 0, max = 1_000_000_000) long us) {
        long ns = us * 1000;
        assertEquals(ns, Units.parseDurationNs(Units.formatDuration(ns)));
    }

    @Property
    void garbageIsRefusedWithTheText(@ForAll @StringLength(min = 1, max = 8) String s) {
        if (s.matches("\\s*\\d+(\\.\\d+)?\\s*[kmgtpKMGTP]?(i?[bB])?\\s*")) {
            return;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Units.parseSize(s));
        assertEquals(true, e.getMessage().contains(s.trim()) || e.getMessage().contains("too large"));
    }

    @Example
    void durationUnits() {
        assertEquals(10_000_000_000L, Units.parseDurationNs("10s"));
        assertEquals(10_000_000_000L, Units.parseDurationNs("10"));
        assertEquals(500_000_000L, Units.parseDurationNs("500ms"));
        assertEquals(120_000_000_000L, Units.parseDurationNs("2m"));
        assertEquals(250_000L, Units.parseDurationNs("250us"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseDurationNs("-5s"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseDurationNs("5 parsecs"));
        assertThrows(IllegalArgumentException.class, () -> Units.parseSize("99999999999999999999g"));
        assertEquals(1536, Units.parseSize("1.5k"));
    }
}
