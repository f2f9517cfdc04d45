package io.rawio.engine;

/** A wrapper that injects nothing must behave exactly like the engine it wraps. */
class FaultInjectingEngineConformanceTest extends IoEngineConformanceTest {
    @Override
    protected IoEngine newEngine() {
        return new FaultInjectingEngine(new PsyncEngine(), FaultInjectingEngine.FaultConfig.none(1));
    }
}
