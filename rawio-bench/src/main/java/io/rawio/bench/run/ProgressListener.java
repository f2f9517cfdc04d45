package io.rawio.bench.run;

/** Told about a running job about once a second. */
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() {
    };

    /** Laying out the file: {@code done} of {@code total} bytes written. */
    default void layout(long done, long total) {
    }

    /** {@code ios} completed in the last interval; {@code elapsedNs} of {@code runtimeNs} (0 if unbounded). */
    default void progress(String engine, long elapsedNs, long runtimeNs, double currentIops) {
    }

    default void done() {
    }
}
