package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rawio.engine.IoBatch;
import io.rawio.engine.IoOp;
import io.rawio.memory.AlignedMemory;
import io.rawio.store.CheckpointDescriptor.Header;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two checkpoint regions, read and written without the store. */
class CheckpointIoTest {
    @TempDir
    Path dir;
    Path path;
    final StoreOptions options = StoreTesting.psyncOptions();

    @BeforeEach
    void format() throws IOException {
        path = dir.resolve("ckpt.store");
        SlotStore.format(path, RecoveryTest.META + 64 * 8192, 8192, false, options);
    }

    StoreFile open() throws IOException {
        return StoreFile.open(path, options, StoreFile.createEngine(options, s -> { }), "");
    }

    /** Encodes entries key-i (i in [from, to)) into a payload; returns the payload length. */
    static long encode(MemorySegment payload, int from, int to) {
        long at = 0;
        for (int i = from; i < to; i++) {
            at = CheckpointDescriptor.encodeEntry(payload, at, key("key-" + i), i, 100 + i, 0x1000 + i);
        }
        return at;
    }

    static List<String> decode(MemorySegment payload, long count) {
        List<String> out = new ArrayList<>();
        CheckpointDescriptor.decodeEntries(payload, count, (k, p, l, c) ->
                out.add(new String(k, java.nio.charset.StandardCharsets.UTF_8) + "@" + p + "/" + l + "/" + c));
        return out;
    }

