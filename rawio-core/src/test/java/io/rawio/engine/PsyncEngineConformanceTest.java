package io.rawio.engine;

class PsyncEngineConformanceTest extends IoEngineConformanceTest {
    @Override
    protected IoEngine newEngine() {
        return new PsyncEngine();
    }
}
