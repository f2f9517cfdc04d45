package io.rawio.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;

class PosixAioEngineConformanceTest extends IoEngineConformanceTest {
    @BeforeAll
    static void posixAioAvailable() {
        assumeTrue(PosixAioEngine.unavailableReason().isEmpty(),
                () -> "POSIX AIO unavailable: " + PosixAioEngine.unavailableReason().orElse(""));
    }

    @Override
    protected IoEngine newEngine() {
        return new PosixAioEngine(new EngineConfig(8));
    }
}
