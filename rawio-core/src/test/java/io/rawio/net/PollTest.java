package io.rawio.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.nativeio.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** poll(2) over loopback sockets: readiness, hang-up, and an entry skipped by a negative descriptor. */
@Timeout(30)
class PollTest {
    @Test
    void readableAndHungUpAmongIdleOnes() throws Exception {
        int listen = LoopbackPair.listener();
        List<LoopbackPair> pairs = new ArrayList<>();
        try (Poll poll = new Poll(32)) {
            for (int i = 0; i < 10; i++) {
                pairs.add(LoopbackPair.open(listen));
                assertEquals(i, poll.add(pairs.get(i).server, (short) (NetConstants.POLLIN | NetConstants.POLLRDHUP)));
            }
            assertEquals(10, poll.count());
            assertEquals(0, poll.await(0));
            pairs.get(2).send("ping");
            pairs.get(7).client.close();
            int n = 0;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (n < 2 && System.nanoTime() < deadline) {
                n = poll.await(1000);
            }
            assertEquals(2, n);
            assertEquals(NetConstants.POLLIN, poll.revents(2));
            assertTrue((poll.revents(7) & NetConstants.POLLRDHUP) != 0, "peer closed: " + poll.revents(7));
            for (int i : new int[] {0, 1, 3, 9}) {
                assertEquals(0, poll.revents(i), "idle " + i);
            }
            assertEquals(pairs.get(2).server, poll.fd(2));
            // The readable socket's bytes: a non-blocking recv takes them, then finds none (EAGAIN).
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(64);
                assertEquals(4, Sockets.recv(pairs.get(2).server, buf, 64, 0));
                assertEquals(-Errno.EAGAIN, Sockets.recv(pairs.get(2).server, buf, 64, 0));
            }
        } finally {
            for (LoopbackPair p : pairs) {
                p.close();
            }
            Sockets.close(listen);
        }
    }

    @Test
    void negativeDescriptorsAreSkippedAndTheSetHasRoomLimits() {
        try (Poll poll = new Poll(2)) {
            poll.add(-1, NetConstants.POLLIN);
            assertEquals(0, poll.await(0), "an entry with fd -1 is ignored");
            assertEquals(0, poll.revents(0));
            poll.add(-1, NetConstants.POLLIN);
            assertThrows(IllegalStateException.class, () -> poll.add(0, NetConstants.POLLIN));
            poll.clear();
            assertEquals(0, poll.count());
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(PollfdDescriptor.SIZE, 4);
            PollfdDescriptor.set(fds, 0, 12345, NetConstants.POLLIN);
            assertEquals(1, Poll.poll(fds, 1, 0), "a descriptor that is not open");
            assertEquals(NetConstants.POLLNVAL, PollfdDescriptor.revents(fds, 0));
        }
    }
}
