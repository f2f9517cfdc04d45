package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.engine.IoEngine;
import io.rawio.engine.IoFile;
import io.rawio.engine.IoOp;
import io.rawio.engine.OpenOptions;
import java.io.IOException;
import java.nio.file.Path;

/** An engine that passes everything to another; the store tests' wrappers override what they change. */
abstract class DelegatingEngine implements IoEngine {
    final IoEngine inner;

    DelegatingEngine(IoEngine inner) {
        this.inner = inner;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public boolean supportsDirect() {
        return inner.supportsDirect();
    }

    @Override
    public IoFile open(Path path, OpenOptions options) throws IOException {
        return inner.open(path, options);
    }

    @Override
    public void execute(IoBatch batch) {
        inner.execute(batch);
    }

    @Override
    public boolean preparesLazily() {
        return inner.preparesLazily();
    }

    @Override
    public boolean worksOnCallerThreads() {
        return inner.worksOnCallerThreads();
    }

    @Override
    public String failureHint(IoOp op, int errno) {
        return inner.failureHint(op, errno);
    }

    @Override
    public long syscalls() {
        return inner.syscalls();
    }

    @Override
    public void close() {
        inner.close();
    }
}