    static List<String> expected(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add("key-" + i + "@" + i + "/" + (100 + i) + "/" + (0x1000 + i));
        }
        return out;
    }

    /** Writes generation 1 (3 entries, scan start 10) and generation 2 (50 entries, scan start 77). */
    static void writeTwo(CheckpointIo io) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment payload = AlignedMemory.allocate(arena, 1 << 16, 4096);
            io.write(arena, 1, 10, 3, payload, encode(payload, 0, 3));
            io.write(arena, 2, 77, 50, payload, encode(payload, 0, 50));
        }
    }

    @Test
    void generationsAlternateBetweenTheTwoRegions() throws IOException {
        try (StoreFile f = open()) {
            CheckpointIo io = new CheckpointIo(f);
            assertEquals(f.superblock().checkpoint1(), io.regionOf(1));
            assertEquals(f.superblock().checkpoint0(), io.regionOf(2));
            assertEquals(f.superblock().checkpoint1(), io.regionOf(3));
            assertEquals(f.superblock().checkpoint0(), io.regionOf(1000));
            assertNotEquals(io.regionOf(1), io.regionOf(2));
            assertArrayEquals(new long[] {f.superblock().checkpoint0(), f.superblock().checkpoint1()}, io.regions());
            assertEquals(f.superblock().checkpointSize() - CheckpointDescriptor.HEADER_SIZE, io.maxPayload());
        }
    }

    @Test
    void bothWrittenCheckpointsReadBackWithTheirEntries() throws IOException {
        try (StoreFile f = open(); Arena arena = Arena.ofConfined()) {
            CheckpointIo io = new CheckpointIo(f);
            writeTwo(io);
            Header[] h = io.readHeaders(arena);
            assertNotNull(h[0]);
            assertNotNull(h[1]);
            assertEquals(2, h[0].generation(), "generation 2 lives in region 0");
            assertEquals(77, h[0].scanStart());
            assertEquals(50, h[0].count());
            assertEquals(1, h[1].generation());
            assertEquals(10, h[1].scanStart());
            assertEquals(3, h[1].count());
            long[] regions = io.regions();
            assertEquals(expected(0, 50), decode(io.payload(arena, regions[0], h[0]), h[0].count()));
            assertEquals(expected(0, 3), decode(io.payload(arena, regions[1], h[1]), h[1].count()));
            assertEquals(2, io.validRegions());
        }
    }

    @Test
    void aFreshStoreHasOneEmptyCheckpoint() throws IOException {
        try (StoreFile f = open(); Arena arena = Arena.ofConfined()) {
            CheckpointIo io = new CheckpointIo(f);
            Header[] h = io.readHeaders(arena);
            assertNull(h[0]);
            assertEquals(1, h[1].generation());
            assertEquals(0, h[1].count());
            assertEquals(MemorySegment.NULL, io.payload(arena, io.regions()[1], h[1]));
            assertEquals(1, io.validRegions());
        }
    }

    @Test
    void aPayloadByteFlippedOnDiskFailsItsCrc() throws IOException {
        long region0;
        try (StoreFile f = open()) {
            CheckpointIo io = new CheckpointIo(f);
            writeTwo(io);
            region0 = io.regions()[0];
        }
        StoreTesting.flipByte(path, region0 + CheckpointDescriptor.HEADER_SIZE + 500);
        try (StoreFile f = open(); Arena arena = Arena.ofConfined()) {
            CheckpointIo io = new CheckpointIo(f);
            Header[] h = io.readHeaders(arena);
            assertEquals(2, h[0].generation(), "the header itself is intact");
            assertNull(io.payload(arena, io.regions()[0], h[0]));
            assertEquals(expected(0, 3), decode(io.payload(arena, io.regions()[1], h[1]), h[1].count()));
            assertEquals(1, io.validRegions());
        }
    }

    @Test
    void aHeaderByteFlippedOnDiskInvalidatesTheHeader() throws IOException {
        long region1;
        try (StoreFile f = open()) {
            CheckpointIo io = new CheckpointIo(f);
            writeTwo(io);
            region1 = io.regions()[1];
        }
        StoreTesting.flipByte(path, region1 + CheckpointDescriptor.SCAN_START_OFFSET);
        try (StoreFile f = open(); Arena arena = Arena.ofConfined()) {
            CheckpointIo io = new CheckpointIo(f);
            Header[] h = io.readHeaders(arena);
            assertEquals(2, h[0].generation());
            assertNull(h[1]);
            assertEquals(1, io.validRegions());
        }
    }

    /**
     * A header (valid CRC) claiming one byte more payload than the region holds, whose payload CRC
     * matches the bytes that lie there on the device, past the region's end: refused all the same.
     */
    @Test
    void aPayloadLongerThanTheRegionIsRefused() throws IOException {
        try (StoreFile f = open(); Arena arena = Arena.ofConfined()) {
            CheckpointIo io = new CheckpointIo(f);
            long region = io.regions()[0];
            long length = io.maxPayload() + 1;
            int crc = crcOfFile(region + CheckpointDescriptor.HEADER_SIZE, length);
            Header forged = new Header(5, 0, 1, length, crc);
            writeHeader(f, region, forged);
            Header[] h = io.readHeaders(arena);
            assertEquals(forged, h[0], "test setup: the forged header reads back valid");
            assertNull(io.payload(arena, region, h[0]));
            assertEquals(1, io.validRegions(), "only the format's generation 1");

            // The same forged header with a length that fits is accepted: the length alone refused it.
            long fits = io.maxPayload();
            Header ok = new Header(5, 0, 1, fits, crcOfFile(region + CheckpointDescriptor.HEADER_SIZE, fits));
            writeHeader(f, region, ok);
            assertNotNull(io.payload(arena, region, io.readHeaders(arena)[0]));
            assertEquals(2, io.validRegions());
        }
    }

    @Test
    void aHeaderCountingEntriesWithNoPayloadIsRefused() throws IOException {
        try (StoreFile f = open(); Arena arena = Arena.ofConfined()) {
            CheckpointIo io = new CheckpointIo(f);
            long region = io.regions()[0];
            writeHeader(f, region, new Header(5, 0, 3, 0, 0));
            assertNull(io.payload(arena, region, io.readHeaders(arena)[0]));
        }
    }

    int crcOfFile(long offset, long length) throws IOException {
        byte[] bytes = new byte[(int) length];
        try (RandomAccessFile r = new RandomAccessFile(path.toFile(), "r")) {
            r.seek(offset);
            r.readFully(bytes);
        }
        CRC32C c = new CRC32C();
        c.update(bytes);
        return (int) c.getValue();
    }

    static void writeHeader(StoreFile f, long region, Header h) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = AlignedMemory.allocate(arena, CheckpointDescriptor.HEADER_SIZE, 4096);
            CheckpointDescriptor.encodeHeader(buf, h);
            IoBatch b = new IoBatch(2);
            b.write(f.file(), region, buf);
            b.fdatasync(f.file());
            f.execute(b);
            b.throwIfFailed();
        }
    }

    /** A checkpoint is one batch: the payload and the header, then one fdatasync after both. */
    @Test
    void aCheckpointIsItsTwoWritesThenOneFlush() throws IOException {
        List<List<IoOp>> batches = new ArrayList<>();
        io.rawio.engine.IoEngine recording = new io.rawio.engine.ForwardingIoEngine(
                StoreFile.createEngine(options, s -> { })) {
            @Override
            public void execute(IoBatch batch) {
                List<IoOp> ops = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    ops.add(batch.op(i));
                }
                batches.add(ops);
                super.execute(batch);
            }
        };
        try (StoreFile f = StoreFile.open(path, options, recording, ""); Arena arena = Arena.ofConfined()) {
            CheckpointIo io = new CheckpointIo(f);
            MemorySegment payload = AlignedMemory.allocate(arena, 1 << 16, 4096);
            batches.clear();
            io.write(arena, 2, 77, 50, payload, encode(payload, 0, 50));
            assertEquals(List.of(List.of(IoOp.WRITE, IoOp.WRITE,
                    IoOp.FDATASYNC)), batches);
            batches.clear();
            io.write(arena, 3, 80, 0, payload, 0);
            assertEquals(List.of(List.of(IoOp.WRITE, IoOp.FDATASYNC)), batches,
                    "no entries: the header and the flush");
            Header[] h = io.readHeaders(arena);
            assertEquals(2, h[0].generation());
            assertEquals(expected(0, 50), decode(io.payload(arena, io.regionOf(2), h[0]), 50));
            assertEquals(3, h[1].generation());
        }
    }

    @Test
    void theLastBlockOfAPayloadIsZeroedPastItsLength() throws IOException {
        try (StoreFile f = open(); Arena arena = Arena.ofConfined()) {
            CheckpointIo io = new CheckpointIo(f);
            MemorySegment payload = AlignedMemory.allocate(arena, 8192, 4096);
            payload.fill((byte) 0x5a);
            long length = encode(payload, 0, 2);
            long written = io.write(arena, 2, 0, 2, payload, length);
            assertEquals(2 * 4096, written, "one header block and one payload block");
            byte[] block = new byte[4096];
            try (RandomAccessFile r = new RandomAccessFile(path.toFile(), "r")) {
                r.seek(io.regionOf(2) + CheckpointDescriptor.HEADER_SIZE);
                r.readFully(block);
            }
            for (int i = (int) length; i < block.length; i++) {
                assertEquals(0, block[i], "byte " + i + " past the payload");
            }
            assertEquals(payload.get(ValueLayout.JAVA_BYTE, 0), block[0]);
        }
    }
}
