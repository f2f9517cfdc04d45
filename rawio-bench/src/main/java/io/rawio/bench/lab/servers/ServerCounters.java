package io.rawio.bench.lab.servers;

import java.util.concurrent.atomic.LongAdder;

/** What a server model counts, from any of its threads: requests answered, connections open and accepted. */
final class ServerCounters {
    final LongAdder requests = new LongAdder();
    final LongAdder open = new LongAdder();
    final LongAdder accepted = new LongAdder();
    final LongAdder errors = new LongAdder();
}
