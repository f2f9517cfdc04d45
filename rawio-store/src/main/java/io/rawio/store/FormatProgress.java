package io.rawio.store;

/** Told how far {@link Preallocation#WRITE_ZEROS} has come, after every few MiB. */
@FunctionalInterface
public interface FormatProgress {
    FormatProgress NONE = (done, total) -> { };

    void written(long done, long total);
}
