package io.rawio.jmh.kv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The one shape the comparison drives every key-value store through: byte[] keys and values in, byte[]
 * values out, batches as each store's own batch API (rawio putMany/getMany, a RocksDB WriteBatch and
 * multiGet, one LMDB transaction).
 */
interface KvStore extends AutoCloseable {

    /** Stores a batch; returns when it is acknowledged under the store's durability. */
    void putBatch(List<byte[]> keys, List<byte[]> values) throws IOException;

    /** Reads a batch; one value per key (null when absent). */
    List<byte[]> getBatch(List<byte[]> keys) throws IOException;

    /** One put, alone. */
    void put(byte[] key, byte[] value) throws IOException;

    /** One get, alone; null when absent. */
    byte[] get(byte[] key) throws IOException;

    /**
     * Makes everything stored so far durable on the device (flush, sync); counted in the put phase, so
     * that every store is measured until its data has reached the disk.
     */
    void finishWrites() throws IOException;

    /** Bytes this store occupies in its directory. */
    long bytesOnDisk() throws IOException;

    @Override
    void close() throws IOException;

    /** The bytes of the regular files under a directory. */
    static long directorySize(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
