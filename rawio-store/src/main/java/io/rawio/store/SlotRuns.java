package io.rawio.store;

import io.rawio.store.WriteWindow.Planned;
import java.util.List;
import java.util.function.LongUnaryOperator;
import java.util.function.ToLongFunction;

/**
 * Which planned slot writes of a chunk go to the device as ONE write: a run of slots that lie next to
 * each other on the device, each but the last written whole (a slot written only up to its value's
 * last block leaves a gap before the next), up to {@link #MAX_RUN_SLOTS} slots and
 * {@link #MAX_RUN_BYTES} bytes. A run is filled into one buffer and is one request for the device
 * instead of one per slot: small values written in a batch lie in consecutive slots of their class's
 * ring, and a device that serves a bounded number of requests a second (or a queue of a bounded depth)
 * then writes many slots per request. A run never spans chunks, so a failed write fails one chunk as a
 * failed slot write did. Each slot keeps its own header and CRCs: a torn run lands a prefix of whole
 * slots, each valid or not on its own, as separate writes would.
 */
final class SlotRuns {
    /** The most bytes one run writes. */
    static final long MAX_RUN_BYTES = 128 << 10;
    /** The most slots one run writes. */
    static final int MAX_RUN_SLOTS = 32;

    private SlotRuns() {
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
        int n = 1;
        long bytes = bytesOf.applyAsLong(planned.get(from));
        while (from + n < to && n < MAX_RUN_SLOTS) {
            Planned prev = planned.get(from + n - 1);
            Planned next = planned.get(from + n);
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
