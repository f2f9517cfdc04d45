package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.server.resp.RequestArgs;
import io.rawio.server.resp.RequestParser;
import io.rawio.store.ValueBuffers;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Large SET values received straight into the store's value buffers ({@link ValueLanding}): whatever
 * pieces the bytes arrive in, every request parses as it would from the query buffer, a large plain
 * SET's value is a view of a lent buffer, and every buffer goes back once no request holds it (or the
 * connection closes). What is not a plain SET of a large value, or finds the budget spent, stays in the
 * query buffer.
 */
class ValueLandingTest {
    private static final RequestParser PARSER = new RequestParser(1L << 30);

    private static byte[] cmd(byte[]... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            o.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            o.writeBytes(a);
            o.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return o.toByteArray();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] value(int seed, int n) {
        byte[] v = new byte[n];
        new SplittableRandom(seed).nextBytes(v);
        return v;
    }

    /** Feeds {@code stream} in pieces cut by {@code rnd}, parsing and taking requests as a loop does. */
    private static List<List<byte[]>> run(Connection c, byte[] stream, SplittableRandom rnd, int maxPiece,
            List<Boolean> landed) {
        List<List<byte[]>> got = new ArrayList<>();
        MemorySegment src = MemorySegment.ofArray(stream);
        for (int at = 0; at < stream.length; ) {
            int n = Math.min(stream.length - at, 1 + rnd.nextInt(maxPiece));
            c.received(src, at, n);
            at += n;
            while (c.hasWork()) {
                c.parse(PARSER);
                List<byte[]> r;
                boolean any = false;
                while ((r = c.peek()) != null) {
                    landed.add(r instanceof RequestArgs a && a.hasLanded());
                    List<byte[]> copy = new ArrayList<>();
                    for (int i = 0; i < r.size(); i++) {
                        copy.add(r.get(i));
                    }
                    got.add(copy);
                    c.take();
                    any = true;
                }
                if (!any) {
                    break;
                }
            }
        }
        return got;
    }

