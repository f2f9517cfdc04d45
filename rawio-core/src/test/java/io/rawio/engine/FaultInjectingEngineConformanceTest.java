package io.rawio.engine;

/** With every fault off (and unflushed writes tracked), the wrapper must behave like the engine inside. */
class FaultInjectingEngineConformanceTest extends IoEngineConformanceTest {
    @Override
    protected IoEngine newEngine() {
        return new FaultInjectingEngine(new PsyncEngine(), FaultConfig.none(1).withTrackUnflushed(true));
    }
}
