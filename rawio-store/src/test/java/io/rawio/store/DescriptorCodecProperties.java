package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.store.SuperblockDescriptor.Superblock;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** The codecs in the descriptors, on heap segments: no file, no store. */
class DescriptorCodecProperties {
    static final long STORE_ID = 0x1234_5678_9abc_def0L;

    @Property(tries = 300)
    void aFilledSlotHoldsItsKeyAndValueWhereAGetReadsThem(@ForAll @Size(min = 1, max = 1024) byte[] key,
            @ForAll @IntRange(min = 0, max = 20_000) int valueLength, @ForAll @IntRange(min = 1, max = 8) int blocks,
            @ForAll @IntRange(min = 0, max = 7) int sectors, @ForAll long sequence) {
        // Whole blocks, or (sectors > 0) a sector class: its slots are written and read in 512-byte sectors.
        long slotSize = (long) blocks * 4096 + sectors * 512L
                + (valueLength + key.length + 64 > blocks * 4096L + sectors * 512L ? 24_576 : 0);
        long unit = sectors == 0 ? 4096 : 512;
        assertEquals(unit, SlotDescriptor.granule(slotSize));
        byte[] value = new byte[valueLength];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) (i * 7 + key.length);
        }
        long used = SlotDescriptor.usedBlocks(key.length, valueLength, slotSize);
        assertTrue(used <= slotSize, "a slot's write stays within the slot: " + used + " of " + slotSize);
        assertEquals(0, used % unit, "a slot is written in whole units");
        MemorySegment slot = MemorySegment.ofArray(new byte[(int) used]);
        slot.fill((byte) 0x5a); // garbage from a previous use of the buffer
        int crc = SlotDescriptor.fill(slot, key, MemorySegment.ofArray(value), SlotDescriptor.FLAG_LIVE, sequence,
                STORE_ID, slotSize);
        assertEquals(crc, SlotDescriptor.dataCrc(slot));
        assertTrue(SlotDescriptor.holdsLiveValue(slot, used, key, valueLength, STORE_ID, slotSize));
        assertEquals(sequence, SlotDescriptor.sequence(slot));
        // A get reads getReadBytes from getReadOffset: the value is at its start when aligned, else after
        // header and key; either way those bytes are the value and the CRC over key ++ value is the slot's.
        long at = SlotDescriptor.getReadOffset(key.length, valueLength, slotSize);
        long n = SlotDescriptor.getReadBytes(key.length, valueLength, slotSize);
        assertEquals(0, at % unit, "reads start on a block (a sector in a sector class)");
        assertEquals(0, n % unit, "reads are whole blocks (sectors)");
        assertTrue(at + n <= used, "a get reads within the written part");
        long valueAt = SlotDescriptor.valueOffset(key.length, valueLength, slotSize);
        assertArrayEquals(value, slot.asSlice(valueAt, valueLength).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(crc, Le.crc32c(key, slot, valueAt, valueLength));
        // Not the slot of a shorter read, another store, another key or another length.
        assertFalse(SlotDescriptor.holdsLiveValue(slot, SlotDescriptor.usedBytes(key.length, valueLength, slotSize) - 1,
                key, valueLength, STORE_ID, slotSize));
        assertFalse(SlotDescriptor.holdsLiveValue(slot, used, key, valueLength, STORE_ID + 1, slotSize));
        assertFalse(SlotDescriptor.holdsLiveValue(slot, used, key, valueLength + 1, STORE_ID, slotSize));
        byte[] other = key.clone();
        other[other.length - 1] ^= 1;
        assertFalse(SlotDescriptor.holdsLiveValue(slot, used, other, valueLength, STORE_ID, slotSize));
    }

    @Property(tries = 200)
    void anyFlippedByteOfHeaderKeyOrValueIsCaught(@ForAll @Size(min = 1, max = 64) byte[] key,
            @ForAll @IntRange(min = 1, max = 9000) int valueLength, @ForAll @IntRange(min = 0) int where) {
        long slotSize = 16_384;
        byte[] value = new byte[valueLength];
        java.util.Arrays.fill(value, (byte) 3);
        long used = SlotDescriptor.usedBlocks(key.length, valueLength, slotSize);
        MemorySegment slot = MemorySegment.ofArray(new byte[(int) used]);
        SlotDescriptor.fill(slot, key, MemorySegment.ofArray(value), SlotDescriptor.FLAG_LIVE, 7, STORE_ID, slotSize);
        // Every byte that counts: the header (its reserved bytes are under the header CRC too), the key,
        // and the value where it lies.
        long valueAt = SlotDescriptor.valueOffset(key.length, valueLength, slotSize);
        long r = Integer.remainderUnsigned(where, 64 + key.length + valueLength);
        long off = r < 64 + key.length ? r : valueAt + (r - 64 - key.length);
        slot.set(ValueLayout.JAVA_BYTE, off, (byte) (slot.get(ValueLayout.JAVA_BYTE, off) ^ 0x40));
        assertFalse(SlotDescriptor.holdsLiveValue(slot, used, key, valueLength, STORE_ID, slotSize),
                "flipped byte at " + off + " not caught");
    }

    @Property(tries = 100)
    void checkpointEntriesRoundTrip(@ForAll("entries") List<byte[]> keys) {
        long total = 0;
        for (byte[] k : keys) {
            total += k.length;
        }
        long length = CheckpointDescriptor.payloadLength(keys.size(), total);
        MemorySegment payload = MemorySegment.ofArray(new byte[(int) length]);
        long at = 0;
        for (int i = 0; i < keys.size(); i++) {
            at = CheckpointDescriptor.encodeEntry(payload, at, keys.get(i), 1000L + i, i * 3, i * 31);
        }
        assertEquals(length, at);
        List<byte[]> back = new ArrayList<>();
        int[] i = {0};
        long read = CheckpointDescriptor.decodeEntries(payload, keys.size(), (k, p, l, c) -> {
            assertEquals(1000L + i[0], p);
            assertEquals(i[0] * 3, l);
            assertEquals(i[0] * 31, c);
            back.add(k);
            i[0]++;
        });
        assertEquals(length, read);
        for (int j = 0; j < keys.size(); j++) {
            assertArrayEquals(keys.get(j), back.get(j));
        }
        if (!keys.isEmpty()) {
            // One entry more than was written runs past the payload: refused, not read as garbage.
            assertThrows(RuntimeException.class,
                    () -> CheckpointDescriptor.decodeEntries(payload, keys.size() + 1, (k, p, l, c) -> { }));
        }
    }

    @Provide
    Arbitrary<List<byte[]>> entries() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(1024).list().ofMaxSize(40);
    }

    @Property(tries = 200)
    void positionsMapRoundTheRing(@ForAll @LongRange(min = 2, max = 1_000_000) long slots,
            @ForAll @LongRange(min = 0, max = 1L << 55) long position) {
        Superblock sb = new Superblock(UUID.randomUUID(), 4096, 8192, slots, 8192, 8192 + (1 << 20), 1 << 20,
                8192 + (2 << 20), 1024, 0);
        int slot = sb.slotOf(position);
        assertEquals(position % slots, slot);
        assertEquals(slot, sb.slotOf(position + slots), "one lap later: the same slot");
        assertEquals(sb.slotsOffset() + slot * 8192L, sb.positionOffset(position));
    }
}
