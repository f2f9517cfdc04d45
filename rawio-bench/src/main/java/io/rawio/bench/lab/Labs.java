package io.rawio.bench.lab;

import java.util.List;
import java.util.Optional;

/** The labs by name. */
public final class Labs {
    private static final List<Lab> ALL = List.of(new BufferSizeLab(), new SyncModesLab(), new ReadaheadLab(), new AsyncLab(), new WalLab(), new LockingLab(), new ZeroCopyLab(), new MmapLab(), new ScanLab(), new VectoredLab(), new FileSystemsLab(), new SchedulersLab(), new HugePagesLab(),
            new io.rawio.bench.lab.multiplex.MultiplexLab(), new io.rawio.bench.lab.servers.ServersLab());

    private Labs() {
    }

    public static List<Lab> all() {
        return ALL;
    }

    public static Optional<Lab> byName(String name) {
        return ALL.stream().filter(l -> l.name().equals(name)).findFirst();
    }
}
