package io.rawio.bench.lab.multiplex;

/** The active client's requests: fixed-size frames echoed back whole; the last starts with QUIT. */
final class Echo {
    private Echo() {
    }

    static final int REQUEST_BYTES = 16;
    static final byte REQUEST = 'R';
    static final byte QUIT = 'Q';
}
