package io.rawio.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The DRAM tier's hash table of entries by key, read without a lock: buckets are chains of immutable
 * nodes, newest first, so that a reader walks a consistent chain whatever a writer does meanwhile. A
 * writer never changes a node: it publishes a new chain head with a release store (a link, or a removal
 * that rebuilds the nodes in front of the removed one and shares those after it), or a whole new table
 * with new nodes (a growth) with the volatile store of {@link #table}; a reader still walking the old
 * table or chain sees it unchanged, and at worst misses an entry linked meanwhile or finds one unlinked
 * meanwhile (dead then, so it takes no lease on it).
 *
 * <p>A node and its share of a bucket take 24 bytes and 5 to 11 (load 0.375 to 0.75); see
 * {@code ValueCache}'s memory per entry.
 *
 * <h2>Threads</h2>
 * {@link #lookup} may be called by any thread with no lock. Every other method is GUARDED_BY(ValueCache.lock)
 * (one writer at a time); the table takes no lock of its own.
 */
final class CacheTable {
    private static final VarHandle BUCKET = MethodHandles.arrayElementVarHandle(Node[].class);

    /**
     * The buckets. Written GUARDED_BY(ValueCache.lock) (a bucket with a release store, a grown table
     * with the volatile store); read without it.
     */
    private volatile Node[] table = new Node[16];
    /** Entries linked. GUARDED_BY(ValueCache.lock). */
    private long size;

    /**
     * The first entry of {@code key} in its chain, or null; lock-free. It may be dead (evicted or
     * invalidated): a newer entry of the key would then be ahead of it, so the caller need look no
     * further.
     */
    CacheEntry lookup(byte[] key, int h) {
        Node[] t = table;
        for (Node n = (Node) BUCKET.getAcquire(t, h & (t.length - 1)); n != null; n = n.next) {
            CacheEntry e = n.entry;
            if (e.hash == h && Arrays.equals(e.key, key)) {
                return e;
            }
        }
        return null;
    }

    /** The entry of {@code key}, or null. GUARDED_BY(ValueCache.lock). */
    CacheEntry find(byte[] key, int h) {
        Node[] t = table;
        for (Node n = t[h & (t.length - 1)]; n != null; n = n.next) {
            if (n.entry.hash == h && Arrays.equals(n.entry.key, key)) {
                return n.entry;
            }
        }
        return null;
    }

    /** Links an entry whose key is not linked, at the head of its chain. GUARDED_BY(ValueCache.lock). */
    void link(CacheEntry e) {
        size++;
        Node[] t = table;
        if (size > t.length - (t.length >>> 2)) {
            t = grow(t);
        }
        int i = e.hash & (t.length - 1);
        BUCKET.setRelease(t, i, new Node(e, t[i]));
    }

    /**
     * Unlinks an entry (nothing if it is not linked): rebuilds the part of the chain in front of the
     * entry's node; the nodes after it are shared. GUARDED_BY(ValueCache.lock).
     */
    void unlink(CacheEntry e) {
        Node[] t = table;
        int i = e.hash & (t.length - 1);
        Node head = t[i];
        Node n = head;
        while (n != null && n.entry != e) {
            n = n.next;
        }
        if (n == null) {
            return;
        }
        size--;
        Node rebuilt = n.next;
        Node[] prefix = new Node[8];
        int count = 0;
        for (Node p = head; p != n; p = p.next) {
            if (count == prefix.length) {
                prefix = Arrays.copyOf(prefix, count * 2);
            }
            prefix[count++] = p;
        }
        for (int k = count - 1; k >= 0; k--) {
            rebuilt = new Node(prefix[k].entry, rebuilt);
        }
        BUCKET.setRelease(t, i, rebuilt);
    }

    /** Unlinks every entry at once (a closed cache finds nothing). GUARDED_BY(ValueCache.lock). */
    void clear() {
        table = new Node[1];
        size = 0;
    }

    /** Entries linked. GUARDED_BY(ValueCache.lock). */
    long size() {
        return size;
    }

    /** The number of buckets; for tests. */
    int buckets() {
        return table.length;
    }

    /** A new table with new nodes: readers still walking the old one see it unchanged. GUARDED_BY(ValueCache.lock). */
    private Node[] grow(Node[] old) {
        Node[] t = new Node[old.length * 2];
        int mask = t.length - 1;
        for (Node head : old) {
            for (Node n = head; n != null; n = n.next) {
                int i = n.entry.hash & mask;
                t[i] = new Node(n.entry, t[i]);
            }
        }
        table = t; // the volatile store publishes the nodes
        return t;
    }

    /** An immutable link of a bucket's chain. */
    private static final class Node {
        final CacheEntry entry;
        final Node next;

        Node(CacheEntry entry, Node next) {
            this.entry = entry;
            this.next = next;
        }
    }
}
