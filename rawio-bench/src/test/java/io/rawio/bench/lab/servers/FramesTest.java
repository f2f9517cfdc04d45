package io.rawio.bench.lab.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Requests split anywhere and pipelined get one answer each, in order, with their sequence number. */
class FramesTest {
    @Test
    void everySplitOfThreePipelinedRequests() {
        byte[] wire = new byte[3 * Frames.REQUEST_BYTES];
        for (int i = 0; i < 3; i++) {
            Frames.request(wire, i * Frames.REQUEST_BYTES, 100 + i);
        }
        for (int cut1 = 0; cut1 <= wire.length; cut1++) {
            for (int cut2 = cut1; cut2 <= wire.length; cut2++) {
                Frames f = new Frames();
                byte[] out = new byte[Frames.responseRoom(wire.length) * 3];
                int at = f.respond(wire, 0, cut1, out, 0);
                at = f.respond(wire, cut1, cut2 - cut1, out, at);
                at = f.respond(wire, cut2, wire.length - cut2, out, at);
                assertEquals(3 * Frames.RESPONSE_BYTES, at, "cuts " + cut1 + ", " + cut2);
                for (int i = 0; i < 3; i++) {
                    assertEquals(100L + i, (long) Frames.LONG.get(out, i * Frames.RESPONSE_BYTES));
                }
            }
        }
    }

    @Test
    void aResponseCarriesTheValue() {
        byte[] out = new byte[Frames.RESPONSE_BYTES];
        Frames.response(out, 0, 7);
        String value = new String(out, 8, Frames.RESPONSE_BYTES - 8, java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(true, value.startsWith("VALUE of key"), value);
        assertEquals(Frames.RESPONSE_BYTES, Frames.responseRoom(Frames.REQUEST_BYTES - 1));
    }
}
