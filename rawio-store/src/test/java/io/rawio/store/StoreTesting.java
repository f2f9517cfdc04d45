package io.rawio.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

/** Deterministic values for keys, so any reader can tell a right value from a wrong one. */
final class StoreTesting {
    private StoreTesting() {
    }

    static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The value stored under a key in the crash and model tests: length and bytes follow from the key. */
    static byte[] valueFor(String key, int maxLength) {
        SplittableRandom r = new SplittableRandom(key.hashCode() * 0x9e3779b97f4a7c15L);
        byte[] v = new byte[r.nextInt(maxLength + 1)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) r.nextInt();
        }
        return v;
    }

    /** Flips one bit of the byte at {@code offset} of a file: offline corruption. */
    static void flipByte(java.nio.file.Path p, long offset) throws java.io.IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }

    /** One round of a stress thread's loop. */
    interface Step {
        void run() throws Exception;
    }

    /**
     * Runs {@code threads} threads for {@code millis}, each repeating the step {@code stepOf} made for it
     * (given the thread's number, so it can keep its own state); all stop as soon as one throws.
     * Returns what they threw, empty when nothing did.
     */
    static List<Throwable> hammer(int threads, long millis, IntFunction<Step> stepOf) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Step step = stepOf.apply(t);
            running.add(Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        step.run();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                    stop.set(true);
                }
            }));
        }
        Thread.sleep(millis);
        stop.set(true);
        for (Thread t : running) {
            t.join();
        }
        return errors;
    }

    /**
     * Puts keys of 1 KiB into every slot but one of a store with eviction off, each with the value
     * {@code valueOf} gives: the index then outgrows the checkpoint region. Asserts every put is OK.
     */
    static void fillWithLongKeys(SlotStore s, java.util.function.Function<byte[], byte[]> valueOf)
            throws java.io.IOException {
        long n = s.superblock().slotCount();
        List<byte[]> ks = new ArrayList<>();
        List<java.lang.foreign.MemorySegment> vs = new ArrayList<>();
        for (int i = 1; i < n; i++) {
            byte[] k = new byte[1024];
            java.util.Arrays.fill(k, (byte) 'x');
            byte[] num = Integer.toString(i).getBytes();
            System.arraycopy(num, 0, k, 0, num.length);
            ks.add(k);
            vs.add(java.lang.foreign.MemorySegment.ofArray(valueOf.apply(k)));
        }
        for (SlotStore.Result r : s.putMany(ks, vs)) {
            org.junit.jupiter.api.Assertions.assertTrue(r.ok(), r.toString());
        }
    }

    static StoreOptions psyncOptions() {
        return StoreOptions.defaults().withEngine("psync");
    }
}
