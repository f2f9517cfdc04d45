package io.rawio.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Held completions come back whole and in order, also those added while they are handed over. */
class CqeStashTest {
    @Test
    void handsBackInOrderAndEmpties() {
        CqeStash s = new CqeStash();
        for (int i = 0; i < 200; i++) {
            s.completion(1L << 56 | i, -i, i * 3);
        }
        assertEquals(200, s.size());
        List<String> seen = new ArrayList<>();
        CqeStash[] self = {s};
        int n = s.drainTo((u, r, f) -> {
            seen.add((u & 0xffff) + ":" + r + ":" + f);
            if (u == (1L << 56 | 10)) {
                self[0].completion(7L << 56, 5, 1); // added while handed over: handed over too
            }
        });
        assertEquals(201, n);
        assertEquals("0:0:0", seen.getFirst());
        assertEquals("199:-199:597", seen.get(199));
        assertEquals("0:5:1", seen.get(200));
        assertEquals(0, s.size());
        assertEquals(0, s.drainTo((u, r, f) -> { throw new AssertionError(); }));
    }
}
