package io.rawio.store;

import static io.rawio.store.StoreTesting.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.engine.FaultConfig;
import io.rawio.engine.FaultInjectingEngine;
import io.rawio.engine.IoEngine;
import io.rawio.engine.PsyncEngine;
import io.rawio.store.SuperblockDescriptor.Superblock;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write pipeline, read path and checker wired by hand on a store file, without the facade: what
 * one writes the others find, a delete in place leaves a tombstone recovery applies, and a failed
 * write fails its keys and the store.
 */
class WritePipelineTest {
    @TempDir
    Path dir;

    /** The parts, as the facade wires them. */
    record Parts(StoreFile file, RingState ring, WritePipeline writes, ReadPath reads, Checker checker,
            FailureLatch failure, ScratchBuffers scratch) implements AutoCloseable {
        static Parts open(Path p, StoreOptions o, IoEngine engine) throws IOException {
            StoreFile f = StoreFile.open(p, o, engine, "");
            Superblock sb = f.superblock();
            RingBounds bounds = new RingBounds(sb.slotCount());
            CheckpointIo io = new CheckpointIo(f);
            KeyIndex index = new KeyIndex(sb.slotCount());
            Recovery.Result r = Recovery.run(f, io, index);
            FailureLatch failure = new FailureLatch(p);
            RingState ring = new RingState(sb, index, r, EvictionPolicy.of(o.eviction()), failure);
            ScratchBuffers scratch = new ScratchBuffers(4096);
            Checkpointer cp = new Checkpointer(ring, io, failure, sb.slotCount());
            return new Parts(f, ring, new WritePipeline(f, o, ring, bounds, failure, scratch, cp),
                    new ReadPath(f, o, ring, scratch), new Checker(f, o, ring, io), failure, scratch);
        }

        SlotStore.Result[] put(List<byte[]> keys, int valueLength) throws IOException {
            List<MemorySegment> values = new ArrayList<>();
            for (byte[] k : keys) {
                values.add(MemorySegment.ofArray(StoreTesting.valueFor(new String(k), valueLength)));
            }
            SlotStore.Result[] r = new SlotStore.Result[keys.size()];
            writes.writeAll(keys, values, r, SlotDescriptor.FLAG_LIVE);
            return r;
        }

        @Override
        public void close() throws IOException {
            scratch.close();
            file.close();
        }
    }

    static List<byte[]> keys(String prefix, int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(key(prefix + i));
        }
        return out;
    }

    @Test
    void whatThePipelineWritesTheReadPathAndTheCheckerFind() throws Exception {
        Path p = dir.resolve("parts.store");
        StoreOptions o = StoreTesting.psyncOptions().withBatchSize(8);
        SlotStore.format(p, 8L << 20, 16384, false, o);
        try (Parts parts = Parts.open(p, o, new PsyncEngine())) {
            List<byte[]> ks = keys("k", 100);
            for (SlotStore.Result r : parts.put(ks, 9000)) {
                assertEquals(SlotStore.Result.OK, r);
            }
            List<GetResult> got = parts.reads().getMany(ks);
            for (int i = 0; i < ks.size(); i++) {
                assertArrayEquals(StoreTesting.valueFor("k" + i, 9000), got.get(i).value(), "key " + i);
            }
            assertNull(parts.reads().getMany(List.of(key("absent"))).getFirst().value());
            CheckReport c = parts.checker().check();
            assertEquals(100, c.keysVerified(), c.toString());
            assertTrue(c.healthy(), c.toString());
            SlotStore.Result[] bad = parts.put(List.of(new byte[0], new byte[SlotStore.MAX_KEY_LENGTH + 1]), 10);
            assertEquals(SlotStore.Status.INVALID, bad[0].status());
            assertEquals(SlotStore.Status.INVALID, bad[1].status());
        }
    }

    @Test
    void aDeleteInPlaceIsATombstoneAtTheKeysOwnPosition() throws Exception {
        Path p = dir.resolve("reject.store");
        StoreOptions o = StoreTesting.psyncOptions().withBatchSize(4).withEviction(StoreOptions.Eviction.REJECT);
        SlotStore.format(p, (2L << 20) + (16 << 10) + 16 * 8192, 8192, false, o);
        long victimPosition;
        try (Parts parts = Parts.open(p, o, new PsyncEngine())) {
            assertEquals(16, parts.file().superblock().slotCount());
            List<byte[]> ks = keys("k", 16);
            for (SlotStore.Result r : parts.put(ks, 3000)) {
                assertEquals(SlotStore.Result.OK, r);
            }
            victimPosition = parts.ring().keys().stream().filter(k -> new String(k.key()).equals("k5"))
                    .findFirst().orElseThrow().position();
            assertTrue(parts.writes().deleteInPlace(key("k5")));
            assertFalse(parts.ring().contains(key("k5")));
        }
        // The position still holds a valid slot, a tombstone of the key at its own sequence, so recovery
        // crosses it (no hole in the ring) and drops the key; its value blocks are zeros.
        try (Parts parts = Parts.open(p, o, new PsyncEngine())) {
            Superblock sb = parts.file().superblock();
            byte[] all = java.nio.file.Files.readAllBytes(p);
            MemorySegment slot = MemorySegment.ofArray(all).asSlice(sb.positionOffset(victimPosition), sb.slotSize());
            assertTrue(SlotDescriptor.headerValid(slot, sb.storeId(), sb.slotSize()), "a valid header");
            assertEquals(SlotDescriptor.FLAG_TOMBSTONE, SlotDescriptor.flags(slot));
            assertEquals(victimPosition, SlotDescriptor.sequence(slot));
            assertTrue(SlotDescriptor.dataValid(slot, sb.slotSize()));
            for (long i = 4096; i < sb.slotSize(); i++) {
                assertEquals(0, slot.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i), "value bytes zeroed at " + i);
            }
            assertFalse(parts.ring().contains(key("k5")));
            assertTrue(parts.ring().contains(key("k6")));
            assertEquals(15, parts.ring().keys().size());
            assertTrue(victimPosition >= 0);
        }
    }

    @Test
    void aFailedWriteFailsItsKeysAndTheStoreAndIsNeverAcknowledged() throws Exception {
        Path p = dir.resolve("eio.store");
        StoreOptions o = StoreTesting.psyncOptions().withBatchSize(4).withDurability(StoreOptions.Durability.DURABLE);
        SlotStore.format(p, 8L << 20, 8192, false, o);
        FaultInjectingEngine engine = new FaultInjectingEngine(new PsyncEngine(),
                FaultConfig.none(3).withWriteErrorOneIn(5));
        try (Parts parts = Parts.open(p, o, engine)) {
            List<byte[]> ks = keys("k", 64);
            SlotStore.Result[] r = parts.put(ks, 2000);
            int ok = 0;
            int failed = 0;
            for (SlotStore.Result x : r) {
                ok += x.ok() ? 1 : 0;
                failed += x.status() == SlotStore.Status.FAILED ? 1 : 0;
            }
            assertEquals(64, ok + failed);
            assertTrue(failed > 0, "one write in five fails");
            assertTrue(parts.failure().isSet());
            for (int i = 0; i < ks.size(); i++) {
                assertEquals(r[i].ok(), parts.ring().contains(ks.get(i)), "only acknowledged keys are indexed: " + i);
            }
            assertEquals(SlotStore.Status.FAILED, parts.put(keys("later", 1), 10)[0].status());
        }
    }
}
