package io.rawio.store;

import io.rawio.store.SuperblockDescriptor.Superblock;
import io.rawio.store.WriteWindow.Planned;
import java.util.List;
import java.util.function.IntToLongFunction;
import java.util.function.LongUnaryOperator;
import java.util.function.ToLongFunction;

/**
 * Which planned slot writes of a chunk go to the device as ONE write: a run of slots that lie next to
 * each other on the device, each but the last written whole (a slot written only up to its value's
 * last block leaves a gap before the next), up to {@link #MAX_RUN_SLOTS} slots and
 * {@link #MAX_RUN_BYTES} bytes. A run is filled into one buffer and is one request for the device
 * instead of one per slot: consecutive keys of a batch that go to the same class get consecutive
 * slots of its ring, and a device that serves a bounded number of requests a second (or a queue of a
 * bounded depth) then writes many slots per request. Only keys next to each other in the batch join
 * (a batch alternating between two classes forms no runs). A run never spans chunks, so a failed
 * write fails one chunk as a failed slot write did. Each slot keeps its own header and CRCs: whatever
 * part of a torn run lands, each slot in it is valid or not on its own, as with separate writes.
 */
final class SlotRuns {
    /** The most bytes one run writes. */
    static final long MAX_RUN_BYTES = 128 << 10;
    /** The most slots one run writes. */
    static final int MAX_RUN_SLOTS = 32;

    private SlotRuns() {
    }

    /** A window's writes: {@code length[k]} planned writes from {@code start[k]}, k < count; the largest run's bytes. */
    record Plan(int[] start, int[] length, int count, long largest) {
    }

    /**
     * The runs of a window's chunks. Every buffer of the window has the largest run's size, so when the
     * buffers the engine holds at once ({@code held}, of a number of writes) would then take more than
     * a scratch region and more than one write per slot took (an engine that prepares every write of a
     * window first, many short runs and one long one), it is one write per slot instead.
     */
    static Plan plan(WriteWindow w, Superblock sb, IntToLongFunction held) {
        return plan(w, sb, held, pl -> false);
    }

    /**
     * {@link #plan(WriteWindow, Superblock, IntToLongFunction)} where a planned write for which {@code alone}
     * holds is a run of its own (a value written in place from its own buffer, {@link ValueBuffers}).
     */
    static Plan plan(WriteWindow w, Superblock sb, IntToLongFunction held, java.util.function.Predicate<Planned> alone) {
        int n = w.planned.size();
        long largestSlot = 0;
        for (Planned pl : w.planned) {
            largestSlot = Math.max(largestSlot, w.slotBytes(pl, sb));
        }
        long bound = Math.max(ScratchBuffers.REGION_MAX, held.applyAsLong(n) * largestSlot);
        Plan joined = plan(w, sb, true, alone);
        return held.applyAsLong(joined.count()) * joined.largest() <= bound ? joined : plan(w, sb, false, alone);
    }

    private static Plan plan(WriteWindow w, Superblock sb, boolean join, java.util.function.Predicate<Planned> alone) {
        int[] start = new int[w.planned.size()];
        int[] length = new int[w.planned.size()];
        int count = 0;
        long largest = 0;
        // Made once for the window, not per run.
        LongUnaryOperator offsetOf = sb::positionOffset;
        LongUnaryOperator slotSizeOf = sb::slotSizeAt;
        ToLongFunction<Planned> bytesOf = pl -> w.slotBytes(pl, sb);
        for (int p = 0; p < w.planned.size(); ) {
            int end = p;
            while (end < w.planned.size() && w.planned.get(end).chunk() == w.planned.get(p).chunk()) {
                end++;
            }
            while (p < end) {
                int k = join ? length(w.planned, p, end, offsetOf, slotSizeOf, bytesOf, alone) : 1;
                largest = Math.max(largest, bytes(w, sb, p, k));
                start[count] = p;
                length[count++] = k;
                p += k;
            }
        }
        return new Plan(start, length, count, largest);
    }

    /** Bytes the write of the run of {@code n} planned writes from {@code first} covers. */
    static long bytes(WriteWindow w, Superblock sb, int first, int n) {
        Planned last = w.planned.get(first + n - 1);
        return sb.positionOffset(last.position()) - sb.positionOffset(w.planned.get(first).position())
                + w.slotBytes(last, sb);
    }

    /**
     * How many of {@code planned[from, to)}, from {@code from} on, go in one write (at least one).
     *
     * @param offsetOf   a position's byte offset on the device
     * @param slotSizeOf the slot size at a position
     * @param bytesOf    the bytes a planned write covers (its slot's used blocks)
     */
    static int length(List<Planned> planned, int from, int to, LongUnaryOperator offsetOf,
            LongUnaryOperator slotSizeOf, ToLongFunction<Planned> bytesOf) {
        return length(planned, from, to, offsetOf, slotSizeOf, bytesOf, pl -> false);
    }

    /** {@link #length} where a planned write for which {@code alone} holds is never joined to another. */
    static int length(List<Planned> planned, int from, int to, LongUnaryOperator offsetOf,
            LongUnaryOperator slotSizeOf, ToLongFunction<Planned> bytesOf, java.util.function.Predicate<Planned> alone) {
        if (alone.test(planned.get(from))) {
            return 1;
        }
        int n = 1;
        long bytes = bytesOf.applyAsLong(planned.get(from));
        while (from + n < to && n < MAX_RUN_SLOTS) {
            Planned prev = planned.get(from + n - 1);
            Planned next = planned.get(from + n);
            if (alone.test(next)) {
                break;
            }
            long prevSize = slotSizeOf.applyAsLong(prev.position());
            if (bytesOf.applyAsLong(prev) != prevSize
                    || offsetOf.applyAsLong(next.position()) != offsetOf.applyAsLong(prev.position()) + prevSize) {
                break;
            }
            long more = bytesOf.applyAsLong(next);
            if (bytes + more > MAX_RUN_BYTES) {
                break;
            }
            bytes += more;
            n++;
        }
        return n;
    }
}
