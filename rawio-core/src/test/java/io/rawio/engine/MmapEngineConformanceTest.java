package io.rawio.engine;

class MmapEngineConformanceTest extends IoEngineConformanceTest {
    @Override
    protected IoEngine newEngine() {
        return new MmapEngine();
    }
}
