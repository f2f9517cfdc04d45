package io.rawio.server.resp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplyWriterTest {
    private static String s(ReplyWriter w) {
        return new String(w.toBytes(), StandardCharsets.ISO_8859_1);
    }

    /** The replies clients compare byte for byte (LMCache's native client among them). */
    @Test
    void resp2RepliesAreByteExact() {
        ReplyWriter w = new ReplyWriter(16);
        w.ok().nullBulk().integer(0).integer(1).integer(-42).bulk("abc").bulk(new byte[0]).simple("PONG")
                .error("ERR unknown command 'X'").array(2).nullArray();
        assertEquals("+OK\r\n$-1\r\n:0\r\n:1\r\n:-42\r\n$3\r\nabc\r\n$0\r\n\r\n+PONG\r\n-ERR unknown command 'X'\r\n"
                + "*2\r\n*-1\r\n", s(w));
    }

    @Test
    void resp3FormsAfterHello3AndTheirResp2Equivalents() {
        ReplyWriter w = new ReplyWriter();
        w.map(2).set(3).nullBulk().nullArray().bool(true).doubleValue(1.5).doubleValue(3);
        assertEquals("*4\r\n*3\r\n$-1\r\n*-1\r\n:1\r\n$3\r\n1.5\r\n$1\r\n3\r\n", s(w));
        w.clear();
        w.protocol(3);
        w.map(2).set(3).nullBulk().nullArray().bool(false).doubleValue(1.5).doubleValue(Double.POSITIVE_INFINITY);
        assertEquals("%2\r\n~3\r\n_\r\n_\r\n#f\r\n,1.5\r\n,inf\r\n", s(w));
        assertThrows(IllegalArgumentException.class, () -> w.protocol(4));
    }

    @Test
    void textForPeopleIsAVerbatimStringInResp3AndABulkStringInResp2() {
        assertEquals("$10\r\n# Server\r\n\r\n", s(new ReplyWriter().verbatim("# Server\r\n")));
        ReplyWriter w = new ReplyWriter();
        w.protocol(3);
        assertEquals("=14\r\ntxt:# Server\r\n\r\n", s(w.verbatim("# Server\r\n")));
    }

    @Test
    void anErrorOfAClientsBytesKeepsThemAndIsOneLine() {
        byte[] m = {'E', 'R', 'R', ' ', (byte) 0xff, '\r', '\n', 'x'};
        assertEquals("-ERR \u00ff  x\r\n", s(new ReplyWriter().error(m)));
    }

    @Test
    void anErrorIsAlwaysOneLine() {
        assertEquals("-ERR a  b\r\n", s(new ReplyWriter().error("ERR a\r\nb")));
    }

    @Test
    void bulkStringsFromNativeMemoryAndLargeOnesGrowTheBuffer() {
        byte[] big = new byte[100_000];
        big[99_999] = 7;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(5);
            seg.copyFrom(MemorySegment.ofArray("hello".getBytes(StandardCharsets.US_ASCII)));
            ReplyWriter w = new ReplyWriter(16).bulk(seg).bulk(big);
            assertEquals("$5\r\nhello\r\n$100000\r\n", s(w).substring(0, 20));
            assertEquals(11 + 9 + 100_000 + 2, w.size());
            assertEquals(7, w.buffer()[w.size() - 3]);
        }
    }
}
