package io.rawio.bench.lab.servers;

import java.io.IOException;

/** One way to build the server, running inside a worker process ({@link ServerWorker}), one at a time. */
interface ServerModel {
    /**
     * Starts serving on 127.0.0.1 at {@code port} (0: a free one; with SO_REUSEPORT when the model's
     * listeners share it) and returns the port.
     */
    int start(int port, ServerCounters counters) throws IOException;

    /** Stops accepting and ends its threads; called once its connections have closed. */
    void stop();
}
