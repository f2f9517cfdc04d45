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
 *
 * <p>With the arguments {@code classes BUDGETS KEYS ROUND} (a store of several slot classes) it
 * overwrites keys {@code m-0 .. m-(KEYS-1)} with values of random sizes from 0 bytes to the largest
 * class, so keys move class, some batches with an expiry {@link #EXPIRY_MS} ahead. Before a batch
 * goes to the store it prints {@code try KEY GEN LENGTH EXPIRY .} for each key, and once the batch is
 * acknowledged {@code ack KEY GEN .}; the value of a write follows from its key, generation and
 * length ({@link #value}). It stops writing to a class once {@code BUDGETS} (one count per class,
 * comma-separated) writes went there, so no ring comes round and nothing acknowledged is evicted.
 *
 * <p>The store is opened with the psync engine, or the one {@code -Drawio.crashWriter.engine} names
 * (uring-cmd on an NVMe generic device in {@link NvmeGuestChecks}).
 */
public final class CrashWriter {
    private CrashWriter() {
    }

    /** The system property naming the engine the store is opened with (default psync). */
    static final String ENGINE_PROPERTY = "rawio.crashWriter.engine";

    /** How far ahead an expiring batch expires. */
    static final long EXPIRY_MS = 200;

    public static void main(String[] args) throws Exception {
        if (args.length > 3 && args[3].equals("classes")) {
            mixedClasses(Path.of(args[0]), args[4], Integer.parseInt(args[5]), Integer.parseInt(args[6]));
            return;
        }
        Path path = Path.of(args[0]);
        String prefix = args[1];
        int maxKeys = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        StoreOptions options = StoreTesting.psyncOptions().withEngine(System.getProperty(ENGINE_PROPERTY, "psync"))
                .withDurability(StoreOptions.Durability.DURABLE).withBatchSize(16).withCheckpointIntervalMs(50);
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

    /** The value of write {@code gen} of {@code key}: {@code length} bytes that only that write has. */
    static byte[] value(String key, long gen, int length) {
        SplittableRandom r = new SplittableRandom(key.hashCode() * 0x9e3779b97f4a7c15L + gen);
        byte[] v = new byte[length];
        for (int i = 0; i < length; i += 8) {
            long x = r.nextLong();
            for (int j = 0; j < 8 && i + j < length; j++) {
                v[i + j] = (byte) (x >>> (8 * j));
            }
        }
        return v;
    }

    /** The largest value a key of {@code keyLength} bytes can have in slots of {@code slotSize} bytes. */
    static long classMax(int keyLength, long slotSize) {
        long lo = 0;
        long hi = slotSize;
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            if (SlotDescriptor.usedBytes(keyLength, mid, slotSize) <= slotSize) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static void mixedClasses(Path path, String budgetArg, int keySpace, int round) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        StoreOptions options = StoreTesting.psyncOptions().withDurability(StoreOptions.Durability.DURABLE)
                .withBatchSize(16).withCheckpointIntervalMs(50);
        String[] b = budgetArg.split(",");
        long[] budget = new long[b.length];
        for (int c = 0; c < b.length; c++) {
            budget[c] = Long.parseLong(b[c]);
        }
        SplittableRandom random = new SplittableRandom(31L * round + 7);
        long gen = (long) round << 32;
        try (SlotStore store = SlotStore.open(path, options)) {
            List<Long> slotSizes = new ArrayList<>();
            for (ClassStats cs : store.classStats()) {
                slotSizes.add(cs.slotSize());
            }
            out.println("open");
            out.flush();
            while (true) {
                int n = 1 + random.nextInt(24);
                long expiry = random.nextInt(6) == 0 ? System.currentTimeMillis() + EXPIRY_MS : 0;
                List<byte[]> keys = new ArrayList<>();
                List<MemorySegment> values = new ArrayList<>();
                List<String> acks = new ArrayList<>();
                StringBuilder tries = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    List<Integer> open = new ArrayList<>();
                    for (int c = 0; c < budget.length; c++) {
                        if (budget[c] > 0) {
                            open.add(c);
                        }
                    }
                    if (open.isEmpty()) {
                        break;
                    }
                    int c = open.get(random.nextInt(open.size()));
                    budget[c]--;
                    String k = "m-" + random.nextInt(keySpace);
                    int kl = StoreTesting.key(k).length;
                    long max = classMax(kl, slotSizes.get(c));
                    long min = c == 0 ? 0 : classMax(kl, slotSizes.get(c - 1)) + 1;
                    int pick = random.nextInt(8);
                    int length = (int) (pick == 0 ? min : pick == 1 ? max : random.nextLong(min, max + 1));
                    long g = gen++;
                    keys.add(StoreTesting.key(k));
                    values.add(MemorySegment.ofArray(value(k, g, length)));
                    tries.append("try ").append(k).append(' ').append(g).append(' ').append(length).append(' ')
                            .append(expiry).append(" .\n");
                    acks.add("ack " + k + " " + g + " .");
                }
                if (keys.isEmpty()) {
                    break;
                }
                // Printed before the batch goes out: whatever the store holds after a kill was tried.
                out.print(tries);
                out.flush();
                List<SlotStore.Result> results = store.putMany(keys, values, expiry);
                for (int i = 0; i < keys.size(); i++) {
                    if (results.get(i).ok()) {
                        out.println(acks.get(i));
                    }
                }
                out.flush();
            }
            out.println("done");
            out.flush();
            Thread.sleep(60_000);
        }
    }
}
