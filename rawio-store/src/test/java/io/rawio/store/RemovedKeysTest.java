package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RemovedKeysTest {
    private static byte[] k(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRemovalWithNothingInFlightIsNotKept() {
        RemovedKeys r = new RemovedKeys(true);
        r.removed(k("a"), 5, 10);
        assertEquals(0, r.size());
        assertTrue(r.live().isEmpty());
    }

    @Test
    void aRemovalStaysWhileAChunkPlannedBeforeItIsInFlight() {
        RemovedKeys r = new RemovedKeys(true);
        r.chunkPlanned(10);
        r.removed(k("a"), 7, 12);
        r.removed(k("bb"), 9, 13);
        List<RemovedKeys.Removal> live = r.live();
        assertEquals(2, live.size());
        assertEquals(7, live.get(0).version());
        assertEquals(3, r.keyBytes());
        r.chunkLeft(10);
        assertEquals(0, r.size());
        assertEquals(0, r.keyBytes());
    }

    @Test
    void removalsOlderThanTheOldestChunkStillInFlightGo() {
        RemovedKeys r = new RemovedKeys(true);
        r.chunkPlanned(10);
        r.removed(k("a"), 1, 11);
        r.chunkPlanned(20);
        r.chunkPlanned(20);
        r.removed(k("b"), 2, 21);
        r.chunkLeft(10);   // the oldest left: "a" was removed before every chunk still in flight
        assertEquals(List.of("b"), r.live().stream().map(x -> new String(x.key(), StandardCharsets.UTF_8)).toList());
        r.chunkLeft(20);   // one of two chunks planned at 20 is still in flight
        assertEquals(1, r.size());
        r.chunkLeft(20);
        assertEquals(0, r.size());
    }

    @Test
    void theCallersArrayCanBeReusedAfterwards() {
        RemovedKeys r = new RemovedKeys(true);
        r.chunkPlanned(1);
        byte[] key = k("a");
        r.removed(key, 1, 2);
        key[0] = 'b';
        assertEquals("a", new String(r.live().getFirst().key(), StandardCharsets.UTF_8));
    }

    @Test
    void aStoreOfOneClassKeepsNothing() {
        RemovedKeys r = new RemovedKeys(false);
        r.chunkPlanned(1);
        r.removed(k("a"), 1, 2);
        assertEquals(0, r.size());
    }
}
