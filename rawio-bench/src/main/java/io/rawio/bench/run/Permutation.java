package io.rawio.bench.run;

import java.util.SplittableRandom;

/** Shuffled orders for benchmarks that must touch every item once, in an order fixed by a seed. */
public final class Permutation {
    private Permutation() {
    }

    /** The numbers 0 to n - 1 in an order fixed by {@code seed} (Fisher-Yates). */
    public static int[] of(int n, long seed) {
        int[] a = identity(n);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /** The numbers 0 to n - 1 in order. */
    public static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }
}
