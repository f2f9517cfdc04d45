package io.rawio.store;

import java.lang.foreign.MemorySegment;
import java.util.UUID;

/**
 * The superblock: what the store is, written in two copies (at offset 0 and at {@link #SIZE}) so
 * one torn or corrupted copy leaves the other. All integers little-endian.
 *
 * <pre>
 *   0                   8           12          16                                  32
 *   +-------------------+-----------+-----------+-----------------------------------+
 *   | magic "RAWIOSTR"  | version   | block size|            store uuid             |
 *   +-------------------+-----------+-----------+-----------------------------------+
 *  32                  40                      48                      56
 *   |   slot size u64   |    slot count u64     | checkpoint 0 offset   | checkpoint 1 offset |
 *  64                  72                      80          84          88            96
 *   | checkpoint size   |  slots offset u64     | max key   | reserved  | created ms  |
 *   +-------------------+-----------------------+-----------+-----------+-------------+
 *  96 ... reserved, zero ...                                        4092  | CRC32C u32 |
 *                                                                          +-----------+
 * </pre>
 * The CRC32C covers bytes [0, 4092).
 */
public final class SuperblockDescriptor {
    public static final long MAGIC = 0x5254534f49574152L; // "RAWIOSTR" little-endian
    /** 2: slots may hold their value block-aligned, checkpoint entries carry the data CRC. */
    public static final int FORMAT_VERSION = 2;
    public static final int SIZE = 4096;

    public static final long MAGIC_OFFSET = 0;
    public static final long VERSION_OFFSET = 8;
    public static final long BLOCK_SIZE_OFFSET = 12;
    public static final long UUID_OFFSET = 16;
    public static final long SLOT_SIZE_OFFSET = 32;
    public static final long SLOT_COUNT_OFFSET = 40;
    public static final long CHECKPOINT0_OFFSET = 48;
    public static final long CHECKPOINT1_OFFSET = 56;
    public static final long CHECKPOINT_SIZE_OFFSET = 64;
    public static final long SLOTS_OFFSET_OFFSET = 72;
    public static final long MAX_KEY_OFFSET = 80;
    public static final long CREATED_OFFSET = 88;
    public static final long CRC_OFFSET = SIZE - 4;

    private SuperblockDescriptor() {
    }

    /** The decoded superblock. */
    public record Superblock(UUID uuid, int blockSize, long slotSize, long slotCount, long checkpoint0,
            long checkpoint1, long checkpointSize, long slotsOffset, int maxKeyLength, long createdMs) {

        /** Low 64 bits of the uuid, stamped in every slot header to reject slots of an older store. */
        public long storeId() {
            return uuid.getLeastSignificantBits();
        }

        public long slotOffset(long slotIndex) {
            return slotsOffset + slotIndex * slotSize;
        }

        /** The slot that write position {@code position} lands in: position mod slot count. */
        public int slotOf(long position) {
            return (int) Long.remainderUnsigned(position, slotCount);
        }

        /** Where on the device write position {@code position}'s slot starts. */
        public long positionOffset(long position) {
            return slotOffset(slotOf(position));
        }
    }

    static void encode(Superblock sb, MemorySegment buf) {
        buf.asSlice(0, SIZE).fill((byte) 0);
        buf.set(Le.U64, MAGIC_OFFSET, MAGIC);
        buf.set(Le.U32, VERSION_OFFSET, FORMAT_VERSION);
        buf.set(Le.U32, BLOCK_SIZE_OFFSET, sb.blockSize());
        buf.set(Le.U64, UUID_OFFSET, sb.uuid().getMostSignificantBits());
        buf.set(Le.U64, UUID_OFFSET + 8, sb.uuid().getLeastSignificantBits());
        buf.set(Le.U64, SLOT_SIZE_OFFSET, sb.slotSize());
        buf.set(Le.U64, SLOT_COUNT_OFFSET, sb.slotCount());
        buf.set(Le.U64, CHECKPOINT0_OFFSET, sb.checkpoint0());
        buf.set(Le.U64, CHECKPOINT1_OFFSET, sb.checkpoint1());
        buf.set(Le.U64, CHECKPOINT_SIZE_OFFSET, sb.checkpointSize());
        buf.set(Le.U64, SLOTS_OFFSET_OFFSET, sb.slotsOffset());
        buf.set(Le.U32, MAX_KEY_OFFSET, sb.maxKeyLength());
        buf.set(Le.U64, CREATED_OFFSET, sb.createdMs());
        Le.seal(buf, CRC_OFFSET);
    }

    /** Whether the buffer starts with the superblock magic (valid or not). */
    static boolean hasMagic(MemorySegment buf) {
        return buf.get(Le.U64, MAGIC_OFFSET) == MAGIC;
    }

    /** The format version of a superblock whose magic and CRC are right, else -1. */
    static int intactVersion(MemorySegment buf) {
        return hasMagic(buf) && Le.sealed(buf, CRC_OFFSET)
                ? buf.get(Le.U32, VERSION_OFFSET) : -1;
    }

    /** The superblock, or null when the magic, version or CRC is wrong. */
    static Superblock decode(MemorySegment buf) {
        if (!hasMagic(buf) || buf.get(Le.U32, VERSION_OFFSET) != FORMAT_VERSION
                || !Le.sealed(buf, CRC_OFFSET)) {
            return null;
        }
        return new Superblock(
                new UUID(buf.get(Le.U64, UUID_OFFSET), buf.get(Le.U64, UUID_OFFSET + 8)),
                buf.get(Le.U32, BLOCK_SIZE_OFFSET), buf.get(Le.U64, SLOT_SIZE_OFFSET),
                buf.get(Le.U64, SLOT_COUNT_OFFSET), buf.get(Le.U64, CHECKPOINT0_OFFSET),
                buf.get(Le.U64, CHECKPOINT1_OFFSET), buf.get(Le.U64, CHECKPOINT_SIZE_OFFSET),
                buf.get(Le.U64, SLOTS_OFFSET_OFFSET), buf.get(Le.U32, MAX_KEY_OFFSET),
                buf.get(Le.U64, CREATED_OFFSET));
    }
}
