package io.rawio.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Descriptors;
import io.rawio.nativeio.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** select(2) over loopback sockets: which one is readable, timeouts, and the FD_SETSIZE wall. */
@Timeout(30)
class SelectTest {
    @Test
    void fdSetBitsAreGlibcs() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = a.allocate(FdSetDescriptor.SIZE, 8);
            assertEquals(128, FdSetDescriptor.SIZE);
            FdSetDescriptor.zero(set);
            FdSetDescriptor.set(set, 0);
            FdSetDescriptor.set(set, 65);
            FdSetDescriptor.set(set, 1023);
            assertEquals(1L, set.get(ValueLayout.JAVA_LONG, 0), "fd 0: bit 0 of long 0");
            assertEquals(2L, set.get(ValueLayout.JAVA_LONG, 8), "fd 65: bit 1 of long 1");
            assertEquals(Long.MIN_VALUE, set.get(ValueLayout.JAVA_LONG, 120), "fd 1023: bit 63 of long 15");
            assertTrue(FdSetDescriptor.isSet(set, 65) && !FdSetDescriptor.isSet(set, 64));
            FdSetDescriptor.clear(set, 65);
            assertFalse(FdSetDescriptor.isSet(set, 65));
            assertFalse(FdSetDescriptor.isSet(set, 5000), "no bit: never set");
        }
    }

    @Test
    void theReadableSocketAmongIdleOnes() throws Exception {
        int listen = LoopbackPair.listener();
        List<LoopbackPair> pairs = new ArrayList<>();
        try (Select select = new Select()) {
            for (int i = 0; i < 20; i++) {
                pairs.add(LoopbackPair.open(listen));
                select.add(pairs.get(i).server);
            }
            assertEquals(20, select.watched());
            assertEquals(0, select.await(0), "nothing to read yet: timeout 0 returns at once");
            long t0 = System.nanoTime();
            assertEquals(0, select.await(20_000), "a 20 ms timeout");
            assertTrue(System.nanoTime() - t0 >= 15_000_000L, "waited for it");
            pairs.get(13).send("x");
            assertEquals(1, select.await(5_000_000));
            for (int i = 0; i < 20; i++) {
                assertEquals(i == 13, select.isReady(pairs.get(i).server), "pair " + i);
            }
            // Level-triggered: unread, it is still ready; the interest set survived the last call.
            assertEquals(1, select.await(0));
            select.remove(pairs.get(13).server);
            assertEquals(0, select.await(0), "no longer watched");
            assertEquals(19, select.watched());
        } finally {
            for (LoopbackPair p : pairs) {
                p.close();
            }
            Sockets.close(listen);
        }
    }

    @Test
    void aDescriptorAboveFdSetsizeIsRefusedWithTheReason() throws Exception {
        int listen = LoopbackPair.listener();
        try (LoopbackPair pair = LoopbackPair.open(listen); Select select = new Select()) {
            int high = Descriptors.dupAtLeast(pair.server, FdSetDescriptor.FD_SETSIZE + 5);
            assumeTrue(high >= 0, "cannot have a descriptor past 1024 here (RLIMIT_NOFILE): " + high);
            try {
                assertTrue(high >= FdSetDescriptor.FD_SETSIZE, "moved: " + high);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> select.add(high));
                assertTrue(e.getMessage().contains("FD_SETSIZE=1024") && e.getMessage().contains("fd=" + high),
                        e.getMessage());
                assertEquals(0, select.watched(), "nothing half-added");
                assertNull(FdSetDescriptor.refusal(1023));
                // poll takes the same descriptor
                try (Poll poll = new Poll(1)) {
                    poll.add(high, NetConstants.POLLIN);
                    pair.send("y");
                    assertEquals(1, poll.await(5000));
                    assertEquals(NetConstants.POLLIN, poll.revents(0) & NetConstants.POLLIN);
                }
            } finally {
                Libc.close(high);
            }
        } finally {
            Sockets.close(listen);
        }
    }
}
