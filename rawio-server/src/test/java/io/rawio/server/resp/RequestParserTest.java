package io.rawio.server.resp;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class RequestParserTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static List<String> words(RequestParser.Result r) {
        List<String> out = new ArrayList<>();
        for (byte[] a : r.args()) {
            out.add(new String(a, StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    /** Every request in {@code in}, fed whole. */
    private static List<List<String>> all(RequestParser p, byte[] in) {
        List<List<String>> out = new ArrayList<>();
        int at = 0;
        while (at < in.length) {
            RequestParser.Result r = p.parse(in, at, in.length);
            assertTrue(!r.needsMore() && !r.isError(), "request at " + at + ": " + r);
            out.add(words(r));
            at += r.consumed();
        }
        return out;
    }

    @Test
    void pipelinedMultibulkAndInlineRequests() {
        byte[] in = b("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nECHO \"a b\" 'c\\'d' \"\\x41\\n\"\n*0\r\n\r\n");
        assertEquals(List.of(List.of("SET", "k", "hello"), List.of("GET", "k"), List.of("PING"),
                List.of("ECHO", "a b", "c'd", "A\n"), List.of(), List.of()), all(new RequestParser(), in));
    }

    @Test
    void aRequestCutAnywhereNeedsMoreAndConsumesNothing() {
        byte[] in = b("*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n");
        RequestParser p = new RequestParser();
        for (int cut = 0; cut < in.length; cut++) {
            assertTrue(p.parse(in, 0, cut).needsMore(), "cut at " + cut);
        }
        assertEquals(in.length, p.parse(in, 0, in.length).consumed());
    }

    @Test
    void malformedRequestsGetRedisProtocolErrors() {
        RequestParser p = new RequestParser(1024);
        String[][] cases = {
            {"*x\r\n", "Protocol error: invalid multibulk length"},
            {"*2000000\r\n", "Protocol error: invalid multibulk length"},
            {"*1\r\n+PING\r\n", "Protocol error: expected '$', got '+'"},
            {"*1\r\n$-3\r\n", "Protocol error: invalid bulk length"},
            {"*1\r\n$abc\r\n", "Protocol error: invalid bulk length"},
            {"*1\r\n$2147483647\r\n", "Protocol error: invalid bulk length"},
            {"*1\r\n$1025\r\n", "Protocol error: invalid bulk length"},
            {"ECHO \"open\n", "Protocol error: unbalanced quotes in request"},
            {"ECHO \"a\"b\n", "Protocol error: unbalanced quotes in request"},
            {"*1\r\n$1\r\nab\r\n", "Protocol error: bulk string not followed by CRLF"},
        };
        for (String[] c : cases) {
            RequestParser.Result r = p.parse(b(c[0]), 0, c[0].length());
            assertEquals(c[1], r.error(), c[0]);
        }
    }

    @Test
    void linesPastTheInlineLimitAreRefusedNotBuffered() {
        byte[] inline = new byte[RequestParser.MAX_INLINE + 10];
        java.util.Arrays.fill(inline, (byte) 'a');
        assertEquals("Protocol error: too big inline request", new RequestParser().parse(inline, 0, inline.length).error());
        byte[] count = new byte[RequestParser.MAX_INLINE + 10];
        java.util.Arrays.fill(count, (byte) '1');
        count[0] = '*';
        assertEquals("Protocol error: too big mbulk count string", new RequestParser().parse(count, 0, count.length).error());
    }

    /** A huge announced bulk is waited for, not reserved: the parser answers NEED_MORE until it is all there. */
    @Test
    void anAnnouncedBulkWithinTheLimitIsWaitedForWithoutReservingIt() {
        byte[] in = b("*1\r\n$100000000\r\nabc");
        RequestParser.Result r = new RequestParser().parse(in, 0, in.length);
        assertTrue(r.needsMore());
        assertNull(r.args());
    }

    // ------------------------------------------------------------------ properties

    @Provide
    Arbitrary<List<List<byte[]>>> commands() {
        Arbitrary<byte[]> arg = Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
        return arg.list().ofMinSize(1).ofMaxSize(6).list().ofMinSize(1).ofMaxSize(8);
    }

    private static byte[] encode(List<List<byte[]>> cmds) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (List<byte[]> c : cmds) {
            out.writeBytes(b("*" + c.size() + "\r\n"));
            for (byte[] a : c) {
                out.writeBytes(b("$" + a.length + "\r\n"));
                out.writeBytes(a);
                out.writeBytes(b("\r\n"));
            }
        }
        return out.toByteArray();
    }

    /** Any commands, encoded and fed in pieces cut at random places, come back exactly, in order. */
    @Property(tries = 300)
    void encodedCommandsParseBackWhateverTheyAreCutInto(@ForAll("commands") List<List<byte[]>> cmds,
            @ForAll @Size(max = 6) List<Integer> cuts) {
        byte[] in = encode(cmds);
        RequestParser p = new RequestParser();
        List<List<byte[]>> got = new ArrayList<>();
        int at = 0;
        int received = 0;
        int k = 0;
        while (at < in.length) {
            RequestParser.Result r = p.parse(in, at, received);
            if (r.needsMore()) {
                int step = k < cuts.size() ? 1 + Math.floorMod(cuts.get(k++), 64) : in.length;
                received = Math.min(in.length, received + step);
                continue;
            }
            assertTrue(!r.isError(), r.error());
            got.add(r.args());
            at += r.consumed();
        }
        assertEquals(cmds.size(), got.size());
        for (int i = 0; i < cmds.size(); i++) {
            assertEquals(cmds.get(i).size(), got.get(i).size());
            for (int j = 0; j < cmds.get(i).size(); j++) {
                assertTrue(java.util.Arrays.equals(cmds.get(i).get(j), got.get(i).get(j)));
            }
        }
    }

    /**
     * What a partial request says it still needs at least is never more than the whole request: a
     * connection that waits for that many bytes before parsing again never misses a request.
     */
    @Property(tries = 300)
    void theLeastAPartialRequestNeedsIsNeverMoreThanItsLength(@ForAll("commands") List<List<byte[]>> cmds) {
        byte[] in = encode(cmds.subList(0, 1));
        RequestParser p = new RequestParser();
        for (int cut = 0; cut < in.length; cut++) {
            RequestParser.Result r = p.parse(in, 0, cut);
            assertTrue(r.needsMore(), "cut " + cut);
            assertTrue(r.needAtLeast() <= in.length, "needs " + r.needAtLeast() + " of a request of " + in.length);
        }
        assertEquals(in.length, p.parse(in, 0, in.length).consumed());
    }

    /** Whatever bytes a client sends, the parser answers with a request, NEED_MORE or an error: it never throws. */
    @Property(tries = 2000)
    void anyBytesGetAnAnswerNeverAnException(@ForAll @Size(max = 200) byte[] junk, @ForAll boolean multibulk) {
        byte[] in = junk;
        if (multibulk && in.length > 0) {
            in[0] = '*';
        }
        RequestParser.Result r = new RequestParser(100).parse(in, 0, in.length);
        assertTrue(r.needsMore() || r.isError() || (r.consumed() > 0 && r.consumed() <= in.length), r.toString());
    }

    @Test
    void multibulkArgumentsAreViewsCopiedOnlyWhenAsked() {
        byte[] buf = b("xx*3\r\n$3\r\nsEt\r\n$1\r\nk\r\n$5\r\nhello\r\n");
        RequestParser.Result r = new RequestParser().parse(buf, 2, buf.length);
        RequestArgs a = (RequestArgs) r.args();
        assertEquals(3, a.size());
        assertTrue(a.is(0, "set"));
        assertFalse(a.is(0, "get"));
        assertEquals(5, a.length(2));
        assertEquals("hello", new String(a.segment(2).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                StandardCharsets.ISO_8859_1));
        assertTrue(a.segment(2).isReadOnly());
        byte[] first = a.get(2);
        assertSame(first, a.get(2), "copied once");
        buf[buf.length - 3] = 'X'; // the view sees the buffer; the copy made before does not
        assertEquals("hellX", new String(a.segment(2).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                StandardCharsets.ISO_8859_1));
        assertEquals("hello", new String(first, StandardCharsets.ISO_8859_1));
        assertThrows(IndexOutOfBoundsException.class, () -> a.get(3));
    }
}
