package io.rawio.bench.run;

import io.rawio.engine.IoEngine;
import io.rawio.engine.UringEngine;
import io.rawio.memory.BufferPool;

/** What the runner does to an engine before a job: register the job's buffers where it can. */
final class EngineHooks {
    private EngineHooks() {
    }

    static void prepare(IoEngine engine, BufferPool pool) {
        engine.registerMemory(pool.region()); // pinned by engines that can (uring-fixed), ignored by others
    }

    /** What the engine changed while running (a refused registration), for the report. */
    static String notices(IoEngine engine) {
        if (engine instanceof UringEngine u && !u.notices().isEmpty()) {
            return String.join("; ", u.notices());
        }
        return null;
    }
}
