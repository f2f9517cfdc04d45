package io.rawio.bench.run;

/** A job that could not run or failed while running; the message is one line for the user. */
public final class BenchException extends RuntimeException {
    public BenchException(String message) {
        super(message);
    }

    public BenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
