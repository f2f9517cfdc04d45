package io.rawio.server.resp;

import java.lang.foreign.MemorySegment;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * The arguments of one parsed multibulk request, as views into the connection's query buffer: an
 * argument is copied into its own array only when a command asks for it ({@link #get}), and a value
 * the store takes as a segment ({@link #segment}) is not copied at all, so a 1 MiB SET costs no heap
 * array of 1 MiB. The views stay valid as long as the query buffer's bytes are not moved: the
 * connection never compacts a buffer in place while requests parsed from it wait to run (it moves to
 * a new array instead, and these views keep the old one). The last argument may have been received
 * elsewhere (a large SET value, straight into the store's buffer: {@link RequestParser.Landed}); it is
 * then a view of that memory.
 */
public final class RequestArgs extends AbstractList<byte[]> implements RandomAccess {
    private final byte[] buf;
    private final int[] starts;
    private final int[] lengths;
    private final int count;
    /** Arguments already copied out. */
    private final byte[][] copies;
    /** The last argument's bytes when they were received elsewhere ({@link RequestParser.Landed}), or null. */
    private final MemorySegment landed;

    RequestArgs(byte[] buf, int[] starts, int[] lengths, int count) {
        this(buf, starts, lengths, count, null);
    }

    RequestArgs(byte[] buf, int[] starts, int[] lengths, int count, MemorySegment landed) {
        this.buf = buf;
        this.starts = starts;
        this.lengths = lengths;
        this.count = count;
        this.copies = new byte[count][];
        this.landed = landed;
    }

    private boolean isLanded(int i) {
        return landed != null && i == count - 1;
    }

    /** Whether the last argument was received elsewhere than the query buffer. */
    public boolean hasLanded() {
        return landed != null;
    }

    @Override
    public byte[] get(int i) {
        java.util.Objects.checkIndex(i, count);
        byte[] c = copies[i];
        if (c == null) {
            c = isLanded(i) ? landed.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)
                    : Arrays.copyOfRange(buf, starts[i], starts[i] + lengths[i]);
            copies[i] = c;
        }
        return c;
    }

    @Override
    public int size() {
        return count;
    }

    /** Argument {@code i} as a read-only heap segment over the query buffer: no copy. */
    public MemorySegment segment(int i) {
        java.util.Objects.checkIndex(i, count);
        return isLanded(i) ? landed.asReadOnly() : MemorySegment.ofArray(buf).asSlice(starts[i], lengths[i]).asReadOnly();
    }

    /** The length of argument {@code i}, without copying it. */
    public int length(int i) {
        java.util.Objects.checkIndex(i, count);
        return lengths[i];
    }

    /** Whether argument {@code i} is {@code lower} (ASCII letters, any case), without copying it. */
    public boolean is(int i, String lower) {
        java.util.Objects.checkIndex(i, count);
        if (lengths[i] != lower.length()) {
            return false;
        }
        if (isLanded(i)) {
            return new String(get(i), java.nio.charset.StandardCharsets.ISO_8859_1).equalsIgnoreCase(lower);
        }
        int at = starts[i];
        for (int k = 0; k < lengths[i]; k++) {
            if ((buf[at + k] | 0x20) != lower.charAt(k)) {
                return false;
            }
        }
        return true;
    }
}
