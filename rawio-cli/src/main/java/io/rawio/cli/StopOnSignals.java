package io.rawio.cli;

import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While open, SIGTERM and SIGINT run a stop action instead of the JVM's shutdown, so that a server stops
 * as SHUTDOWN stops it and its command returns (exit 0) once the store is closed, as redis-server does;
 * through the JVM's own handling it would exit 143 or 130. The first signal also puts the JVM's handler
 * back, so a second one (a stop that hangs) takes the JVM's way out: its shutdown hooks, then exit.
 * {@link #close()} puts the JVM's handlers back too, so nothing outlives the command in a JVM that goes
 * on (tests run serve in-process). Where a signal cannot be taken (the JVM runs with -Xrs, say) the
 * JVM's shutdown hooks see to it, as before.
 */
final class StopOnSignals implements AutoCloseable {
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    StopOnSignals(Runnable stop, String... names) {
        for (String name : names) {
            Signal s = new Signal(name);
            int at = signals.size();
            try {
                SignalHandler before = Signal.handle(s, got -> {
                    restore(at); // a second signal: the JVM's own handling
                    stop.run();
                });
                signals.add(s);
                previous.add(before);
            } catch (IllegalArgumentException taken) {
                // the JVM keeps this signal: its shutdown hooks stop the server
            }
        }
    }

    /** How many of the signals named are handled here (the others stay the JVM's). */
    int taken() {
        return signals.size();
    }

    private synchronized void restore(int i) {
        SignalHandler h = previous.get(i);
        if (h != null) {
            previous.set(i, null);
            Signal.handle(signals.get(i), h);
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) {
            restore(i);
        }
    }
}
