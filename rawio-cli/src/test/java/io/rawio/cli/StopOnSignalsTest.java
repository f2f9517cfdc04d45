package io.rawio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * On SIGWINCH here (whose default action is to ignore it: the test JVM must not get a SIGTERM): the
 * first signal runs the stop action and puts the previous handling back, so a second one does not run
 * it again; closing puts it back too.
 */
class StopOnSignalsTest {
    /** SIGWINCH to this JVM from outside, as a terminal or kill(1) sends it (Signal.raise only reaches Java handlers). */
    private static void winch() throws Exception {
        Process p = new ProcessBuilder("kill", "-s", "WINCH", Long.toString(ProcessHandle.current().pid())).start();
        assertEquals(0, p.waitFor(), "kill -s WINCH");
    }

    @Test
    void theFirstSignalStopsAndASecondIsTheJvmsAgain() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicInteger stops = new AtomicInteger();
        try (StopOnSignals s = new StopOnSignals(() -> {
            stops.incrementAndGet();
            stopped.countDown();
        }, "WINCH")) {
            assumeTrue(s.taken() == 1, "SIGWINCH cannot be handled here");
            winch();
            assertTrue(stopped.await(10, TimeUnit.SECONDS), "the stop action ran");
            winch(); // the previous handling: ignored
            Thread.sleep(300);
        }
        assertEquals(1, stops.get(), "the second signal did not run the stop action");
    }

    @Test
    void afterCloseASignalDoesNotStop() throws Exception {
        AtomicInteger stops = new AtomicInteger();
        try (StopOnSignals s = new StopOnSignals(stops::incrementAndGet, "WINCH")) {
            assumeTrue(s.taken() == 1, "SIGWINCH cannot be handled here");
        }
        winch();
        Thread.sleep(300);
        assertEquals(0, stops.get());
    }
}
