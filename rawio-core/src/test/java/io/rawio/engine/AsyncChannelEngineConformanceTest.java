package io.rawio.engine;

class AioEngineConformanceTest extends IoEngineConformanceTest {
    @Override
    protected IoEngine newEngine() {
        return new AsyncChannelEngine();
    }
}
