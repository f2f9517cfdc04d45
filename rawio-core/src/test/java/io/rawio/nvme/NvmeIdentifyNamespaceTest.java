package io.rawio.nvme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class NvmeIdentifyNamespaceTest {
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static MemorySegment identify(Arena a, long nsze, int nlbaf, int flbas) {
        MemorySegment id = a.allocate(NvmeIdentifyNamespace.SIZE);
        id.set(LE_LONG, 0, nsze);
        id.set(ValueLayout.JAVA_BYTE, 25, (byte) nlbaf);
        id.set(ValueLayout.JAVA_BYTE, 26, (byte) flbas);
        lbaf(id, 0, 0, 9);
        lbaf(id, 1, 8, 9);
        lbaf(id, 2, 0, 12);
        lbaf(id, 3, 64, 12);
        lbaf(id, 17, 0, 12);
        return id;
    }

    private static void lbaf(MemorySegment id, int i, int ms, int lbads) {
        id.set(LE_SHORT, 128 + 4L * i, (short) ms);
        id.set(ValueLayout.JAVA_BYTE, 128 + 4L * i + 2, (byte) lbads);
    }

    @Test
    void theFormatInUseGivesBlockSizeMetadataAndCapacity() {
        try (Arena a = Arena.ofConfined()) {
            var ns = NvmeIdentifyNamespace.decode(identify(a, 65536, 3, 2));
            assertEquals(4096, ns.lbaSize());
            assertEquals(0, ns.metadataBytes());
            assertEquals(65536L * 4096, ns.capacityBytes());
            var meta = NvmeIdentifyNamespace.decode(identify(a, 1000, 3, 1 | 0x10));
            assertEquals(512, meta.lbaSize());
            assertEquals(8, meta.metadataBytes(), "a format with metadata is seen (the engine refuses it)");
        }
    }

    @Test
    void flbasUpperBitsCountFromSixteenFormatsOn() {
        try (Arena a = Arena.ofConfined()) {
            // format 17 = 0b01_0001: low nibble 1, bits 5-6 = 01
            var ns = NvmeIdentifyNamespace.decode(identify(a, 8, 31, 0x1 | (0x1 << 5)));
            assertEquals(17, ns.format());
            assertEquals(4096, ns.lbaSize());
            // With fewer than 17 formats bits 5-6 are reserved: ignored.
            assertEquals(1, NvmeIdentifyNamespace.decode(identify(a, 8, 3, 0x1 | (0x1 << 5))).format());
        }
    }

    @Test
    void anImpossibleBlockSizeIsRefused() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = identify(a, 8, 3, 0);
            lbaf(id, 0, 0, 0);
            assertThrows(IllegalArgumentException.class, () -> NvmeIdentifyNamespace.decode(id));
        }
    }

    @Test
    void mdtsIsByte77OfIdentifyController() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(4096);
            id.set(ValueLayout.JAVA_BYTE, 77, (byte) 5);
            assertEquals(5, NvmeIdentifyNamespace.mdts(id));
        }
    }
}
