package io.rawio.store;

import io.rawio.engine.IoBatch;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.NativeIoException;
import io.rawio.store.CheckpointDescriptor.Header;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The two checkpoint regions on the device: reading their headers and checked payloads, and writing a
 * checkpoint (payload and header together, then one fdatasync). A header that landed over a payload
 * that did not fails the payload CRC32C it holds, and recovery loads the other region, whose checkpoint
 * was flushed before this one began; the next checkpoint then goes to the region that did not load
 * ({@link Recovery}). Generation g goes to region g mod 2. No policy: when to write is
 * the {@link Checkpointer}'s.
 */
final class CheckpointIo {
    static final int BLOCK_SIZE = SlotStore.BLOCK_SIZE;

    private final StoreFile f;
    private final Superblock sb;

    CheckpointIo(StoreFile f) {
        this.f = f;
        this.sb = f.superblock();
    }

    /** The region generation {@code generation} is written to. */
    long regionOf(long generation) {
        return generation % 2 == 0 ? sb.checkpoint0() : sb.checkpoint1();
    }

    /** The calling thread writes no more checkpoints: the engine releases what it keeps for it ({@link io.rawio.engine.IoEngine#releaseThread}). */
    void releaseThread() {
        f.engine().releaseThread();
    }

    /** Both regions' offsets, region 0 first. */
    long[] regions() {
        return new long[] {sb.checkpoint0(), sb.checkpoint1()};
    }

    /** The most payload bytes a region holds. */
    long maxPayload() {
        return sb.checkpointSize() - CheckpointDescriptor.HEADER_SIZE;
    }

    /**
     * Both regions' headers, region 0 first; null for a region whose header is not valid.
     *
     * @throws NativeIoException when the header blocks cannot be read
     */
    Header[] readHeaders(Arena arena) throws NativeIoException {
        MemorySegment hdr = AlignedMemory.allocate(arena, 2L * BLOCK_SIZE, BLOCK_SIZE);
        IoBatch b = new IoBatch(2);
        b.read(f.file(), sb.checkpoint0(), hdr.asSlice(0, BLOCK_SIZE));
        b.read(f.file(), sb.checkpoint1(), hdr.asSlice(BLOCK_SIZE, BLOCK_SIZE));
        f.execute(b);
        b.throwIfFailed();
        return new Header[] {
            b.result(0) == BLOCK_SIZE ? CheckpointDescriptor.decodeHeader(hdr.asSlice(0, BLOCK_SIZE)) : null,
            b.result(1) == BLOCK_SIZE ? CheckpointDescriptor.decodeHeader(hdr.asSlice(BLOCK_SIZE, BLOCK_SIZE)) : null
        };
    }

    /**
     * A checkpoint's entries, read and checked against the header's length and CRC32C; null when they
     * do not fit the region, cannot be read, or fail the CRC. {@link MemorySegment#NULL} for no entries.
     */
    MemorySegment payload(Arena arena, long region, Header h) {
        if (h.payloadLength() > maxPayload()) {
            return null;
        }
        if (h.payloadLength() == 0) {
            return h.count() == 0 ? MemorySegment.NULL : null;
        }
        MemorySegment payload = AlignedMemory.allocate(arena, Blocks.roundUp(h.payloadLength(), BLOCK_SIZE), BLOCK_SIZE);
        IoBatch b = new IoBatch(1);
        b.read(f.file(), region + CheckpointDescriptor.HEADER_SIZE, payload);
        f.execute(b);
        if (b.result(0) < h.payloadLength() || Le.crc32c(payload, 0, h.payloadLength()) != h.payloadCrc()) {
            return null;
        }
        return payload.asSlice(0, h.payloadLength());
    }

    /** Regions with a valid header and payload (for check); reads only. */
    int validRegions() throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            Header[] h;
            try {
                h = readHeaders(arena);
            } catch (NativeIoException e) {
                return 0;
            }
            int valid = 0;
            long[] regions = regions();
            for (int r = 0; r < 2; r++) {
                if (h[r] != null && payload(arena, regions[r], h[r]) != null) {
                    valid++;
                }
            }
            return valid;
        }
    }

    /**
     * Writes checkpoint {@code generation}: the payload ({@code payloadLength} bytes of {@code payload},
     * which holds whole blocks; the rest of its last block is zeroed here) and the header in one batch,
     * then one fdatasync. Returns the bytes written.
     *
     * @throws NativeIoException the first write or flush that failed
     */
    long write(Arena arena, long generation, long scanStart, long count, MemorySegment payload, long payloadLength)
            throws NativeIoException {
        return write(arena, generation, new long[] {scanStart}, 0, count, payload, payloadLength);
    }

    /**
     * Writes checkpoint {@code generation} with a scan start per slot class and the next version to be
     * handed out: see {@link #write(Arena, long, long, long, MemorySegment, long)}.
     */
    long write(Arena arena, long generation, long[] scanStarts, long nextVersion, long count, MemorySegment payload,
            long payloadLength) throws NativeIoException {
        long region = regionOf(generation);
        long payloadBlocks = Blocks.roundUp(payloadLength, BLOCK_SIZE);
        payload.asSlice(payloadLength, payloadBlocks - payloadLength).fill((byte) 0);
        MemorySegment header = AlignedMemory.allocate(arena, CheckpointDescriptor.HEADER_SIZE, BLOCK_SIZE);
        CheckpointDescriptor.encodeHeader(header, new Header(generation, scanStarts, count, payloadLength,
                Le.crc32c(payload, 0, payloadLength), nextVersion, CheckpointDescriptor.FORMAT_VERSION));
        // One flush, not one for the payload and one for the header: the header names the payload's length
        // and CRC32C, so a header that lands without its payload is refused on open (the other region,
        // flushed before this write began, loads instead).
        IoBatch b = new IoBatch(3);
        if (payloadLength > 0) {
            b.write(f.file(), region + CheckpointDescriptor.HEADER_SIZE, payload.asSlice(0, payloadBlocks));
        }
        b.write(f.file(), region, header);
        b.fdatasync(f.file());
        f.execute(b);
        b.throwIfFailed();
        return payloadBlocks + CheckpointDescriptor.HEADER_SIZE;
    }

}
