package io.rawio.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.uring.IoUring;
import org.junit.jupiter.api.BeforeAll;

class UringEngineConformanceTest extends IoEngineConformanceTest {
    @BeforeAll
    static void ioUring() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    @Override
    protected IoEngine newEngine() {
        return new UringEngine(false, new EngineConfig(8));
    }
}
