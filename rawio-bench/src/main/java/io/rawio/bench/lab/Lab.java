package io.rawio.bench.lab;

import java.io.IOException;

/** One experiment: a question about I/O, answered on this machine with numbers and a chart. */
public interface Lab {
    /** The name on the command line ({@code buffer-size}). */
    String name();

    /** One line: the question the lab answers. */
    String summary();

    /** Runs the experiment; long work reports progress through the context. */
    LabResult run(LabContext context) throws IOException;
}
