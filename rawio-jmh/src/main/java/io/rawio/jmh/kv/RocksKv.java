package io.rawio.jmh.kv;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * RocksDB with BlobDB on (integrated blob files): values of 4 KiB and more go to blob files, keys and
 * blob references to the LSM tree. Direct I/O for reads and for flush/compaction, as rawio uses O_DIRECT;
 * no compression (the values are random bytes).
 */
final class RocksKv implements KvStore {
    static {
        RocksDB.loadLibrary();
    }

    private final Options options;
    private final WriteOptions writeOptions;
    private final RocksDB db;
    private final Path dir;

    /** With {@code walWithoutSync} and durability none, the WAL is written but not synced (RocksDB's default). */
    RocksKv(Path dir, Durability durability, boolean walWithoutSync) throws IOException {
        this.dir = dir;
        options = new Options()
                .setCreateIfMissing(true)
                .setEnableBlobFiles(true)
                .setMinBlobSize(4096)
                .setBlobFileSize(256L << 20)
                .setEnableBlobGarbageCollection(false)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setUseDirectReads(true)
                .setUseDirectIoForFlushAndCompaction(true)
                .setMaxBackgroundJobs(2);
        writeOptions = new WriteOptions();
        if (durability == Durability.DURABLE) {
            writeOptions.setSync(true);
        } else if (!walWithoutSync) {
            writeOptions.setDisableWAL(true);
        }
        try {
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            throw new IOException("rocksdb open: " + e.getMessage(), e);
        }
    }

    @Override
    public void putBatch(List<byte[]> keys, List<byte[]> values) throws IOException {
        try (WriteBatch wb = new WriteBatch()) {
            for (int i = 0; i < keys.size(); i++) {
                wb.put(keys.get(i), values.get(i));
            }
            db.write(writeOptions, wb);
        } catch (RocksDBException e) {
            throw new IOException("rocksdb write: " + e.getMessage(), e);
        }
    }

    @Override
    public List<byte[]> getBatch(List<byte[]> keys) throws IOException {
        try {
            return db.multiGetAsList(keys);
        } catch (RocksDBException e) {
            throw new IOException("rocksdb multiGet: " + e.getMessage(), e);
        }
    }

    @Override
    public void put(byte[] key, byte[] value) throws IOException {
        try {
            db.put(writeOptions, key, value);
        } catch (RocksDBException e) {
            throw new IOException("rocksdb put: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] get(byte[] key) throws IOException {
        try {
            return db.get(key);
        } catch (RocksDBException e) {
            throw new IOException("rocksdb get: " + e.getMessage(), e);
        }
    }

    @Override
    public void finishWrites() throws IOException {
        // Without the WAL, data lives in the memtable until a flush writes (and syncs) it to SST and
        // blob files.
        try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            db.flush(fo);
        } catch (RocksDBException e) {
            throw new IOException("rocksdb flush: " + e.getMessage(), e);
        }
    }

    @Override
    public long bytesOnDisk() throws IOException {
        return KvStore.directorySize(dir);
    }

    @Override
    public void close() {
        db.close();
        writeOptions.close();
        options.close();
    }
}
