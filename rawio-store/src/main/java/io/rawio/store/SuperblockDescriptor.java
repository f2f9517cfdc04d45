package io.rawio.store;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
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
 *   | largest slot u64  | slots in all u64      | checkpoint 0 offset   | checkpoint 1 offset |
 *  64                  72                      80          84          88            96
 *   | checkpoint size   | first slot offset u64 | max key   | reserved  | created ms  |
 *   +-------------------+-----------------------+-----------+-----------+-------------+
 *  96          100         104
 *   | classes   | reserved  | class 0: slot size u64 | slot count u64 | slots offset u64 | 0 u64 |
 *   |  u32      |           | class 1 ... (32 bytes each, at most 16 classes)                  |
 *  ... reserved, zero ...                                            4092  | CRC32C u32 |
 * </pre>
 * The CRC32C covers bytes [0, 4092). Version 2 had no class table: one class, from the slot size,
 * slot count and slots offset at 32, 40 and 72; this version reads it as that.
 *
 * <p>Slot classes: each is a ring of slots of one size, in its own range of the device. A write
 * position is global: the class in the top 8 bits, the position in the class's ring below
 * ({@link Superblock#position}); class 0's positions are the plain numbers version 2 used.
 */
public final class SuperblockDescriptor {
    public static final long MAGIC = 0x5254534f49574152L; // "RAWIOSTR" little-endian
    /**
     * 4: a class's slot size may be a multiple of 512 bytes (a sector class, {@link SlotDescriptor#granule});
     * written only by a store that has one, so that a rawio that reads 3 refuses it instead of writing
     * 4 KiB blocks across its slots. 3: slot classes. 2: slots may hold their value block-aligned,
     * checkpoint entries carry the data CRC.
     */
    public static final int FORMAT_VERSION = 4;
    /** The version of a store with slot classes of whole 4 KiB blocks only. */
    public static final int BLOCK_CLASSES_VERSION = 3;
    /** The oldest format version this version opens. */
    public static final int OLDEST_READABLE_VERSION = 2;
    public static final int SIZE = 4096;
    /** The most slot classes one store has. */
    public static final int MAX_CLASSES = 16;

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
    public static final long CLASS_COUNT_OFFSET = 96;
    public static final long CLASS_TABLE_OFFSET = 104;
    public static final int CLASS_ENTRY_SIZE = 32;
    public static final long CRC_OFFSET = SIZE - 4;

    /** Bits of a global position below the class number. */
    public static final int CLASS_SHIFT = 56;
    static final long CLASS_POSITION_MASK = (1L << CLASS_SHIFT) - 1;

    private SuperblockDescriptor() {
    }

    /** The format version a store of these classes is written with: 4 with a sector class, else 3. */
    static int versionFor(List<SlotClass> classes) {
        for (SlotClass c : classes) {
            if (c.slotSize() % SlotDescriptor.BLOCK != 0) {
                return FORMAT_VERSION;
            }
        }
        return BLOCK_CLASSES_VERSION;
    }

    /**
     * One slot class: a ring of {@code slotCount} slots of {@code slotSize} bytes from {@code slotsOffset};
     * {@code firstSlot} is its first slot's number among the slots of all classes.
     */
    public record SlotClass(int id, long slotSize, long slotCount, long slotsOffset, long firstSlot) {
        /** Where slot {@code i} of this class starts on the device. */
        public long slotOffset(long i) {
            return slotsOffset + i * slotSize;
        }
    }

    /**
     * The decoded superblock. {@code slotSize} is the largest class's slot size, {@code slotCount} the
     * slots of all classes, {@code slotsOffset} where the first class starts; {@code classes} in order
     * of slot size; {@code formatVersion} the version the store was formatted with (2, 3 or 4; a store of
     * version 2 is read as one class).
     */
    public record Superblock(UUID uuid, int blockSize, long slotSize, long slotCount, long checkpoint0,
            long checkpoint1, long checkpointSize, long slotsOffset, int maxKeyLength, long createdMs,
            List<SlotClass> classes, int formatVersion) {

        /** A superblock of the version its classes need: 4 with a sector class, else 3. */
        public Superblock(UUID uuid, int blockSize, long slotSize, long slotCount, long checkpoint0, long checkpoint1,
                long checkpointSize, long slotsOffset, int maxKeyLength, long createdMs, List<SlotClass> classes) {
            this(uuid, blockSize, slotSize, slotCount, checkpoint0, checkpoint1, checkpointSize, slotsOffset,
                    maxKeyLength, createdMs, classes, versionFor(classes));
        }

        public Superblock {
            classes = List.copyOf(classes);
            if (classes.isEmpty() || classes.size() > MAX_CLASSES) {
                throw new IllegalArgumentException("a store has 1 to " + MAX_CLASSES + " slot classes: classes="
                        + classes.size());
            }
        }

        /** A store of one class of {@code slotCount} slots of {@code slotSize} from {@code slotsOffset}. */
        public Superblock(UUID uuid, int blockSize, long slotSize, long slotCount, long checkpoint0, long checkpoint1,
                long checkpointSize, long slotsOffset, int maxKeyLength, long createdMs) {
            this(uuid, blockSize, slotSize, slotCount, checkpoint0, checkpoint1, checkpointSize, slotsOffset,
                    maxKeyLength, createdMs, List.of(new SlotClass(0, slotSize, slotCount, slotsOffset, 0)));
        }

        /** Low 64 bits of the uuid, stamped in every slot header to reject slots of an older store. */
        public long storeId() {
            return uuid.getLeastSignificantBits();
        }

        /** Where slot {@code slotIndex} of class 0 starts (the only class of a one-class store). */
        public long slotOffset(long slotIndex) {
            return classes.getFirst().slotOffset(slotIndex);
        }

        /** The global position of position {@code classPosition} of class {@code classId}'s ring. */
        public static long position(int classId, long classPosition) {
            return ((long) classId << CLASS_SHIFT) | classPosition;
        }

        /** The class a global position belongs to. */
        public SlotClass classOf(long position) {
            return classes.get((int) (position >>> CLASS_SHIFT));
        }

        /** A global position's place in its class's ring (the count of writes to that ring before it). */
        public static long classPosition(long position) {
            return position & CLASS_POSITION_MASK;
        }

        /** The slot (numbered over all classes) that global position {@code position} lands in. */
        public int slotOf(long position) {
            SlotClass c = classOf(position);
            return (int) (c.firstSlot() + Long.remainderUnsigned(classPosition(position), c.slotCount()));
        }

        /** Where on the device global position {@code position}'s slot starts. */
        public long positionOffset(long position) {
            SlotClass c = classOf(position);
            return c.slotOffset(Long.remainderUnsigned(classPosition(position), c.slotCount()));
        }

        /** The slot size of the class of global position {@code position}. */
        public long slotSizeAt(long position) {
            return classOf(position).slotSize();
        }

        /** Where slot {@code slot} (numbered over all classes) starts on the device. */
        public long globalSlotOffset(long slot) {
            for (SlotClass c : classes) {
                if (slot < c.firstSlot() + c.slotCount()) {
                    return c.slotOffset(slot - c.firstSlot());
                }
            }
            throw new IllegalArgumentException("no such slot: slot=" + slot + ", slots=" + slotCount);
        }

        /** The class slot {@code slot} (numbered over all classes) belongs to. */
        public SlotClass classOfSlot(long slot) {
            for (SlotClass c : classes) {
                if (slot < c.firstSlot() + c.slotCount()) {
                    return c;
                }
            }
            throw new IllegalArgumentException("no such slot: slot=" + slot + ", slots=" + slotCount);
        }

        /** Where the last slot of the last class ends. */
        public long end() {
            long end = 0;
            for (SlotClass c : classes) {
                end = Math.max(end, c.slotOffset(c.slotCount()));
            }
            return end;
        }
    }

    static void encode(Superblock sb, MemorySegment buf) {
        buf.asSlice(0, SIZE).fill((byte) 0);
        buf.set(Le.U64, MAGIC_OFFSET, MAGIC);
        // A copy repaired from the other keeps the store's version: format 2 has no class table.
        buf.set(Le.U32, VERSION_OFFSET, sb.formatVersion());
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
        for (SlotClass c : sb.formatVersion() >= 3 ? sb.classes() : List.<SlotClass>of()) {
            buf.set(Le.U32, CLASS_COUNT_OFFSET, sb.classes().size());
            long at = CLASS_TABLE_OFFSET + (long) c.id() * CLASS_ENTRY_SIZE;
            buf.set(Le.U64, at, c.slotSize());
            buf.set(Le.U64, at + 8, c.slotCount());
            buf.set(Le.U64, at + 16, c.slotsOffset());
        }
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

    /** The superblock (of this version or version 2), or null when the magic, version or CRC is wrong. */
    static Superblock decode(MemorySegment buf) {
        int version = intactVersion(buf);
        if (version < OLDEST_READABLE_VERSION || version > FORMAT_VERSION) {
            return null;
        }
        UUID uuid = new UUID(buf.get(Le.U64, UUID_OFFSET), buf.get(Le.U64, UUID_OFFSET + 8));
        int blockSize = buf.get(Le.U32, BLOCK_SIZE_OFFSET);
        long slotSize = buf.get(Le.U64, SLOT_SIZE_OFFSET);
        long slotCount = buf.get(Le.U64, SLOT_COUNT_OFFSET);
        long slotsOffset = buf.get(Le.U64, SLOTS_OFFSET_OFFSET);
        List<SlotClass> classes = new ArrayList<>();
        if (version == 2) {
            classes.add(new SlotClass(0, slotSize, slotCount, slotsOffset, 0));
        } else {
            int n = buf.get(Le.U32, CLASS_COUNT_OFFSET);
            if (n < 1 || n > MAX_CLASSES) {
                return null;
            }
            long first = 0;
            for (int i = 0; i < n; i++) {
                long at = CLASS_TABLE_OFFSET + (long) i * CLASS_ENTRY_SIZE;
                long size = buf.get(Le.U64, at);
                long count = buf.get(Le.U64, at + 8);
                classes.add(new SlotClass(i, size, count, buf.get(Le.U64, at + 16), first));
                first += count;
            }
        }
        return new Superblock(uuid, blockSize, slotSize, slotCount, buf.get(Le.U64, CHECKPOINT0_OFFSET),
                buf.get(Le.U64, CHECKPOINT1_OFFSET), buf.get(Le.U64, CHECKPOINT_SIZE_OFFSET), slotsOffset,
                buf.get(Le.U32, MAX_KEY_OFFSET), buf.get(Le.U64, CREATED_OFFSET), classes, version);
    }
}
