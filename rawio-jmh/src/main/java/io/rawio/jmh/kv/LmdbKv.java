package io.rawio.jmh.kv;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lmdbjava.ByteArrayProxy;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

/**
 * LMDB through lmdbjava with byte[] keys and values: one write transaction per batch, one read
 * transaction per batch of gets (values copied out, as the other stores return copies).
 */
final class LmdbKv implements KvStore {
    private final Env<byte[]> env;
    private final Dbi<byte[]> db;
    private final Path dir;

    LmdbKv(Path dir, long keys, int valueSize, Durability durability, boolean noReadahead) throws IOException {
        this.dir = dir;
        // Room for every value in overflow pages plus the B-tree, with headroom.
        long mapSize = (keys + keys / 4 + 64) * (valueSize + 8192L) + (256L << 20);
        List<EnvFlags> flagList = new ArrayList<>();
        if (durability == Durability.NONE) {
            flagList.add(EnvFlags.MDB_NOSYNC);
        }
        if (noReadahead) {
            // MADV_RANDOM on the map: a page fault reads one page instead of the device's read-ahead window
            flagList.add(EnvFlags.MDB_NORDAHEAD);
        }
        EnvFlags[] flags = flagList.toArray(EnvFlags[]::new);
        try {
            env = Env.create(ByteArrayProxy.PROXY_BA)
                    .setMapSize(mapSize)
                    .setMaxDbs(1)
                    .setMaxReaders(16)
                    .open(dir.toFile(), flags);
            db = env.openDbi("kv", DbiFlags.MDB_CREATE);
        } catch (LmdbException e) {
            throw new IOException("lmdb open: " + e.getMessage(), e);
        }
    }

    @Override
    public void putBatch(List<byte[]> keys, List<byte[]> values) throws IOException {
        try (Txn<byte[]> txn = env.txnWrite()) {
            for (int i = 0; i < keys.size(); i++) {
                db.put(txn, keys.get(i), values.get(i));
            }
            txn.commit();
        } catch (LmdbException e) {
            throw new IOException("lmdb put: " + e.getMessage(), e);
        }
    }

    @Override
    public List<byte[]> getBatch(List<byte[]> keys) throws IOException {
        List<byte[]> out = new ArrayList<>(keys.size());
        try (Txn<byte[]> txn = env.txnRead()) {
            for (byte[] k : keys) {
                out.add(db.get(txn, k));
            }
        } catch (LmdbException e) {
            throw new IOException("lmdb get: " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void put(byte[] key, byte[] value) throws IOException {
        putBatch(List.of(key), List.of(value));
    }

    @Override
    public byte[] get(byte[] key) throws IOException {
        try (Txn<byte[]> txn = env.txnRead()) {
            return db.get(txn, key);
        } catch (LmdbException e) {
            throw new IOException("lmdb get: " + e.getMessage(), e);
        }
    }

    @Override
    public void finishWrites() {
        env.sync(true);
    }

    @Override
    public long bytesOnDisk() throws IOException {
        return KvStore.directorySize(dir);
    }

    @Override
    public void close() {
        db.close();
        env.close();
    }
}
