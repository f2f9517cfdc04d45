package io.rawio.store;

import java.lang.foreign.MemorySegment;

/**
 * Which bytes of a scratch region may be non-zero, per 512-byte sector, so that a slot filled into the
 * region zeroes only the padding an earlier use left dirty instead of all of it.
 *
 * <p>A slot's bytes are its header and key (and a packed value) from its start, and an aligned value
 * from a block (or sector) boundary: in every sector, what a fill writes is a prefix. FORMAT.md promises zeros
 * everywhere else in the slot's written blocks (the padding between the key and an aligned value, the
 * tail after the value). A 4 KiB value in an 8 KiB slot has nearly 4 KiB of such padding; zeroing it
 * on every put touched as much memory as copying the value, while after the first use of the region
 * the same bytes are usually zero already.
 *
 * <p>Per sector the tracker keeps how many bytes from the sector's start may be non-zero (0 to 512;
 * sectors, not 4 KiB blocks, so that slots of a sector class fit it too). The region's memory is zero
 * when mapped, so every sector starts at 0. A fill zeroes, in each sector, the bytes past what it will
 * write and below that mark, marks the sectors wholly dirty while it
 * writes (a fill that throws leaves them so), then records the prefixes it wrote. Anything else that
 * writes into the region (a read's buffer) marks what it takes dirty first ({@link #dirty}).
 * Single-threaded: the region's borrower.
 */
final class SlotPadding {
    private static final int SECTOR = SlotDescriptor.SECTOR;

    /** By block of the region: bytes from its start that may be non-zero. */
    private final short[] dirtyPrefix;

    /** A tracker for a region of {@code bytes} bytes, all zero. */
    SlotPadding(long bytes) {
        dirtyPrefix = new short[Math.toIntExact(bytes / SECTOR)];
    }

    /** Bytes {@code [at, at + length)} of the region may hold anything from now on. */
    void dirty(long at, long length) {
        int first = (int) (at / SECTOR);
        int end = (int) Math.min(dirtyPrefix.length, (at + length + SECTOR - 1) / SECTOR);
        for (int b = first; b < end; b++) {
            dirtyPrefix[b] = (short) SECTOR;
        }
    }

    /** Bytes from the start of the sector at {@code at} of the region that may be non-zero, for tests. */
    int dirtyPrefixAt(long at) {
        return dirtyPrefix[(int) (at / SECTOR)];
    }

    /**
     * Before a fill of {@code slot}, at offset {@code at} of the region (both block-aligned): zeroes
     * what may be non-zero outside the ranges the fill writes, {@code [0, headEnd)} and
     * {@code [bodyAt, bodyEnd)} of the slot ({@code bodyAt} a block boundary; empty when
     * {@code bodyEnd <= bodyAt}), then marks the slot's blocks dirty until {@link #written}.
     */
    void clearOutside(MemorySegment slot, long at, long headEnd, long bodyAt, long bodyEnd) {
        check(slot, at, bodyAt, bodyEnd);
        int first = (int) (at / SECTOR);
        int blocks = (int) (slot.byteSize() / SECTOR);
        for (int i = 0; i < blocks; i++) {
            int w = prefix(i, headEnd, bodyAt, bodyEnd);
            int d = dirtyPrefix[first + i];
            if (d > w) {
                slot.asSlice((long) i * SECTOR + w, d - w).fill((byte) 0);
            }
            dirtyPrefix[first + i] = (short) SECTOR;
        }
    }

    /** After the fill {@link #clearOutside} prepared: the slot's blocks hold bytes only where it wrote. */
    void written(MemorySegment slot, long at, long headEnd, long bodyAt, long bodyEnd) {
        int first = (int) (at / SECTOR);
        int blocks = (int) (slot.byteSize() / SECTOR);
        for (int i = 0; i < blocks; i++) {
            dirtyPrefix[first + i] = (short) prefix(i, headEnd, bodyAt, bodyEnd);
        }
    }

    /** Bytes of block {@code i} of a slot that the ranges cover from the block's start. */
    static int prefix(int i, long headEnd, long bodyAt, long bodyEnd) {
        long start = (long) i * SECTOR;
        long w = Math.max(0, Math.min(SECTOR, headEnd - start));
        if (bodyEnd > bodyAt && bodyAt <= start) {
            w = Math.max(w, Math.min(SECTOR, bodyEnd - start));
        }
        return (int) Math.max(0, w);
    }

    private void check(MemorySegment slot, long at, long bodyAt, long bodyEnd) {
        if (at % SECTOR != 0 || slot.byteSize() % SECTOR != 0 || at < 0
                || (at + slot.byteSize()) / SECTOR > dirtyPrefix.length
                || (bodyEnd > bodyAt && bodyAt % SECTOR != 0)) {
            throw new IllegalArgumentException("a slot of whole blocks inside the region, its body on a block: at="
                    + at + ", bytes=" + slot.byteSize() + ", bodyAt=" + bodyAt + ", region blocks="
                    + dirtyPrefix.length);
        }
    }
}
