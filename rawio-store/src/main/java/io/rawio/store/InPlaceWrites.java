package io.rawio.store;

import io.rawio.store.SuperblockDescriptor.Superblock;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Slots written from the caller's own buffer, with no copy of the value: a put's value that is a lent
 * {@link ValueBuffers} buffer's, in a slot that puts the value where the buffer has it, is filled around
 * (header, key, padding: {@link SlotDescriptor#fillAround}) and handed to the engine as the write's
 * buffer ({@link #prepare}); the buffer is pinned for the whole put ({@link #pin}) and marked as being
 * written until the write completes ({@link #complete}). Any other value is copied into a write buffer
 * as before ({@link WritePipeline}).
 */
final class InPlaceWrites {
    private final Superblock sb;
    /** The buffers lent to callers, laid out as this store's slots. */
    final ValueBuffers buffers;
    /** Slots written in place, for tests and INFO. */
    private final LongAdder writes = new LongAdder();

    InPlaceWrites(Superblock sb) {
        this.sb = sb;
        this.buffers = new ValueBuffers(this::valueOffset);
    }

    /**
     * Where a value of these lengths lies in the slot of the smallest class that holds it; one block in
     * when no class holds it.
     */
    private long valueOffset(int keyLength, int valueLength) {
        for (SuperblockDescriptor.SlotClass c : sb.classes()) {
            if (SlotDescriptor.usedBytes(keyLength, valueLength, c.slotSize()) <= c.slotSize()) {
                return SlotDescriptor.valueOffset(keyLength, valueLength, c.slotSize());
            }
        }
        return ValueBuffers.VALUE_AT;
    }

    /** Holds the lent buffers among a put's values until {@link #unpin}; null when there are none. */
    ValueBuffers.Pins pin(List<MemorySegment> values) {
        return buffers.pin(values);
    }

    void unpin(ValueBuffers.Pins pins) {
        buffers.unpin(pins);
    }

    /** Whether a planned write's value is a lent buffer's: its slot is then a run of its own ({@link SlotRuns}). */
    boolean candidate(WriteWindow w, WriteWindow.Planned pl) {
        return buffers.lentFor(w.values.get(pl.keyIndex())) != null;
    }

    /**
     * Prepares op {@code op}, the one-slot write of planned write {@code ref}, in place when its value is a
     * pinned buffer's and the slot puts the value where the buffer has it: the slot is filled around the
     * value and written from the buffer. False (nothing done) when not: the value is then copied.
     */
    boolean prepare(WriteWindow w, int op, int ref) {
        WriteWindow.Planned pl = w.planned.get(ref);
        MemorySegment value = w.values.get(pl.keyIndex());
        if (value.byteSize() == 0 || !value.isNative()) {
            return false;
        }
        byte[] key = w.keys.get(pl.keyIndex());
        long slotSize = sb.slotSizeAt(pl.position());
        long used = w.slotBytes(pl, sb);
        ValueBuffers.Buffer vb = buffers.beginWrite(value);
        if (vb == null) {
            return false;
        }
        if (SlotDescriptor.valueOffset(key.length, value.byteSize(), slotSize) != vb.valueAt() || used > vb.capacity()) {
            buffers.endWrite(vb);
            return false;
        }
        MemorySegment slot = vb.slot().asSlice(0, used);
        try {
            w.dataCrcs[ref] = SlotDescriptor.fillAround(slot, key, (int) value.byteSize(), w.flags, pl.position(),
                    sb.storeId(), slotSize, pl.version(), w.expiryOf.applyAsLong(pl.keyIndex()), pl.previousSlot());
        } catch (RuntimeException e) {
            buffers.endWrite(vb);
            throw e; // the caller fails the write as for a value that cannot be copied
        }
        if (w.inPlaceOf == null) {
            w.inPlaceOf = new ValueBuffers.Buffer[w.bufOf.length];
        }
        w.inPlaceOf[op] = vb;
        w.batch.buffer(op, slot);
        writes.increment();
        return true;
    }

    /** Op {@code op} completed: a buffer it was written from may be written again. */
    void complete(WriteWindow w, int op) {
        if (w.inPlaceOf != null && w.inPlaceOf[op] != null) {
            buffers.endWrite(w.inPlaceOf[op]);
            w.inPlaceOf[op] = null;
        }
    }

    /** Slots written in place since the store was opened. */
    long count() {
        return writes.sum();
    }
}
