package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * S3-FIFO ({@link ValueCache}) against a plain LRU of the same byte capacity, on the same fixed-seed
 * key streams: (a) Zipf(0.99) over 100k keys, (b) the same traffic interleaved with one-time scans.
 * The ratios are printed for docs/PERFORMANCE.md.
 */
class ValueCacheHitRatioTest {
    static final int KEYS = 100_000;
    static final int VALUE_BYTES = 100;
    /** Room for 10% of the keys. */
    static final long CAPACITY_BYTES = KEYS / 10 * (long) VALUE_BYTES;
    /** Keys of scans start here: never requested by the Zipf traffic, and each scanned once. */
    static final long SCAN_BASE = 1L << 50;

    @Test
    void onZipfTrafficS3FifoIsAtLeastAsGoodAsLru() {
        long[] stream = zipf(new SplittableRandom(42), 2_000_000);
        double s3 = s3Fifo(stream);
        double lru = lru(stream);
        System.out.printf("ValueCache hit ratio, Zipf(0.99) over %,d keys, cache of 10%%, %,d requests: S3-FIFO %.4f, LRU %.4f%n",
                KEYS, stream.length, s3, lru);
        assertTrue(s3 >= lru - 0.005, "S3-FIFO " + s3 + " vs LRU " + lru);
    }

    @Test
    void withOneTimeScansS3FifoIsClearlyBetterThanLru() {
        SplittableRandom r = new SplittableRandom(43);
        // 80 rounds of 20k Zipf requests followed by a scan of 5k keys never seen before (half the cache).
        int rounds = 80;
        int zipfPerRound = 20_000;
        int scanLength = 5_000;
        long[] stream = new long[rounds * (zipfPerRound + scanLength)];
        double[] cdf = zipfCdf();
        long nextScanKey = SCAN_BASE;
        int n = 0;
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < zipfPerRound; i++) {
                stream[n++] = sample(cdf, r);
            }
            for (int i = 0; i < scanLength; i++) {
                stream[n++] = nextScanKey++;
            }
        }
        double s3 = s3Fifo(stream);
        double lru = lru(stream);
        System.out.printf("ValueCache hit ratio, the same with a one-time scan of %,d keys after every %,d requests: S3-FIFO %.4f, LRU %.4f%n",
                scanLength, zipfPerRound, s3, lru);
        assertTrue(s3 >= lru + 0.05, "S3-FIFO " + s3 + " vs LRU " + lru);
    }

    private static double[] zipfCdf() {
        double[] cdf = new double[KEYS];
        double sum = 0;
        for (int i = 0; i < KEYS; i++) {
            sum += 1 / Math.pow(i + 1, 0.99);
            cdf[i] = sum;
        }
        for (int i = 0; i < KEYS; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }

    private static long sample(double[] cdf, SplittableRandom r) {
        int i = Arrays.binarySearch(cdf, r.nextDouble());
        int rank = i >= 0 ? i : Math.min(KEYS - 1, -i - 1);
        // Scatter the ranks over the key space so that popularity does not follow key order.
        return (rank * 0x9E3779B97F4A7C15L) >>> 20;
    }

    private static long[] zipf(SplittableRandom r, int n) {
        double[] cdf = zipfCdf();
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = sample(cdf, r);
        }
        return s;
    }

    private static byte[] bytesOf(long k) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (k >>> (8 * i));
        }
        return b;
    }

    /** Read-through: a miss reads "the device" and puts the value. */
    private static double s3Fifo(long[] stream) {
        try (ValueCache c = new ValueCache(CAPACITY_BYTES); Arena a = Arena.ofConfined()) {
            MemorySegment value = a.allocate(VALUE_BYTES);
            for (long k : stream) {
                byte[] key = bytesOf(k);
                try (ValueCache.Lease lease = c.get(key)) {
                    if (lease == null) {
                        c.put(key, value, c.readToken(key));
                    }
                }
            }
            ValueCache.Stats s = c.stats();
            assertTrue(s.bytes() <= CAPACITY_BYTES);
            return s.hitRatio();
        }
    }

    private static double lru(long[] stream) {
        long entries = CAPACITY_BYTES / VALUE_BYTES;
        Map<Long, Boolean> lru = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                return size() > entries;
            }
        };
        long hits = 0;
        for (long k : stream) {
            if (lru.get(k) != null) {
                hits++;
            } else {
                lru.put(k, Boolean.TRUE);
            }
        }
        return (double) hits / stream.length;
    }
}
