package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The replies of a connection go out in its commands' order, heap and device replies interleaved. */
class ReplyQueueTest {

    private static DeviceReply deviceReply(String bytes) {
        DeviceReply r = new DeviceReply(-1, null);
        r.piece(MemorySegment.ofArray(bytes.getBytes(StandardCharsets.US_ASCII)));
        return r;
    }

    /** What a loop sending heap and device replies with one sendmsg would send next, {@code max} bytes at most. */
    private static byte[] nextBytes(ReplyQueue q, int max) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int heapFrom = q.sentOffset();
        for (DeviceReply r : q.deferred) {
            if (heapFrom < r.at) {
                b.write(q.out.buffer(), heapFrom, (int) r.at - heapFrom);
                heapFrom = (int) r.at;
            }
            if (!r.done) {
                return cut(b.toByteArray(), max);
            }
            long skip = r.sent;
            for (int i = 0; i < r.pieceCount; i++) {
                byte[] p = r.pieces[i].toArray(ValueLayout.JAVA_BYTE);
                int from = (int) Math.min(skip, p.length);
                skip -= from;
                b.write(p, from, p.length - from);
            }
        }
        b.write(q.out.buffer(), heapFrom, q.out.size() - heapFrom);
        return cut(b.toByteArray(), max);
    }

    private static byte[] cut(byte[] b, int max) {
        return Arrays.copyOf(b, Math.min(b.length, max));
    }

    @Test
    void heapAndDeviceRepliesGoOutInCommandOrderWhateverTheSendSizes() {
        for (int chunk = 1; chunk <= 40; chunk++) {
            ReplyQueue q = new ReplyQueue(null);
            q.out.ok();
            DeviceReply first = deviceReply("$3\r\nabc\r\n");
            q.defer(first);
            q.out.integer(7);
            DeviceReply second = deviceReply("$1\r\nz\r\n");
            q.defer(second);
            q.out.nullBulk();
            first.done = true;
            second.done = true;
            String expected = "+OK\r\n$3\r\nabc\r\n:7\r\n$1\r\nz\r\n$-1\r\n";
            assertEquals(expected.length(), q.unsentBytes());

            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            List<DeviceReply> whole = new ArrayList<>();
            while (q.hasUnsent()) {
                byte[] b = nextBytes(q, chunk);
                assertTrue(b.length > 0, "nothing to send while replies wait");
                wire.writeBytes(b);
                q.sentStream(b.length, whole::add);
            }
            assertEquals(expected, wire.toString(StandardCharsets.US_ASCII), "send size " + chunk);
            assertEquals(List.of(first, second), whole);
            assertEquals(0, q.unsentBytes());
            assertEquals(0, q.out.size(), "the heap buffer starts again once all is sent");
        }
    }

    @Test
    void nothingAfterADeviceReplyGoesOutBeforeItsBytesAreKnown() {
        ReplyQueue q = new ReplyQueue(null);
        q.out.ok();
        DeviceReply pending = deviceReply("$1\r\nv\r\n");
        q.defer(pending);
        q.out.ok();
        assertArrayEquals("+OK\r\n".getBytes(StandardCharsets.US_ASCII), nextBytes(q, 100));
        q.sentStream(5, r -> { });
        assertTrue(q.hasUnsent());
        assertEquals(5, q.sentOffset());
        assertEquals(5, pending.at, "a heap reply after it is unsent: the buffer keeps its bytes and positions");
        assertThrows(IllegalStateException.class, () -> q.sentStream(1, r -> { }),
                "a byte counted as sent past a device reply whose bytes are not known");
        pending.done = true;
        q.sentStream(7 + 5, r -> { });
        assertFalse(q.hasUnsent());
        assertEquals(0, q.out.size());
    }

    @Test
    void sentBytesAndUnsentIntoCopyTheHeapRepliesFromTheFirstUnsent() {
        Session session = new Session(true);
        session.lastActiveMs = 0;
        ReplyQueue q = new ReplyQueue(session);
        q.out.ok();
        q.out.integer(12);
        MemorySegment to = MemorySegment.ofArray(new byte[4]);
        int n = q.unsentInto(to);
        assertEquals(4, n);
        assertEquals("+OK\r", new String(to.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
        q.sentBytes(n);
        assertTrue(session.lastActiveMs > 0, "sending counts as the client's activity");
        assertEquals(6, q.heapUnsent());
        MemorySegment rest = MemorySegment.ofArray(new byte[64]);
        n = q.unsentInto(rest);
        assertEquals("\n:12\r\n", new String(rest.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII));
        q.sentBytes(n);
        assertFalse(q.hasUnsent());
        assertEquals(0, q.sentOffset());
    }
}
