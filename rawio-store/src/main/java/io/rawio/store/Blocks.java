package io.rawio.store;

/** Block arithmetic: every slot, region and O_DIRECT transfer of the store is whole 4 KiB blocks. */
final class Blocks {
    /** The block every slot and region is aligned to. */
    static final int SIZE = 4096;

    private Blocks() {
    }

    /** {@code v} rounded up to a multiple of {@code a}. */
    static long roundUp(long v, long a) {
        return (v + a - 1) / a * a;
    }
}
