package io.rawio.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.libaio.AioContext;
import org.junit.jupiter.api.BeforeAll;

class LibaioEngineConformanceTest extends IoEngineConformanceTest {
    @BeforeAll
    static void nativeAio() {
        assumeTrue(AioContext.available(), () -> "native AIO unavailable: " + AioContext.unavailableReason().orElse(""));
    }

    @Override
    protected IoEngine newEngine() {
        return new LibaioEngine(new EngineConfig(8));
    }
}
