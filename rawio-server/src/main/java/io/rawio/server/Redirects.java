package io.rawio.server;

import io.rawio.server.cluster.ClusterConfig;
import io.rawio.server.cluster.ClusterMap;
import io.rawio.server.cluster.KeySlot;
import java.util.List;

/**
 * Where a keyed request belongs in a static cluster, checked before it runs (before it joins a store
 * batch): its keys (at the positions {@link CommandTable} gives) must all hash to one slot, else
 * {@code -CROSSSLOT Keys in request don't hash to the same slot}; that slot must be this node's, else
 * {@code -MOVED <slot> <host>:<port>} names its owner, or {@code -CLUSTERDOWN Hash slot not served} when
 * no node owns it. Redis's words and order (cluster.c getNodeByQuery): an unowned first key is told before
 * a cross-slot one. Keyless commands (SCAN, KEYS, DBSIZE, PING...) are not checked: they stay local.
 */
final class Redirects {
    static final String CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";
    static final String CLUSTERDOWN = "CLUSTERDOWN Hash slot not served";

    private final ClusterMap map;

    Redirects(ClusterMap map) {
        this.map = map;
    }

    /** Whether this node owns {@code key}'s slot. */
    boolean local(byte[] key) {
        return map.owns(KeySlot.of(key));
    }

    /** The error (without its '-') that answers {@code args} instead of running it, or null: it runs here. */
    String check(CommandTable.Spec spec, List<byte[]> args) {
        if (spec.firstKey() <= 0) {
            return null;
        }
        int n = args.size();
        int last = spec.lastKey() < 0 ? n + spec.lastKey() : spec.lastKey();
        int slot = -1;
        for (int i = spec.firstKey(); i <= last && i < n; i += spec.step()) {
            int s = KeySlot.of(args.get(i));
            if (slot < 0) {
                if (map.owner(s) == null) {
                    return CLUSTERDOWN;
                }
                slot = s;
            } else if (s != slot) {
                return CROSSSLOT;
            }
        }
        if (slot < 0 || map.owns(slot)) {
            return null;
        }
        ClusterConfig.Node owner = map.owner(slot);
        return "MOVED " + slot + " " + owner.address();
    }
}
