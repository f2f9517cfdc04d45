package io.rawio.server.cluster;

import java.util.List;

/**
 * Who owns each of the 16384 slots, from one node's point of view: the {@link ClusterConfig} every node
 * loaded, and which of its nodes this server is. Immutable; read by the event loop on every keyed
 * request (one array lookup).
 */
public final class ClusterMap {
    private final ClusterConfig config;
    private final ClusterConfig.Node self;
    private final int selfIndex;
    /** The index of each slot's node in the config, or -1 when no node owns it. */
    private final short[] owner = new short[KeySlot.SLOTS];
    private final String digest;

    private ClusterMap(ClusterConfig config, int selfIndex) {
        this.config = config;
        this.selfIndex = selfIndex;
        this.self = config.nodes().get(selfIndex);
        java.util.Arrays.fill(owner, (short) -1);
        for (int i = 0; i < config.nodes().size(); i++) {
            for (int[] r : config.nodes().get(i).ranges()) {
                java.util.Arrays.fill(owner, r[0], r[1] + 1, (short) i);
            }
        }
        this.digest = config.digest();
    }

    /** This server as node {@code name} of {@code config}. */
    public static ClusterMap as(ClusterConfig config, String name) throws ClusterConfig.Invalid {
        for (int i = 0; i < config.nodes().size(); i++) {
            if (config.nodes().get(i).name().equals(name)) {
                return new ClusterMap(config, i);
            }
        }
        throw new ClusterConfig.Invalid("no node '" + name + "' in the cluster file (its nodes: "
                + String.join(", ", config.nodes().stream().map(ClusterConfig.Node::name).toList()) + ")");
    }

    /**
     * This server as the node of {@code config} whose port is {@code port} and whose host is one of
     * {@code hosts} (the bind address's names and numbers; any host when the server binds every address).
     */
    public static ClusterMap byAddress(ClusterConfig config, int port, List<String> hosts, boolean anyHost)
            throws ClusterConfig.Invalid {
        int found = -1;
        for (int i = 0; i < config.nodes().size(); i++) {
            ClusterConfig.Node n = config.nodes().get(i);
            if (n.port() == port && (anyHost || hosts.contains(n.host()))) {
                if (found >= 0) {
                    throw new ClusterConfig.Invalid("nodes '" + config.nodes().get(found).name() + "' and '" + n.name()
                            + "' both match this server's port " + port + ": give --cluster-node=NAME");
                }
                found = i;
            }
        }
        if (found < 0) {
            throw new ClusterConfig.Invalid("no node in the cluster file has this server's address (port " + port
                    + ", host " + String.join(" or ", hosts) + "): give --cluster-node=NAME");
        }
        return new ClusterMap(config, found);
    }

    public ClusterConfig config() {
        return config;
    }

    public ClusterConfig.Node self() {
        return self;
    }

    public int selfIndex() {
        return selfIndex;
    }

    /** Whether this node owns {@code slot}. */
    public boolean owns(int slot) {
        return owner[slot] == selfIndex;
    }

    /** The node that owns {@code slot}, or null when none does. */
    public ClusterConfig.Node owner(int slot) {
        int i = owner[slot];
        return i < 0 ? null : config.nodes().get(i);
    }

    /** The config's digest (same on every node that loaded the same map). */
    public String digest() {
        return digest;
    }
}
