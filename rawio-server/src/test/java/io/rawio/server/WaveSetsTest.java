package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which SET-family requests a wave takes, and when what they set expires. */
class WaveSetsTest {
    static final long NOW = 1_700_000_000_000L;
    static final long NO = WaveSets.NOT_IN_WAVE;

    static List<byte[]> r(String... args) {
        List<byte[]> out = new ArrayList<>();
        for (String a : args) {
            out.add(a.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    static long at(String... args) {
        return WaveSets.expiry(r(args), () -> NOW);
    }

    @Test
    void plainAndRelativeExpiriesAreTakenWithTheirTime() {
        assertEquals(0, at("SET", "k", "v"));
        assertEquals(0, at("set", "k", "v"));
        assertEquals(NOW + 10_000, at("SET", "k", "v", "EX", "10"));
        assertEquals(NOW + 10_000, at("SET", "k", "v", "ex", "10"));
        assertEquals(NOW + 1, at("SET", "k", "v", "Px", "1"));
        assertEquals(NOW + 5_000, at("SETEX", "k", "5", "v"));
        assertEquals(NOW + 5, at("psetex", "k", "5", "v"));
        assertEquals(NOW + 60_000, at("SET", "k", "v", "EXAT", Long.toString(NOW / 1000 + 60)));
        assertEquals(NOW + 1, at("SET", "k", "v", "PXAT", Long.toString(NOW + 1)));
    }

    @Test
    void whatMustRunAloneIsNotTaken() {
        assertEquals(NO, at("SET", "k", "v", "NX"));
        assertEquals(NO, at("SET", "k", "v", "EX", "10", "NX"));
        assertEquals(NO, at("SET", "k", "v", "KEEPTTL", "1"));
        assertEquals(NO, at("SET", "k", "v", "GET", "x"));
        assertEquals(NO, at("SET", "k", "v", "EX", "0"));
        assertEquals(NO, at("SET", "k", "v", "EX", "-1"));
        assertEquals(NO, at("SET", "k", "v", "EX", "ten"));
        assertEquals(NO, at("SET", "k", "v", "EX", "9223372036854775807"), "past a long in ms");
        assertEquals(NO, at("SET", "k", "v", "PX", "9223372036854775807"), "past a long from now");
        assertEquals(NO, at("SET", "k", "v", "EXAT", Long.toString(NOW / 1000)), "already past");
        assertEquals(NO, at("SET", "k", "v", "PXAT", Long.toString(NOW)), "now is past");
        assertEquals(NO, at("SETEX", "k", "0", "v"));
        assertEquals(NO, at("SETEX", "k", "v", "5"));
        assertEquals(NO, at("SETEX", "k", "5"));
        assertEquals(NO, at("SETNX", "k", "v"));
        assertEquals(NO, at("GETEX", "k", "EX", "5"));
        assertEquals(NO, at("MSET", "k", "v"));
        assertEquals(NO, at("GET", "k"));
    }

    @Test
    void theValueIsLastForSetexAndThirdForSet() {
        assertEquals(2, WaveSets.valueIndex(r("SET", "k", "v", "EX", "1")));
        assertEquals(2, WaveSets.valueIndex(r("SET", "k", "v")));
        assertEquals(3, WaveSets.valueIndex(r("SETEX", "k", "1", "v")));
        assertEquals("psetex", WaveSets.name(r("PSETEX", "k", "1", "v")));
        assertEquals("setex", WaveSets.name(r("setex", "k", "1", "v")));
        assertEquals("set", WaveSets.name(r("SET", "k", "v", "PX", "1")));
    }

    @Test
    void expiresWithATimeAheadAndNoOptionsAreTaken() {
        assertEquals(NOW + 10_000, ExpireWave.expiry(r("EXPIRE", "k", "10"), () -> NOW));
        assertEquals(NOW + 10, ExpireWave.expiry(r("pexpire", "k", "10"), () -> NOW));
        assertEquals(NOW + 60_000, ExpireWave.expiry(r("EXPIREAT", "k", Long.toString(NOW / 1000 + 60)), () -> NOW));
        assertEquals(NOW + 1, ExpireWave.expiry(r("PEXPIREAT", "k", Long.toString(NOW + 1)), () -> NOW));
        assertEquals(NO, ExpireWave.expiry(r("EXPIRE", "k", "0"), () -> NOW), "past: deletes, alone");
        assertEquals(NO, ExpireWave.expiry(r("EXPIRE", "k", "-5"), () -> NOW));
        assertEquals(NO, ExpireWave.expiry(r("PEXPIREAT", "k", Long.toString(NOW)), () -> NOW));
        assertEquals(NO, ExpireWave.expiry(r("EXPIRE", "k", "9223372036854775807"), () -> NOW), "past a long");
        assertEquals(NO, ExpireWave.expiry(r("EXPIRE", "k", "10", "NX"), () -> NOW));
        assertEquals(NO, ExpireWave.expiry(r("EXPIRE", "k", "ten"), () -> NOW));
        assertEquals(NO, ExpireWave.expiry(r("TTL", "k", "10"), () -> NOW));
    }

    @Test
    void aPlainSetReadsNoClock() {
        assertEquals(0, WaveSets.expiry(r("SET", "k", "v"), () -> {
            throw new AssertionError("clock read");
        }));
    }
}
