package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.server.resp.RequestParser;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Review: what a few bytes of header make a connection reserve. */
/** A request's header alone never makes the query buffer reserve what it announces. */
class QueryBufferGrowthTest {
    private static void feed(Connection c, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        c.received(MemorySegment.ofArray(b), 0, b.length);
    }

    private static int queryCapacity(Connection c) throws Exception {
        var f = Connection.class.getDeclaredField("in");
        f.setAccessible(true);
        return ((byte[]) f.get(c)).length;
    }

    @Test
    void aBulkHeaderAloneReservesTheWholeDeclaredLength() throws Exception {
        Connection c = new Connection(-1, 1L << 30, null);
        RequestParser p = new RequestParser(256L << 20);
        feed(c, "*1\r\n$268435456\r\n"); // 17 bytes
        c.parse(p);
        feed(c, "x"); // one more byte
        assertTrue(queryCapacity(c) < 1 << 20, "query buffer after 18 bytes: " + queryCapacity(c));
    }

    @Test
    void aMultibulkCountAloneReservesSixBytesPerArgument() throws Exception {
        Connection c = new Connection(-1, 1L << 30, null);
        RequestParser p = new RequestParser(4L << 20);
        feed(c, "*1048576\r\n"); // 10 bytes, any maxBulk
        c.parse(p);
        feed(c, "$");
        assertTrue(queryCapacity(c) < 1 << 20, "query buffer after 11 bytes: " + queryCapacity(c));
    }
}
