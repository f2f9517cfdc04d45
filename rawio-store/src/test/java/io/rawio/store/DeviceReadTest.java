package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.nativeio.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A get whose device read the caller issues itself (planRead, its own pread, finishRead): the value
 * checks out where the store says, a write during the read asks for the read again, a damaged slot is
 * CORRUPT and its key dropped, and a value read enters the DRAM tier.
 */
class DeviceReadTest {
    @TempDir
    Path dir;

    SlotStore open(StoreOptions o) throws Exception {
        Path p = dir.resolve("dr.store");
        SlotStore.format(p, 32L << 20, SlotClasses.of(List.of(4096L, 16384L, 1L << 20)), false, o,
                Preallocation.FALLOCATE, FormatProgress.NONE);
        return SlotStore.open(p, o);
    }

    static byte[] value(String tag, int n) {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
            v[i] = (byte) (tag.hashCode() * 31 + i * 7);
        }
        return v;
    }

    /** The caller's side: pread the planned bytes into aligned memory, then finish. */
    static long readAndFinish(SlotStore s, DeviceRead r, MemorySegment buf) {
        assertEquals(0, r.offset() % DeviceRead.ALIGNMENT, "aligned offset");
        assertEquals(0, r.length() % DeviceRead.ALIGNMENT, "whole blocks");
        long n = Libc.pread(r.fd(), buf, r.length(), r.offset());
        assertTrue(n > 0, "pread: " + n);
        return s.onRing().finishRead(r, buf, n);
    }

    @Test
    void valuesOfEveryShapeCheckOutWhereTheStoreSays() throws Exception {
        try (SlotStore s = open(StoreTesting.psyncOptions()); Arena a = Arena.ofConfined()) {
            // small (header, key and value in one block), block-aligned (the value read alone), large
            int[] sizes = {0, 1, 100, 3000, 4096, 8192, 12_000, 65_536, 1_000_000};
            for (int n : sizes) {
                s.put(key("k" + n), value("v" + n, n));
            }
            for (int n : sizes) {
                DeviceRead r = s.onRing().planRead(key("k" + n));
                assertNotNull(r, "present: " + n);
                assertEquals(n, r.valueLength());
                MemorySegment buf = a.allocate(r.length(), DeviceRead.ALIGNMENT);
                long at = readAndFinish(s, r, buf);
                assertTrue(at >= 0, "value found for " + n + ": " + at);
                assertArrayEquals(value("v" + n, n), buf.asSlice(at, n).toArray(ValueLayout.JAVA_BYTE), "size " + n);
            }
            assertNull(s.onRing().planRead(key("absent")));
        }
    }

    @Test
    void aWriteDuringTheReadAsksForTheReadAgain() throws Exception {
        try (SlotStore s = open(StoreTesting.psyncOptions()); Arena a = Arena.ofConfined()) {
            s.put(key("k"), value("old", 3000));
            DeviceRead r = s.onRing().planRead(key("k"));
            // A newer put goes to another slot; the ring goes round until the old slot is rewritten.
            for (int i = 0; i < 5000; i++) {
                s.put(key(i % 2 == 0 ? "k" : "other" + i), value("new" + i, 3000));
            }
            MemorySegment buf = a.allocate(r.length(), DeviceRead.ALIGNMENT);
            long at = readAndFinish(s, r, buf);
            assertEquals(StoreRing.READ_AGAIN, at, "the slot read holds something else now");
            DeviceRead again = s.onRing().planRead(key("k"));
            long at2 = readAndFinish(s, again, buf.asSlice(0, again.length()));
            assertTrue(at2 >= 0);
            assertArrayEquals(value("new4998", 3000), buf.asSlice(at2, 3000).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void aDamagedSlotIsCorruptAndItsKeyDropped() throws Exception {
        Path p = dir.resolve("dr.store");
        try (SlotStore s = open(StoreTesting.psyncOptions())) {
            s.put(key("k"), value("v", 3000));
        }
        try (SlotStore s = SlotStore.open(p, StoreTesting.psyncOptions()); Arena a = Arena.ofConfined()) {
            DeviceRead r = s.onRing().planRead(key("k"));
            StoreTesting.flipByte(p, r.offset() + SlotDescriptor.HEADER_SIZE + 1 + 500); // inside the value
            MemorySegment buf = a.allocate(r.length(), DeviceRead.ALIGNMENT);
            assertEquals(StoreRing.CORRUPT, readAndFinish(s, r, buf));
            assertNotNull(r.corrupt());
            assertTrue(r.corrupt().contains("corrupt slot"), r.corrupt());
            assertNull(s.onRing().planRead(key("k")), "dropped");
        }
    }

    @Test
    void aValueReadEntersTheDramTier() throws Exception {
        try (SlotStore s = open(StoreTesting.psyncOptions().withCache(4L << 20)); Arena a = Arena.ofConfined()) {
            s.put(key("k"), value("v", 5000));
            MemorySegment into = a.allocate(8192);
            // A put does not fill the tier; the first get is the device's.
            assertEquals(SlotStore.NOT_CACHED, s.getIfCached(key("k"), into));
            DeviceRead r = s.onRing().planRead(key("k"));
            MemorySegment buf = a.allocate(r.length(), DeviceRead.ALIGNMENT);
            assertTrue(readAndFinish(s, r, buf) >= 0);
            assertEquals(5000, s.getIfCached(key("k"), into), "in the tier now");
            assertArrayEquals(value("v", 5000), into.asSlice(0, 5000).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
