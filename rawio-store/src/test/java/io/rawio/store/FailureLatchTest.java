package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class FailureLatchTest {
    final Path path = Path.of("/data/kv.store");

    @Test
    void theFirstFailureWinsAndEachCallerGetsItsOwn() {
        FailureLatch l = new FailureLatch(path);
        assertFalse(l.isSet());
        assertNull(l.get());
        StoreException.Failed a = l.fail("write", "EIO: Input/output error", new IOException("eio"));
        StoreException.Failed b = l.fail("checkpoint write", "ENOSPC", new IOException("enospc"));
        assertTrue(l.isSet());
        assertSame(a, l.get(), "the first failure stands");
        assertEquals("write failed on /data/kv.store: EIO: Input/output error", a.getMessage());
        assertEquals("checkpoint write failed on /data/kv.store: ENOSPC", b.getMessage(), "one message shape");
        StoreException.Failed thrown = assertThrows(StoreException.Failed.class, l::throwIfSet);
        assertSame(a, thrown);
        assertTrue(l.refusal().startsWith("store refuses writes after an earlier write error (reopen it): write failed"),
                l.refusal());
    }

    @Test
    void manyThreadsFailingAtOnceLeaveExactlyOneFirst() throws Exception {
        FailureLatch l = new FailureLatch(path);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<StoreException.Failed> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 8; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                seen.add(l.fail("write", "t" + id, null));
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(8, seen.size());
        assertEquals(1, seen.stream().filter(f -> f == l.get()).count(), "exactly one of them is the latched one");
    }
}
