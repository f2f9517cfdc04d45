package io.rawio.bench.run;

import io.rawio.engine.IoEngine;
import io.rawio.memory.BufferPool;

/** What the runner does to an engine before a job: register the job's buffers where it can. */
final class EngineHooks {
    private EngineHooks() {
    }

    static void prepare(IoEngine engine, BufferPool pool) {
        // Engines with registered buffers (uring-fixed) register the job's pools here.
    }
}
