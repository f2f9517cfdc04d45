package io.rawio.engine;

class FileChannelEngineConformanceTest extends IoEngineConformanceTest {
    @Override
    protected IoEngine newEngine() {
        return new FileChannelEngine();
    }
}
