package io.rawio.store;

import io.rawio.store.SuperblockDescriptor.Superblock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The index listed for callers: every key ({@link SlotStore#keys()}), a page of a scan, and each slot
 * class's keys and bytes. Reads the ring state's index, expiries and rings; every method is called by
 * {@link RingState} with its lock held, as {@link WindowPlanner}'s are, and copies what it returns.
 */
final class IndexListing {
    private final Superblock sb;
    private final KeyIndex index;
    private final ClassRing[] rings;
    private final Expiries expiries;

    IndexListing(Superblock sb, KeyIndex index, ClassRing[] rings, Expiries expiries) {
        this.sb = sb;
        this.index = index;
        this.rings = rings;
        this.expiries = expiries;
    }

    /** Every live key with its value length, position and data CRC, copied. */
    List<KeyInfo> keys() {
        List<KeyInfo> out = new ArrayList<>();
        long now = expiries.now();
        index.forEach((k, p, l, c) -> {
            if (!expiries.expiredAt(k, now)) {
                out.add(new KeyInfo(k.clone(), l, p, c));
            }
        });
        return out;
    }

    /**
     * One page of a scan from {@code cursor}: live keys (with {@code prefix}, when not null) of the next
     * {@code count} home entries of the index table; see {@link KeyIndex#scan}.
     */
    ScanPage scan(long cursor, int count, byte[] prefix) {
        List<KeyInfo> out = new ArrayList<>();
        long now = expiries.now();
        long next = index.scan(cursor, count, e -> {
            byte[] k = index.keyAt(e);
            if ((prefix == null || startsWith(k, prefix)) && !expiries.expiredAt(k, now)) {
                out.add(new KeyInfo(k.clone(), index.valueLengthAt(e), index.positionAt(e), index.dataCrcAt(e)));
            }
        });
        return new ScanPage(out, next);
    }

    private static boolean startsWith(byte[] k, byte[] prefix) {
        return k.length >= prefix.length && Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Per slot class: slots, live keys, their value bytes, evictions since open. */
    List<ClassStats> classStats() {
        long[] keys = new long[rings.length];
        long[] bytes = new long[rings.length];
        index.forEachEntry(e -> {
            int c = sb.classOf(index.positionAt(e)).id();
            keys[c]++;
            bytes[c] += index.valueLengthAt(e);
        });
        List<ClassStats> out = new ArrayList<>();
        for (int c = 0; c < rings.length; c++) {
            out.add(new ClassStats(c, rings[c].slotClass.slotSize(), rings[c].slotClass.slotCount(), keys[c],
                    bytes[c], rings[c].evictions));
        }
        return out;
    }
}
