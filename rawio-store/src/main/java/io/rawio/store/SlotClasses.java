package io.rawio.store;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The slot classes of a store to format: slot sizes in ascending order (4 KiB or more, in whole 512-byte
 * sectors) and the share of the slot space each class gets. A value goes to the smallest class whose
 * slot holds its header, key and value.
 *
 * <p>{@link #forMaxValue} derives classes as memcached's slab classes do, with a factor of 4: a class
 * of 4 KiB slots for small values, then slots of 4, 16, 64, 256 KiB, 1, 4 ... MiB <em>plus one block</em>
 * (8, 20, 68, 260, 1028 KiB ...) below the largest value, then one class sized for the largest value
 * with a key of up to {@link #KEY_ALLOWANCE} bytes. The extra block holds the header and key, so a value
 * of exactly a power of 4 KiB (a 4 KiB page, a 64 KiB or 1 MiB chunk), the commonest sizes, fills its
 * slot whole instead of taking the next class's, four times larger (a 1 MiB value took a 4 MiB + 4 KiB
 * slot). Filled slots of up to {@link SlotRuns#MAX_RUN_BYTES} side by side also go to the device as one
 * write ({@link SlotRuns}: 16 slots of 8 KiB), where a 4 KiB value in a 16 KiB slot went as one write
 * each. No value takes more than 4 times its size, or one 4 KiB block, except below a largest value
 * within a quarter of a power of 4 (a near twin class is left out): there up to 5 times.
 *
 * <p>Between the 4 KiB and the 8 KiB class, {@link #forMaxValue} adds a <em>sector class</em> of
 * {@link #SECTOR_CLASS} slots (4 KiB and one 512-byte sector): a 4 KiB value with its header and a key of
 * up to 448 bytes fills it, and goes to the device as 4.5 KiB instead of 8 KiB. Its slots are written
 * and read in sectors, so it needs a file or device that takes direct I/O in 512-byte units; the
 * formatter leaves it out where the target does not ({@link #fitting}). Only the smallest values get
 * one: for a 64 KiB value the extra block is 6%, not worth writes that start inside a device's 4 KiB
 * physical block.
 *
 * <p>The default split ({@link #of(List)}, {@link #forMaxValue}) gives every class the same number of
 * slots, so each class's share of the space is in proportion to its slot size. That fits the reference
 * client: LMCache writes every KV chunk as two keys, the chunk (1-4 MiB) and its metadata (a few hundred
 * bytes), so both classes fill at the same rate and neither evicts while the other has room. A workload
 * of mostly small values wants {@link #withShares} (e.g. more space for the small classes).
 *
 * @param slotSizes ascending, at least 4 KiB, multiples of 512 bytes, at most 1 GiB, 1 to 16 of them
 * @param shares    one per class, positive; they are normalized to sum to 1
 */
public record SlotClasses(List<Long> slotSizes, List<Double> shares) {
    /** The key length {@link #forMaxValue} sizes its largest class for. */
    public static final int KEY_ALLOWANCE = 256;
    /** The sector class {@link #forMaxValue} adds: 4 KiB and one 512-byte sector. */
    public static final long SECTOR_CLASS = 4096 + SlotDescriptor.SECTOR;

    public SlotClasses {
        slotSizes = List.copyOf(slotSizes);
        shares = List.copyOf(shares);
        if (slotSizes.isEmpty() || slotSizes.size() > SuperblockDescriptor.MAX_CLASSES) {
            throw new IllegalArgumentException("a store has 1 to " + SuperblockDescriptor.MAX_CLASSES
                    + " slot classes: classes=" + slotSizes.size());
        }
        if (shares.size() != slotSizes.size()) {
            throw new IllegalArgumentException("one share per class: classes=" + slotSizes.size() + ", shares="
                    + shares.size());
        }
        long previous = 0;
        for (long s : slotSizes) {
            if (s < SlotStore.BLOCK_SIZE || s % SlotDescriptor.SECTOR != 0) {
                throw new IllegalArgumentException("slot size must be at least " + SlotStore.BLOCK_SIZE
                        + " bytes and a multiple of " + SlotDescriptor.SECTOR + ": slot=" + s);
            }
            if (s > StoreFormatter.MAX_SLOT_SIZE) {
                throw new IllegalArgumentException("slot size must be at most 1 GiB: slot=" + s);
            }
            if (s <= previous) {
                throw new IllegalArgumentException("slot sizes must ascend: " + slotSizes);
            }
            previous = s;
        }
        for (double d : shares) {
            if (!(d > 0) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("class shares must be positive: " + shares);
            }
        }
    }

    /** One class of {@code slotSize} slots: the store of format version 2. */
    public static SlotClasses of(long slotSize) {
        return new SlotClasses(List.of(slotSize), List.of(1.0));
    }

    /** These slot sizes, each class with the same number of slots (see the class comment). */
    public static SlotClasses of(List<Long> slotSizes) {
        List<Double> shares = new ArrayList<>();
        for (long s : slotSizes) {
            shares.add((double) s);
        }
        return new SlotClasses(slotSizes, shares);
    }

    /** These slot sizes, each class with the same share of the space. */
    public static SlotClasses ofEqualSpace(List<Long> slotSizes) {
        return new SlotClasses(slotSizes, Collections.nCopies(slotSizes.size(), 1.0));
    }

    /**
     * The slot size a key of {@code keyLength} bytes and a value of {@code valueLength} bytes takes: the
     * smallest class's that holds them, or -1 when none does.
     */
    public long slotSizeFor(int keyLength, long valueLength) {
        for (long s : slotSizes) {
            if (SlotDescriptor.usedBytes(keyLength, valueLength, s) <= s) {
                return s;
            }
        }
        return -1;
    }

    /** Classes for values of up to {@code maxValue} bytes (see the class comment), the same number of slots each. */
    public static SlotClasses forMaxValue(long maxValue) {
        if (maxValue < 0) {
            throw new IllegalArgumentException("max value must not be negative: max=" + maxValue);
        }
        long last = Blocks.roundUp(SlotDescriptor.HEADER_SIZE + KEY_ALLOWANCE + maxValue, SlotStore.BLOCK_SIZE);
        long block = SlotStore.BLOCK_SIZE;
        List<Long> sizes = new ArrayList<>();
        sizes.add(block);
        // A power of 4 (plus its block) within a quarter of the last class would be a near twin of it:
        // the last class takes its values instead (at most 4x and a bit: 4 MiB + 4 KiB for values over
        // 1 MiB + 4 KiB).
        for (long v = block; (v + block) * 5 < last * 4 && sizes.size() < SuperblockDescriptor.MAX_CLASSES - 1;
                v *= 4) {
            sizes.add(v + block);
        }
        if (last > sizes.getLast()) {
            sizes.add(last);
        }
        if (last > SECTOR_CLASS && sizes.size() < SuperblockDescriptor.MAX_CLASSES) {
            sizes.add(1, SECTOR_CLASS);
        }
        return of(sizes);
    }

    /**
     * These classes less those whose slots a target that takes direct I/O only in units of
     * {@code unit} bytes (offsets, lengths and memory) cannot hold: the sector classes of a store on a
     * device of 4 KiB logical blocks. This layout itself when every class fits.
     *
     * @throws IllegalArgumentException when the largest class does not fit: no class would hold the
     *                                  largest values
     */
    public SlotClasses fitting(long unit) {
        List<Long> sizes = new ArrayList<>();
        List<Double> kept = new ArrayList<>();
        for (int i = 0; i < slotSizes.size(); i++) {
            if (slotSizes.get(i) % unit == 0) {
                sizes.add(slotSizes.get(i));
                kept.add(shares.get(i));
            }
        }
        if (sizes.size() == slotSizes.size()) {
            return this;
        }
        if (sizes.isEmpty() || !sizes.getLast().equals(slotSizes.getLast())) {
            throw new IllegalArgumentException("slot size " + slotSizes.getLast() + " is not a multiple of "
                    + unit + " bytes, the unit of direct I/O here: give slot sizes in multiples of " + unit);
        }
        return new SlotClasses(sizes, kept);
    }

    /** Whether a class's slots are written in 512-byte sectors ({@link SlotDescriptor#granule}). */
    public boolean hasSectorClass() {
        for (long s : slotSizes) {
            if (s % SlotDescriptor.BLOCK != 0) {
                return true;
            }
        }
        return false;
    }

    /** This layout with other shares (one per class). */
    public SlotClasses withShares(List<Double> s) {
        return new SlotClasses(slotSizes, s);
    }

    /** The share of class {@code i}, normalized. */
    double share(int i) {
        double sum = 0;
        for (double d : shares) {
            sum += d;
        }
        return shares.get(i) / sum;
    }
}