    @Property(tries = 60)
    void everyRequestParsesAsFromTheQueryBufferWhateverThePieces(@ForAll @IntRange(min = 1, max = 200_000) int maxPiece,
            @ForAll long seed) {
        try (ValueBuffers pool = new ValueBuffers()) {
            long[] count = new long[1];
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> count[0]++));
            byte[] big1 = value(1, 300_000);
            byte[] big2 = value(2, ValueLanding.MIN_BYTES);
            byte[] small = value(3, 1000);
            List<byte[][]> sent = List.of(
                    new byte[][] {b("SET"), b("k1"), big1},
                    new byte[][] {b("GET"), b("k1")},
                    new byte[][] {b("set"), b("k2"), small},
                    new byte[][] {b("SET"), b("k3"), big2},
                    new byte[][] {b("ECHO"), big1},
                    new byte[][] {b("SET"), b("k4"), big1, b("EX"), b("10")},
                    new byte[][] {b("SeT"), b("k5"), big1});
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            for (byte[][] r : sent) {
                o.writeBytes(cmd(r));
            }
            List<Boolean> landed = new ArrayList<>();
            List<List<byte[]>> got = run(c, o.toByteArray(), new SplittableRandom(seed), maxPiece, landed);
            assertEquals(sent.size(), got.size());
            for (int i = 0; i < sent.size(); i++) {
                assertEquals(sent.get(i).length, got.get(i).size(), "request " + i);
                for (int k = 0; k < sent.get(i).length; k++) {
                    assertArrayEquals(sent.get(i)[k], got.get(i).get(k), "request " + i + " argument " + k);
                }
            }
            // Only large plain SETs land; the first always does (its header comes first). The others land
            // when nothing unparsed is before them as their header arrives.
            List<Boolean> eligible = List.of(true, false, false, true, false, false, true);
            assertEquals(eligible.size(), landed.size());
            for (int i = 0; i < landed.size(); i++) {
                assertTrue(!landed.get(i) || eligible.get(i), "request " + i + " landed: " + landed);
            }
            assertTrue(landed.getFirst(), "the first large SET lands");
            assertEquals(landed.stream().filter(x -> x).count(), count[0]);
            // Nothing holds views any more: the next bytes give every buffer back.
            c.received(MemorySegment.ofArray(cmd(b("PING"))), 0, cmd(b("PING")).length);
            assertEquals(0, pool.lent(), "every buffer back");
        }
    }

    @Test
    void aLandedValueIsTheBuffersMemoryAndStaysWhileAWriteHoldsIt() {
        try (ValueBuffers pool = new ValueBuffers()) {
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            byte[] v = value(4, 200_000);
            byte[] s = cmd(b("SET"), b("key"), v);
            c.received(MemorySegment.ofArray(s), 0, 1000); // the header and the first bytes
            c.parse(PARSER);
            assertEquals(1, pool.lent(), "a buffer from the header on");
            assertTrue(c.shortfall() > 0);
            c.received(MemorySegment.ofArray(s), 1000, s.length - 1000);
            c.parse(PARSER);
            RequestArgs r = (RequestArgs) c.peek();
            assertNotNull(r);
            MemorySegment seg = r.segment(2);
            assertTrue(seg.isNative(), "a view of the buffer, not the query buffer");
            assertArrayEquals(v, seg.toArray(ValueLayout.JAVA_BYTE));
            c.take();
            c.writesInFlight++; // its put is in flight
            c.received(MemorySegment.ofArray(cmd(b("PING"))), 0, cmd(b("PING")).length);
            assertEquals(1, pool.lent(), "held while the write is in flight");
            c.writesInFlight--;
            c.received(MemorySegment.ofArray(cmd(b("PING"))), 0, cmd(b("PING")).length);
            assertEquals(0, pool.lent());
        }
    }

    @Test
    void pipelinedLargeSetsLandOneAfterAnother() {
        try (ValueBuffers pool = new ValueBuffers()) {
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            for (int i = 0; i < 3; i++) {
                o.writeBytes(cmd(b("SET"), b("k" + i), value(10 + i, 150_000 + i)));
            }
            o.writeBytes(cmd(b("GET"), b("k0")));
            byte[] s = o.toByteArray();
            c.received(MemorySegment.ofArray(s), 0, s.length); // all at once, as a reap of many receives
            assertEquals(3, pool.lent(), "each value in its buffer");
            assertTrue(c.queryBytes() < 200, "the query buffer holds headers only: " + c.queryBytes());
            c.parse(PARSER);
            for (int i = 0; i < 3; i++) {
                RequestArgs r = (RequestArgs) c.peek();
                assertTrue(r.hasLanded(), "SET " + i);
                assertArrayEquals(value(10 + i, 150_000 + i), r.get(2));
                c.take();
            }
            assertArrayEquals(b("k0"), c.peek().get(1));
            c.take();
            c.received(MemorySegment.ofArray(cmd(b("PING"))), 0, cmd(b("PING")).length);
            assertEquals(0, pool.lent());
        }
    }

    @Test
    void bulkHeadersAreReadWithinTheBytesThatArrived() {
        byte[] in = b("xx$12\r\nabc$\r\n$9x\r\n$99999999999\r\n$7\r");
        assertEquals(12L << 32 | 7, ValueLanding.header(in, 2, in.length));
        assertEquals(-2, ValueLanding.header(in, 7, in.length), "not a '$'");
        assertEquals(-2, ValueLanding.header(in, 10, in.length), "no digits");
        assertEquals(-2, ValueLanding.header(in, 13, in.length), "not a digit");
        assertEquals(-2, ValueLanding.header(in, 18, in.length), "past an int");
        assertEquals(-1, ValueLanding.header(in, 32, in.length), "its LF has not come");
        assertEquals(-1, ValueLanding.header(in, 2, 5), "cut short");
        assertEquals(-1, ValueLanding.header(in, 5, 5), "nothing yet");
        byte[] zeros = b("$" + "0".repeat(5000) + "1\r\n");
        assertEquals(-2, ValueLanding.header(zeros, 0, zeros.length), "a header no longer than 11 digits");
        assertEquals(-2, ValueLanding.header(zeros, 0, 100), "known before the rest arrives");
        assertEquals(1L << 32 | 14, ValueLanding.header(b("$00000000001\r\n"), 0, 14));
    }

    @Test
    void aValueLandsFromTheThresholdOn() {
        for (int length : new int[] {ValueLanding.MIN_BYTES - 1, ValueLanding.MIN_BYTES}) {
            try (ValueBuffers pool = new ValueBuffers()) {
                Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
                byte[] s = cmd(b("SET"), b("k"), value(8, length));
                c.received(MemorySegment.ofArray(s), 0, 100);
                assertEquals(length >= ValueLanding.MIN_BYTES ? 1 : 0, pool.lent(), "a value of " + length);
            }
        }
    }

    @Test
    void aParsedValuesBufferGoesBackOnceItsRequestRanWithoutWaitingForBytes() {
        try (ValueBuffers pool = new ValueBuffers()) {
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            byte[] s = cmd(b("SET"), b("k"), value(9, 100_000));
            c.received(MemorySegment.ofArray(s), 0, 100);
            c.received(MemorySegment.ofArray(s), 100, s.length - 100);
            c.parse(PARSER);
            c.take(); // run (a store written synchronously)
            assertEquals(1, pool.lent());
            c.parse(PARSER); // the next pass, nothing new received
            assertEquals(0, pool.lent(), "back at the next parse");
        }
        try (ValueBuffers pool = new ValueBuffers()) {
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            byte[] s = cmd(b("SET"), b("k"), value(9, 100_000));
            c.received(MemorySegment.ofArray(s), 0, 100);
            c.received(MemorySegment.ofArray(s), 100, s.length - 100);
            c.parse(PARSER);
            c.take();
            c.writesInFlight++;
            c.trim();
            assertEquals(1, pool.lent(), "its write in flight");
            c.writesInFlight--;
            c.trim(); // the sweep of a connection idle a second
            assertEquals(0, pool.lent(), "back at the idle sweep");
        }
    }

    @Test
    void aSetAnnouncingAHugeKeyIsLeftToTheParser() {
        try (ValueBuffers pool = new ValueBuffers()) {
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            byte[] s = b("*3\r\n$3\r\nSET\r\n$2147483600\r\nabc");
            c.received(MemorySegment.ofArray(s), 0, s.length);
            c.parse(PARSER);
            assertEquals(0, pool.lent());
            List<byte[]> r = c.peek();
            assertTrue(r != null && r.getFirst() == Connection.PROTOCOL_ERROR, "the parser's error");
        }
    }

    @Test
    void aValueAnnouncedAndNotSentGoesBackToTheQueryBufferWhenIdle() {
        try (ValueBuffers pool = new ValueBuffers()) {
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            byte[] first = cmd(b("SET"), b("a"), value(11, 100_000));
            byte[] v = value(12, 1 << 20);
            byte[] s = cmd(b("SET"), b("k"), v);
            byte[] both = new byte[first.length + 70_000];
            System.arraycopy(first, 0, both, 0, first.length);
            System.arraycopy(s, 0, both, first.length, 70_000);
            c.received(MemorySegment.ofArray(both), 0, both.length);
            assertEquals(2, pool.lent(), "both values in buffers");
            c.trim(); // the sweep: idle a second
            assertEquals(1, pool.lent(), "the stalled one's buffer back; the whole one stays");
            c.received(MemorySegment.ofArray(s), 70_000, s.length - 70_000);
            assertEquals(1, pool.lent(), "not landed again");
            c.parse(PARSER);
            RequestArgs r1 = (RequestArgs) c.peek();
            assertTrue(r1.hasLanded());
            c.take();
            RequestArgs r2 = (RequestArgs) c.peek();
            assertFalse(r2.hasLanded());
            assertArrayEquals(v, r2.get(2), "every byte, from the buffer and after it");
            c.take();
            c.parse(PARSER);
            assertEquals(0, pool.lent());
        }
    }

    @Test
    void aValueComingAFewBytesAtATimeGoesBackToTheQueryBuffer() {
        try (ValueBuffers pool = new ValueBuffers()) {
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            byte[] v = value(21, 1 << 20);
            byte[] s = cmd(b("SET"), b("k"), v);
            int at = s.length - v.length - 2 + 10; // the header and 10 bytes of the value
            c.received(MemorySegment.ofArray(s), 0, at);
            assertEquals(1, pool.lent(), "landing");
            c.unlandIfSlow(10_000); // a sweep: the first one only notes how far it came
            assertEquals(1, pool.lent());
            c.received(MemorySegment.ofArray(s), at, 10);
            at += 10;
            c.unlandIfSlow(10_400); // sweeps 400 ms apart (after a long round): not measured
            assertEquals(1, pool.lent(), "no pace is judged over less than a second");
            c.received(MemorySegment.ofArray(s), at, 200_000);
            at += 200_000;
            c.unlandIfSlow(11_000); // 200,010 bytes in a second: it keeps its buffer
            assertEquals(1, pool.lent(), "a value that comes at pace keeps its buffer");
            c.received(MemorySegment.ofArray(s), at, 100_000);
            at += 100_000;
            c.unlandIfSlow(13_000); // 100,000 bytes in two seconds: 50,000 a second
            assertEquals(0, pool.lent(), "the slow value's buffer is back");
            c.received(MemorySegment.ofArray(s), at, s.length - at);
            assertEquals(0, pool.lent(), "not landed again");
            c.parse(PARSER);
            RequestArgs r = (RequestArgs) c.peek();
            assertNotNull(r);
            assertFalse(r.hasLanded());
            assertArrayEquals(v, r.get(2), "every byte, from the buffer and after it");
        }
    }

    @Test
    void aSpentBudgetLeavesTheValueInTheQueryBuffer() {
        try (ValueBuffers pool = new ValueBuffers()) {
            pool.budget(0);
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            byte[] v = value(5, 100_000);
            byte[] s = cmd(b("SET"), b("key"), v);
            c.received(MemorySegment.ofArray(s), 0, 500);
            c.parse(PARSER);
            c.received(MemorySegment.ofArray(s), 500, s.length - 500);
            c.parse(PARSER);
            RequestArgs r = (RequestArgs) c.peek();
            assertFalse(r.hasLanded());
            assertArrayEquals(v, r.segment(2).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void aConnectionClosedMidValueGivesItsBufferBack() {
        try (ValueBuffers pool = new ValueBuffers()) {
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            byte[] s = cmd(b("SET"), b("key"), value(6, 1 << 20));
            c.received(MemorySegment.ofArray(s), 0, 70_000);
            c.parse(PARSER);
            assertEquals(1, pool.lent());
            c.release();
            assertEquals(0, pool.lent());
            c.received(MemorySegment.ofArray(s), 70_000, 1000); // bytes after the close take nothing
            c.parse(PARSER);
            assertEquals(0, pool.lent());
        }
    }

    @Test
    void aValueNotFollowedByCrlfIsAProtocolError() {
        try (ValueBuffers pool = new ValueBuffers()) {
            Connection c = new Connection(-1, 1L << 30, null, new ValueLanding(pool, PARSER, () -> { }));
            byte[] s = cmd(b("SET"), b("key"), value(7, 100_000));
            s[s.length - 2] = 'x';
            c.received(MemorySegment.ofArray(s), 0, 100);
            c.parse(PARSER);
            c.received(MemorySegment.ofArray(s), 100, s.length - 100);
            c.parse(PARSER);
            List<byte[]> r = c.peek();
            assertTrue(r.getFirst() == Connection.PROTOCOL_ERROR, "a protocol error");
            assertEquals("Protocol error: bulk string not followed by CRLF", new String(r.get(1), StandardCharsets.UTF_8));
            c.release();
            assertEquals(0, pool.lent());
        }
    }
}
