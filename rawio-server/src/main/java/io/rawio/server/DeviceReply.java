package io.rawio.server;

import io.rawio.store.DeviceRead;
import java.lang.foreign.MemorySegment;

/**
 * A GET reply whose bytes a device read brings (the io_uring loop, {@link RingGets}), or the replies of
 * a connection's SETs whose putMany is being written ({@link RoundBatcher}). It sits in its
 * connection's replies at {@link #at}: the heap replies before that position go out first, then its
 * bytes, then the heap replies after it. Once the read is checked its bytes are one to three pieces of
 * native memory ({@code $<len>\r\n}, the value, {@code \r\n}), mostly one: the header written over
 * the slot's own header just before the value, the CRLF over the padding after it, so the value is
 * sent from the memory it was read into. Used by the loop's thread only.
 */
final class DeviceReply {
    /**
     * Its entry in {@link RingGets}' table: the read's user_data, and the head area of an aligned value;
     * -1 for the held replies of a connection's SETs while their putMany is written ({@link RoundBatcher}),
     * which have no read and no buffer.
     */
    final int id;
    final Connection owner;
    /** The position in the owner's heap replies its bytes go before. */
    long at;
    ReadBuffers.Buffer buffer;
    DeviceRead read;
    /** Reads issued for it (a key that moves while read is read again). */
    int attempts;
    /** Its bytes are known ({@link #pieces}); until then nothing after it is sent. */
    boolean done;
    final MemorySegment[] pieces = new MemorySegment[3];
    int pieceCount;
    /** Its connection is gone while it was read: the read's completion gives the buffer back. */
    boolean abandoned;
    /** Bytes of its pieces already sent. */
    long sent;

    DeviceReply(int id, Connection owner) {
        this.id = id;
        this.owner = owner;
    }

    /** The reply's bytes are {@code p}, after the pieces set so far. */
    void piece(MemorySegment p) {
        pieces[pieceCount++] = p;
    }

    /** All its bytes (its read's value and header before it is done: what it will about be). */
    long length() {
        if (!done) {
            return read == null ? 0 : read.valueLength() + 16L;
        }
        long n = 0;
        for (int i = 0; i < pieceCount; i++) {
            n += pieces[i].byteSize();
        }
        return n;
    }

    long remaining() {
        return length() - sent;
    }
}
