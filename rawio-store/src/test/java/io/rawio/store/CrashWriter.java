package io.rawio.store;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The child process of {@link KillNineTest}: durable putMany loops, printing "ack KEY" for every key
 * of a batch once the batch is acknowledged, until it has written {@code maxKeys} keys; then it idles
 * until killed.
 */
public final class CrashWriter {
    private CrashWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        String prefix = args[1];
        int maxKeys = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        StoreOptions options = StoreTesting.psyncOptions().withDurability(StoreOptions.Durability.DURABLE)
                .withBatchSize(16).withCheckpointIntervalMs(50);
        SplittableRandom random = new SplittableRandom(prefix.hashCode());
        try (SlotStore store = SlotStore.open(path, options)) {
            out.println("open");
            out.flush();
            int written = 0;
            while (written < maxKeys) {
                int n = Math.min(1 + random.nextInt(24), maxKeys - written);
                List<byte[]> keys = new ArrayList<>();
                List<MemorySegment> values = new ArrayList<>();
                List<String> names = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String k = prefix + "-" + (written + i);
                    names.add(k);
                    keys.add(StoreTesting.key(k));
                    values.add(MemorySegment.ofArray(StoreTesting.valueFor(k, KillNineTest.MAX_VALUE)));
                }
                List<SlotStore.Result> results = store.putMany(keys, values);
                for (int i = 0; i < n; i++) {
                    if (results.get(i).ok()) {
                        out.println("ack " + names.get(i));
                    }
                }
                out.flush();
                written += n;
            }
            out.println("done");
            out.flush();
            Thread.sleep(60_000);
        }
    }
}
