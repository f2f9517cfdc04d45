package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rawio.server.resp.RequestArgs;
import io.rawio.server.resp.RequestParser;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A SET's value is a view into the query buffer, and the io_uring loop's putMany may read it after the
 * request ran (its writes still in flight): while the connection has writes in flight, the bytes that
 * arrive next never land over it, whether the buffer was all consumed (it would start again at 0),
 * compacted to make room, or the connection closed.
 */
class QueryBufferViewsTest {
    private static void feed(Connection c, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        c.received(MemorySegment.ofArray(b), 0, b.length);
    }

    private static String set(String key, String value) {
        return "*3\r\n$3\r\nSET\r\n$" + key.length() + "\r\n" + key + "\r\n$" + value.length() + "\r\n" + value + "\r\n";
    }

    private static String text(MemorySegment m) {
        return new String(m.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @ValueSource(strings = {"consumed", "compacted", "closed"})
    void aValueBeingWrittenKeepsItsBytes(String then) {
        Connection c = new Connection(-1, 1L << 30, null);
        RequestParser p = new RequestParser(1L << 20);
        String v = "a".repeat(9000);
        // A partial request after the SET: compacting moves it to the start of the buffer.
        feed(c, set("k", v) + (then.equals("compacted") ? "*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$9000\r\n" : ""));
        c.parse(p);
        List<byte[]> r = c.peek();
        MemorySegment value = ((RequestArgs) r).segment(2);
        c.take();
        c.writesInFlight++; // the putMany reading it is in flight
        if (then.equals("closed")) {
            c.closeSoon();
        }
        for (int i = 0; i < 4; i++) {
            feed(c, "b".repeat(12_000)); // enough to need room, or to start the buffer again
        }
        String got = text(value);
        assertEquals(-1, java.util.Arrays.mismatch(v.getBytes(StandardCharsets.US_ASCII),
                got.getBytes(StandardCharsets.US_ASCII)), "the value in flight changed after " + then
                + ": first difference at the index given");
    }
}
