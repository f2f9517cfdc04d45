package io.rawio.engine;

class PvsyncEngineConformanceTest extends IoEngineConformanceTest {
    @Override
    protected IoEngine newEngine() {
        return new PvsyncEngine();
    }
}
