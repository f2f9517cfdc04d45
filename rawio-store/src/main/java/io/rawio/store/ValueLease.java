package io.rawio.store;

import java.lang.foreign.MemorySegment;

/**
 * A value handed out without a copy: a read-only segment of the buffer its CRC-checked read landed in,
 * or of the DRAM tier's copy, held until {@link #close()}. A server can write it to a socket straight
 * from there. Close it (try-with-resources) as soon as it is sent: until then its buffer is neither
 * reused nor freed. Used by one thread at a time; closing twice does nothing; {@link #value()} after
 * close throws {@link IllegalStateException}.
 */
public final class ValueLease implements AutoCloseable {
    private MemorySegment value;
    private Runnable release;
    /** A DRAM tier hit: its lease (no other object needed). */
    private ValueCache.Lease cached;

    ValueLease(MemorySegment value, Runnable release) {
        this.value = value.asReadOnly();
        this.release = release;
    }

    /** A lease on the DRAM tier's copy (already read-only). */
    ValueLease(ValueCache.Lease cached) {
        this.value = cached.value();
        this.cached = cached;
    }

    /** The value, read-only; not to be used after {@link #close()}. */
    public MemorySegment value() {
        MemorySegment v = value;
        if (v == null) {
            throw new IllegalStateException("value lease closed");
        }
        return v;
    }

    /** The value's length in bytes. */
    public long length() {
        return value().byteSize();
    }

    /** A copy of the value on the heap. */
    public byte[] toArray() {
        return value().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    @Override
    public void close() {
        value = null;
        ValueCache.Lease c = cached;
        if (c != null) {
            cached = null;
            c.close();
        }
        Runnable r = release;
        if (r != null) {
            release = null;
            r.run();
        }
    }
}
