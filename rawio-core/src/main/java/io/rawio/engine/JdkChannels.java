package io.rawio.engine;

import com.sun.nio.file.ExtendedOpenOption;
import io.rawio.nativeio.Alignment;
import io.rawio.nativeio.NativeFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/** What the two java.nio engines (filechannel, asyncchannel) share: open options and the alignment they need. */
final class JdkChannels {
    private JdkChannels() {
    }

    /** The java.nio options for rawio's: READ, WRITE, DIRECT, SYNC/DSYNC (the file exists already). */
    static Set<OpenOption> openOptions(OpenOptions options) {
        Set<OpenOption> opts = new HashSet<>();
        opts.add(StandardOpenOption.READ);
        if (options.write()) {
            opts.add(StandardOpenOption.WRITE);
        }
        if (options.direct()) {
            opts.add(ExtendedOpenOption.DIRECT);
        }
        switch (options.sync()) {
            case SYNC -> opts.add(StandardOpenOption.SYNC);
            case DSYNC -> opts.add(StandardOpenOption.DSYNC);
            case NONE -> { }
        }
        return opts;
    }

    /**
     * With ExtendedOpenOption.DIRECT the JDK checks buffers, positions and lengths against the file
     * store's block size, which can be stricter than what the kernel needs (statx DIOALIGN).
     */
    static Alignment alignment(NativeFile file, OpenOptions options) throws IOException {
        Alignment alignment = file.alignment();
        if (!options.direct()) {
            return alignment;
        }
        int a = (int) Math.max(alignment.max(), Files.getFileStore(file.path()).getBlockSize());
        return new Alignment(a, a, alignment.source() + ", raised to the file store block size for java.nio");
    }
}
