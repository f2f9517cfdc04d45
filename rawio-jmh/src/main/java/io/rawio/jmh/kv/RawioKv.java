package io.rawio.jmh.kv;

import io.rawio.store.FormatProgress;
import io.rawio.store.GetResult;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotDescriptor;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** rawio's slot store on a preallocated file: O_DIRECT unless asked otherwise, the default engine, batches as putMany/getMany. */
final class RawioKv implements KvStore {
    static final String FILE = "rawio.store";

    private final SlotStore store;
    private final Path file;

    RawioKv(Path dir, long keys, int maxKeyLength, int valueSize, int batch, Durability durability,
            boolean create, Preallocation prealloc, boolean direct,
            String engine) throws IOException {
        long slot = slotSize(maxKeyLength, valueSize);
        // Enough slots for every key plus headroom, so that nothing is evicted during the run.
        long size = (keys + keys / 8 + 64) * slot + (64L << 20);
        file = dir.resolve(FILE);
        StoreOptions opts = StoreOptions.defaults()
                .withBatchSize(batch)
                .withDirect(direct)
                .withEngine(engine)
                .withDurability(durability == Durability.DURABLE ? StoreOptions.Durability.DURABLE
                        : StoreOptions.Durability.NONE);
        if (create) {
            SlotStore.format(file, size, slot, false, opts, prealloc, FormatProgress.NONE);
        }
        store = SlotStore.open(file, opts);
    }

    /** The smallest 4 KiB multiple that holds the slot header, the key and the value. */
    static long slotSize(int maxKeyLength, int valueSize) {
        long need = SlotDescriptor.HEADER_SIZE + (long) maxKeyLength + valueSize;
        return (need + 4095) / 4096 * 4096;
    }

    String engine() {
        return store.engineName();
    }

    @Override
    public void putBatch(List<byte[]> keys, List<byte[]> values) throws IOException {
        List<MemorySegment> segs = new ArrayList<>(values.size());
        for (byte[] v : values) {
            segs.add(MemorySegment.ofArray(v));
        }
        List<SlotStore.Result> r = store.putMany(keys, segs);
        for (int i = 0; i < r.size(); i++) {
            if (!r.get(i).ok()) {
                throw new IOException("rawio put failed: " + r.get(i).error());
            }
        }
    }

    @Override
    public List<byte[]> getBatch(List<byte[]> keys) throws IOException {
        List<GetResult> r = store.getMany(keys);
        List<byte[]> out = new ArrayList<>(r.size());
        for (GetResult g : r) {
            if (g.corrupt() != null) {
                throw new IOException("rawio get: corrupt: " + g.corrupt());
            }
            out.add(g.value());
        }
        return out;
    }

    @Override
    public void put(byte[] key, byte[] value) throws IOException {
        store.put(key, value);
    }

    @Override
    public byte[] get(byte[] key) throws IOException {
        return store.get(key);
    }

    @Override
    public void finishWrites() throws IOException {
        // Durability none: every acknowledged write completed (with O_DIRECT on the device, buffered in the
        // page cache); one checkpoint (written and fdatasync'ed) makes the writeback, the device's cache
        // flush and the index part of the phase, as RocksDB's flush and LMDB's sync are for them.
        store.checkpoint();
    }

    @Override
    public long bytesOnDisk() throws IOException {
        return Files.size(file);
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
