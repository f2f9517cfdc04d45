package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sweep empties the expiry table in entry order while the table halves under it: the keys left must
 * stay as sparse as they were. With homes from the hash's top bits each halving packed them into a
 * quarter of their room, their probe runs joined, and every lookup and deletion walked thousands of
 * entries (a sweep of a million expired keys took seconds a call).
 */
class ExpiriesSweepTest {
    @Test
    void theKeysLeftStaySparseAsTheSweepEmptiesTheTable() {
        Expiries e = new Expiries(Map.of(), InstantSource.fixed(Instant.ofEpochMilli(1_000)));
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            e.set(("key" + i).getBytes(StandardCharsets.UTF_8), 500); // expired at 1,000
        }
        int cursor = 0;
        int worst = e.longestRun();
        int rounds = 0;
        while (!e.isEmpty() && rounds++ < 10_000) {
            List<byte[]> gone = new ArrayList<>();
            cursor = e.expiredFrom(cursor, 4_096, 1_000, gone);
            for (byte[] k : gone) {
                e.forget(k);
            }
            worst = Math.max(worst, e.longestRun());
        }
        assertEquals(0, e.size(), "every expired key swept");
        assertTrue(worst < 200, "the longest probe run while the table emptied: " + worst);
    }
}
