package io.rawio.jmh.kv;

/** What an acknowledged put promises, mapped onto each store's own settings. */
enum Durability {
    /**
     * Acknowledged without a sync: rawio durability none (the O_DIRECT write completed), RocksDB without
     * its WAL, LMDB with MDB_NOSYNC. The put phase ends with one flush/sync of everything.
     */
    NONE,
    /**
     * Acknowledged after a sync of each batch: rawio durability durable (group fdatasync), RocksDB WAL with
     * sync=true, LMDB's default synchronous commit.
     */
    DURABLE
}
