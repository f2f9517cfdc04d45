package io.rawio.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.uring.IoUring;
import org.junit.jupiter.api.BeforeAll;

/**
 * With every fault off, the wrapper around io_uring must behave like io_uring, preparers and completers
 * running as operations are issued and complete included.
 */
class FaultInjectingUringEngineConformanceTest extends IoEngineConformanceTest {
    @BeforeAll
    static void ioUring() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    @Override
    protected IoEngine newEngine() {
        return new FaultInjectingEngine(new UringEngine(false, new EngineConfig(8)),
                FaultConfig.none(1).withTrackUnflushed(true));
    }
}
