package io.rawio.server;

import io.rawio.nativeio.Errno;
import io.rawio.store.DeviceRead;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreRing;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The io_uring loop's GETs from the device: the store plans each read ({@link StoreRing#planRead}), the
 * loop issues it as a READ on the same ring as its sockets' requests (no thread hop, nothing waits), and
 * when it completes the store checks it ({@link StoreRing#finishRead}) and the reply is sent from the
 * buffer the value was read into (no copy onto the heap). Meanwhile the loop goes on with other
 * connections, and with this connection's later GETs: its replies keep their order
 * ({@link DeviceReply}). A key that moved while it was read is read again (as a getMany does); a
 * failed read is an {@code -ERR} to its client.
 *
 * <p>Bounds: {@link #MAX_PER_CONNECTION} device replies per connection (and about
 * {@link #BYTES_PER_CONNECTION} of them): a GET past them waits in its connection until its replies are
 * sent ({@link Start#NO_ROOM}). {@code capacity} replies in all and the buffers' byte budget: a GET that
 * finds them spent (clients that do not read their replies hold them) is read the other way, by the
 * wave's getMany ({@link Start#ELSEWHERE}), so no connection waits on another's. A value larger than
 * an eighth of the budget is read that way too.
 *
 * <p>Single-threaded: the loop's thread only.
 */
final class RingGets implements RoundBatcher.DeviceGets {
    /** Device replies one connection has at most (reads in flight and replies unsent). */
    static final int MAX_PER_CONNECTION = 64;
    /** About the bytes of device replies one connection holds before its next GET waits. */
    static final long BYTES_PER_CONNECTION = 4L << 20;
    /** Reads of a key that keeps moving before it counts as absent (as a getMany does). */
    static final int MAX_ATTEMPTS = 4;
    /** Bytes per entry for the header of a value read alone (block-aligned): {@code $<len>\r\n}. */
    private static final int HEAD = 32;
    private static final byte[] NULL2 = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL3 = "_\r\n".getBytes(StandardCharsets.US_ASCII);

    /** How the loop puts a read into its ring and brings a connection into a round. */
    interface Ring {
        /** Queues a read of {@code length} bytes at {@code offset} of {@code fd} into {@code buf}'s memory. */
        void read(int fd, ReadBuffers.Buffer buf, int length, long offset, long userData);

        /** The user_data that brings the read's completion to {@link #completed}. */
        long tag(int id);

        /** {@code c} has bytes to send or requests to run. */
        void ready(Connection c);
    }

    private final SlotStore store;
    private final Ring ring;
    private final ReadBuffers buffers;
    private final DeviceReply[] table;
    /** Free entries of {@link #table}: a stack, freeIds[0, freeCount). */
    private final int[] freeIds;
    private int freeCount;
    private final Arena arena = Arena.ofShared();
    /** The head areas, {@link #HEAD} bytes per entry. */
    private final MemorySegment heads;
    private final MemorySegment crlf;
    private int inFlight;
    /** Counters for INFO: reads issued, reads issued again, replies sent from read buffers. */
    long reads;
    long rereads;

    RingGets(SlotStore store, Ring ring, ReadBuffers buffers, int capacity) {
        this.store = store;
        this.ring = ring;
        this.buffers = buffers;
        this.table = new DeviceReply[capacity];
        this.freeIds = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            freeIds[freeCount++] = capacity - 1 - i;
        }
        this.heads = arena.allocate((long) HEAD * capacity, 64);
        this.crlf = arena.allocateFrom(ValueLayout.JAVA_BYTE, (byte) '\r', (byte) '\n');
    }

    @Override
    public Start start(Connection c, byte[] key) {
        if (c.replies.deferred.size() >= MAX_PER_CONNECTION
                || (!c.replies.deferred.isEmpty() && c.replies.unsentBytes() >= BYTES_PER_CONNECTION)) {
            return Start.NO_ROOM; // its own replies come back as they are sent, and it is made ready
        }
        DeviceRead read = store.onRing().planRead(key);
        if (read == null) {
            return Start.ABSENT;
        }
        if (freeCount == 0 || ReadBuffers.classBytes(ReadBuffers.sizeClass(read.length() + 2L))
                > buffers.budgetBytes() / 8) {
            return Start.ELSEWHERE;
        }
        ReadBuffers.Buffer b = buffers.take(read.length() + 2L);
        if (b == null) {
            return Start.ELSEWHERE;
        }
        int id = freeIds[--freeCount];
        DeviceReply r = new DeviceReply(id, c);
        r.buffer = b;
        r.read = read;
        table[id] = r;
        c.replies.defer(r);
        c.replies.readsInFlight++;
        issue(r);
        return Start.STARTED;
    }

    private void issue(DeviceReply r) {
        r.attempts++;
        reads++;
        inFlight++;
        ring.read(r.read.fd(), r.buffer, r.read.length(), r.read.offset(), ring.tag(r.id));
    }

    /** A read's completion ({@code res} bytes read, or -errno). */
    void completed(int id, int res) {
        DeviceReply r = table[id];
        if (r == null) {
            return;
        }
        inFlight--;
        if (r.owner == null || r.abandoned) {
            release(r);
            return;
        }
        MemorySegment buf = r.buffer.memory;
        if (res < 0) {
            finish(r, error(r, "ERR read failed: " + Errno.name(-res) + " offset=" + r.read.offset()));
            return;
        }
        long at = store.onRing().finishRead(r.read, buf, res);
        if (at == StoreRing.READ_AGAIN) {
            DeviceRead again = r.attempts < MAX_ATTEMPTS ? store.onRing().planRead(r.read.key()) : null;
            if (again == null) {
                finish(r, nullReply(r));
                return;
            }
            if (again.length() + 2L > buf.byteSize()) {
                // Rewritten into a larger class while it was read: a larger buffer for the new value.
                ReadBuffers.Buffer larger = buffers.take(again.length() + 2L);
                if (larger == null) {
                    finish(r, error(r, "ERR value moved while it was read and no read buffer is free; retry"));
                    return;
                }
                buffers.give(r.buffer);
                r.buffer = larger;
            }
            rereads++;
            r.read = again;
            issue(r);
            return;
        }
        if (at == StoreRing.CORRUPT) {
            finish(r, error(r, "ERR " + r.read.corrupt()));
            return;
        }
        int len = r.read.valueLength();
        int headerLength = headerLength(len);
        boolean crlfAfter = at + len + 2 <= buf.byteSize();
        if (at >= headerLength) {
            writeHeader(buf, at - headerLength, len, headerLength);
            if (crlfAfter) {
                buf.set(ValueLayout.JAVA_BYTE, at + len, (byte) '\r');
                buf.set(ValueLayout.JAVA_BYTE, at + len + 1, (byte) '\n');
                r.piece(buf.asSlice(at - headerLength, headerLength + len + 2L));
            } else {
                r.piece(buf.asSlice(at - headerLength, headerLength + (long) len));
                r.piece(crlf);
            }
        } else {
            MemorySegment head = heads.asSlice((long) HEAD * r.id, headerLength);
            writeHeader(head, 0, len, headerLength);
            r.piece(head);
            if (crlfAfter) {
                buf.set(ValueLayout.JAVA_BYTE, at + len, (byte) '\r');
                buf.set(ValueLayout.JAVA_BYTE, at + len + 1, (byte) '\n');
                r.piece(buf.asSlice(at, len + 2L));
            } else {
                if (len > 0) {
                    r.piece(buf.asSlice(at, len));
                }
                r.piece(crlf);
            }
        }
        finish(r, null);
    }

    /** Bytes of {@code $<len>\r\n}. */
    static int headerLength(int len) {
        int digits = 1;
        for (int v = len; v >= 10; v /= 10) {
            digits++;
        }
        return 3 + digits;
    }

    /** {@code $<len>\r\n} written at {@code at} ({@code n} bytes: {@link #headerLength}), nothing allocated. */
    static void writeHeader(MemorySegment to, long at, int len, int n) {
        to.set(ValueLayout.JAVA_BYTE, at, (byte) '$');
        long end = at + n - 2;
        for (long i = end - 1; i > at; i--) {
            to.set(ValueLayout.JAVA_BYTE, i, (byte) ('0' + len % 10));
            len /= 10;
        }
        to.set(ValueLayout.JAVA_BYTE, end, (byte) '\r');
        to.set(ValueLayout.JAVA_BYTE, end + 1, (byte) '\n');
    }

    /** A whole reply written at the start of the buffer (null, an error): its one piece. */
    private static MemorySegment write(DeviceReply r, byte[] bytes) {
        MemorySegment buf = r.buffer.memory;
        int n = (int) Math.min(bytes.length, buf.byteSize());
        MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, n);
        return buf.asSlice(0, n);
    }

    private static MemorySegment nullReply(DeviceReply r) {
        return write(r, r.owner.out.protocol() == 3 ? NULL3 : NULL2);
    }

    /** {@code -message\r\n}, one line, cut to fit the buffer. */
    private static MemorySegment error(DeviceReply r, String message) {
        String line = message.replace('\r', ' ').replace('\n', ' ');
        int room = (int) Math.min(r.buffer.memory.byteSize(), 4096) - 3;
        if (line.length() > room) {
            line = line.substring(0, room);
        }
        return write(r, ("-" + line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    private void finish(DeviceReply r, MemorySegment whole) {
        if (whole != null) {
            r.piece(whole);
        }
        r.done = true;
        r.owner.replies.readsInFlight--;
        ring.ready(r.owner);
    }

    /**
     * {@code r} was sent whole (or its connection is gone and its read ended): its buffer and entry go
     * back. Nothing for a held SET reply.
     */
    void release(DeviceReply r) {
        if (r.id < 0) {
            return; // a held SET reply (RoundBatcher): no entry, no buffer
        }
        table[r.id] = null;
        freeIds[freeCount++] = r.id;
        buffers.give(r.buffer);
        r.buffer = null;
    }

    /**
     * {@code c} is gone (closed, and no send of it in flight): its finished replies' buffers go back now,
     * those still being read when their reads end.
     */
    void dropped(Connection c) {
        for (DeviceReply r : c.replies.deferred) {
            if (r.done) {
                release(r);
            } else {
                r.abandoned = true;
            }
        }
        c.replies.deferred.clear();
    }

    /** Reads in the ring (the loop waits for them before freeing the buffers). */
    int inFlight() {
        return inFlight;
    }

    /** Frees the head areas; the buffers are the loop's to close. */
    void close() {
        arena.close();
    }
}
