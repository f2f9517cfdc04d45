package io.rawio.store;

import java.lang.foreign.MemorySegment;

/**
 * Which bytes of a scratch region may be non-zero, per 4 KiB block, so that a slot filled into the
 * region zeroes only the padding an earlier use left dirty instead of all of it.
 *
 * <p>A slot's bytes are its header and key (and a packed value) from its start, and an aligned value
 * from a block boundary: in every block, what a fill writes is a prefix. FORMAT.md promises zeros
 * everywhere else in the slot's written blocks (the padding between the key and an aligned value, the
 * tail after the value). A 4 KiB value in an 8 KiB slot has nearly 4 KiB of such padding; zeroing it
 * on every put touched as much memory as copying the value, while after the first use of the region
 * the same bytes are usually zero already.
 *
 * <p>Per block the tracker keeps how many bytes from the block's start may be non-zero (0 to 4096).
 * The region's memory is zero when mapped, so every block starts at 0. A fill zeroes, in each block,
 * the bytes past what it will write and below that mark, marks the blocks wholly dirty while it
 * writes (a fill that throws leaves them so), then records the prefixes it wrote. Anything else that
 * writes into the region (a read's buffer) marks what it takes dirty first ({@link #dirty}).
 * Single-threaded: the region's borrower.
 */
final class SlotPadding {
    private static final int BLOCK = SlotStore.BLOCK_SIZE;

    /** By block of the region: bytes from its start that may be non-zero. */
    private final int[] dirtyPrefix;

    /** A tracker for a region of {@code bytes} bytes, all zero. */
    SlotPadding(long bytes) {
        dirtyPrefix = new int[Math.toIntExact(bytes / BLOCK)];
    }

    /** Bytes {@code [at, at + length)} of the region may hold anything from now on. */
    void dirty(long at, long length) {
        int first = (int) (at / BLOCK);
        int end = (int) Math.min(dirtyPrefix.length, (at + length + BLOCK - 1) / BLOCK);
        for (int b = first; b < end; b++) {
            dirtyPrefix[b] = BLOCK;
        }
    }

    /**
     * Before a fill of {@code slot}, at offset {@code at} of the region (both block-aligned): zeroes
     * what may be non-zero outside the ranges the fill writes, {@code [0, headEnd)} and
     * {@code [bodyAt, bodyEnd)} of the slot ({@code bodyAt} a block boundary; empty when
     * {@code bodyEnd <= bodyAt}), then marks the slot's blocks dirty until {@link #written}.
     */
    void clearOutside(MemorySegment slot, long at, long headEnd, long bodyAt, long bodyEnd) {
        check(slot, at, bodyAt, bodyEnd);
        int first = (int) (at / BLOCK);
        int blocks = (int) (slot.byteSize() / BLOCK);
        for (int i = 0; i < blocks; i++) {
            int w = prefix(i, headEnd, bodyAt, bodyEnd);
            int d = dirtyPrefix[first + i];
            if (d > w) {
                slot.asSlice((long) i * BLOCK + w, d - w).fill((byte) 0);
            }
            dirtyPrefix[first + i] = BLOCK;
        }
    }

    /** After the fill {@link #clearOutside} prepared: the slot's blocks hold bytes only where it wrote. */
    void written(MemorySegment slot, long at, long headEnd, long bodyAt, long bodyEnd) {
        int first = (int) (at / BLOCK);
        int blocks = (int) (slot.byteSize() / BLOCK);
        for (int i = 0; i < blocks; i++) {
            dirtyPrefix[first + i] = prefix(i, headEnd, bodyAt, bodyEnd);
        }
    }

    /** Bytes of block {@code i} of a slot that the ranges cover from the block's start. */
    static int prefix(int i, long headEnd, long bodyAt, long bodyEnd) {
        long start = (long) i * BLOCK;
        long w = Math.max(0, Math.min(BLOCK, headEnd - start));
        if (bodyEnd > bodyAt && bodyAt <= start) {
            w = Math.max(w, Math.min(BLOCK, bodyEnd - start));
        }
        return (int) Math.max(0, w);
    }

    private void check(MemorySegment slot, long at, long bodyAt, long bodyEnd) {
        if (at % BLOCK != 0 || slot.byteSize() % BLOCK != 0 || at < 0
                || (at + slot.byteSize()) / BLOCK > dirtyPrefix.length
                || (bodyEnd > bodyAt && bodyAt % BLOCK != 0)) {
            throw new IllegalArgumentException("a slot of whole blocks inside the region, its body on a block: at="
                    + at + ", bytes=" + slot.byteSize() + ", bodyAt=" + bodyAt + ", region blocks="
                    + dirtyPrefix.length);
        }
    }
}
