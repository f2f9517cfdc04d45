package io.rawio.cli.store;

import io.rawio.bench.store.StoreBench;
import io.rawio.store.StoreOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rawio store bench}: the options of a {@link StoreBench} run, and its result printed as text or JSON. */
@Command(name = "bench", description = "Measure putMany/getMany throughput and per-key latency on a store.")
final class StoreBenchCommand extends StoreCommand.Sub {
    @Option(names = "--op", paramLabel = "OP", defaultValue = "put", description = "put, get or mixed (default: ${DEFAULT-VALUE})")
    String op;

    @Option(names = "--value-size", paramLabel = "SIZE", defaultValue = "4k", description = "Value size (default: ${DEFAULT-VALUE})")
    String valueSize;

    @Option(names = "--count", paramLabel = "N", defaultValue = "10000", description = "Keys (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64", description = "Keys per batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--per-call", paramLabel = "N", defaultValue = "0",
            description = "Keys per putMany/getMany call (default: --batch); more than --batch lets the store keep"
                    + " --batch operations in flight across the call. Latency is per call.")
    int perCall;

    @Option(names = "--order", paramLabel = "ORDER", defaultValue = "random",
            description = "Order of the keys read: random (a fixed shuffle; the slots read are scattered over the"
                    + " device, as fio's randread) or sequential (the order they were written, so slots are read"
                    + " in device order) (default: ${DEFAULT-VALUE})")
    String order;

    @Option(names = "--read", paramLabel = "HOW", defaultValue = "copy",
            description = "How a get hands over its value: copy (getMany: a new byte array per value) or lease"
                    + " (getManyLeases: the buffer the read landed in, no copy; what a server sending values to a"
                    + " socket uses) (default: ${DEFAULT-VALUE})")
    String read;

    @Option(names = "--warmup", paramLabel = "PASSES", defaultValue = "0",
            description = "Untimed passes of the gets over the same keys before the timed one, so the JIT has"
                    + " compiled the read path (--op=get only; default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--durability", paramLabel = "MODE", defaultValue = "none", description = "none or durable (default: ${DEFAULT-VALUE})")
    String durability;

    @Option(names = "--output-format", paramLabel = "FMT", defaultValue = "text", description = "text or json")
    String outputFormat;

    @Override
    int run(PrintWriter out) throws IOException {
        long vs = StoreCommand.parseSize("--value-size", valueSize);
        if (!List.of("put", "get", "mixed").contains(op)) {
            throw new StoreCommand.BadArgument("unknown --op: " + op + " (put, get, mixed)");
        }
        if (count < 1 || batch < 1 || batch > StoreOptions.MAX_BATCH || perCall < 0) {
            throw new StoreCommand.BadArgument("--count must be positive and --batch between 1 and " + StoreOptions.MAX_BATCH);
        }
        if (!List.of("random", "sequential").contains(order)) {
            throw new StoreCommand.BadArgument("unknown --order: " + order + " (random, sequential)");
        }
        if (warmup < 0 || (warmup > 0 && !op.equals("get"))) {
            throw new StoreCommand.BadArgument("--warmup is a number of passes, for --op=get only: " + warmup);
        }
        if (!List.of("copy", "lease").contains(read)) {
            throw new StoreCommand.BadArgument("unknown --read: " + read + " (copy, lease)");
        }
        if (!List.of("text", "json").contains(outputFormat)) {
            throw new StoreCommand.BadArgument("unknown --output-format: " + outputFormat + " (text, json)");
        }
        StoreOptions o = common.options().withDurability(StoreCommand.durability(durability));
        StoreBench.Spec spec = new StoreBench.Spec(StoreBench.Op.valueOf(op.toUpperCase(Locale.ROOT)), vs, count,
                batch, perCall, StoreBench.Order.valueOf(order.toUpperCase(Locale.ROOT)),
                StoreBench.Read.valueOf(read.toUpperCase(Locale.ROOT)), warmup);
        StoreBench.Result r = StoreBench.run(path, o, spec);
        if (outputFormat.equals("json")) {
            out.println(r.toJson().toPrettyString());
        } else {
            r.print(out);
        }
        return 0;
    }
}
