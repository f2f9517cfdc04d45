package io.rawio.server;

import io.rawio.server.cluster.ClusterConfig;
import io.rawio.server.cluster.ClusterMap;
import io.rawio.server.cluster.KeySlot;
import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.KeyInfo;
import io.rawio.store.SlotStore;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The Redis Cluster surface: CLUSTER SLOTS, SHARDS, NODES, INFO, MYID, MYSHARDID, KEYSLOT,
 * COUNTKEYSINSLOT, GETKEYSINSLOT, HELP, and READONLY/READWRITE. Without a cluster map the node owns all
 * 16384 slots, so that cluster clients (redis-py RedisCluster, Jedis's cluster client, Lettuce) connect to
 * one server as to a cluster of one, and its address in the replies is the one the client connected to.
 * With a static map ({@code serve --cluster}) the replies give the whole map: every node, its address
 * from the file and its slots. Called on the event loop's thread only.
 */
final class ClusterCommands {
    private final SlotStore store;
    private final String nodeId;
    private final int port;
    /** The static cluster, or null: one node, every slot. */
    private final ClusterMap map;

    /**
     * @param nodeId 40 hex digits, the same for the server's whole life (without a map)
     * @param port   the port clients connect to
     * @param map    the static cluster this node is one of, or null
     */
    ClusterCommands(SlotStore store, String nodeId, int port, ClusterMap map) {
        this.store = store;
        this.nodeId = nodeId;
        this.port = port;
        this.map = map;
    }

    /** A node id of 40 hex digits derived from {@code seed} (stable across restarts for the same seed). */
    static String nodeId(String seed) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-1").digest(seed.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String ip(Session s) {
        String a = s.localAddress;
        int colon = a.lastIndexOf(':');
        return colon > 0 ? a.substring(0, colon) : "127.0.0.1";
    }

    /** The nodes the replies describe: the map's, or this one alone at the address the client used. */
    private List<ClusterConfig.Node> nodes(Session session) {
        if (map != null) {
            return map.config().nodes();
        }
        return List.of(new ClusterConfig.Node(nodeId, ip(session), port, List.of(new int[] {0, KeySlot.SLOTS - 1})));
    }

    private boolean myself(ClusterConfig.Node n) {
        return map == null || n == map.self();
    }

    String myId() {
        return map == null ? nodeId : map.self().id();
    }

    /** The Cluster section of INFO. */
    String[] infoLines() {
        // Cluster clients (redis-py's RedisCluster) read cluster_enabled first and refuse a node that says 0.
        if (map == null) {
            return new String[] {"cluster_enabled:1"};
        }
        long owned = 0;
        long other = 0;
        for (KeyInfo k : store.keys()) {
            if (map.owns(KeySlot.of(k.key()))) {
                owned++;
            } else {
                other++;
            }
        }
        return new String[] {"cluster_enabled:1", "rawio_cluster_node:" + map.self().name(),
            "rawio_cluster_digest:" + map.digest(), "rawio_keys_in_owned_slots:" + owned,
            "rawio_keys_in_other_slots:" + other};
    }

    void cluster(List<byte[]> args, ReplyWriter out, Session session) {
        if (args.size() < 2) {
            Commands.wrongArgs(out, "cluster");
            return;
        }
        String sub = Commands.name(args.get(1));
        int n = args.size();
        List<ClusterConfig.Node> nodes = nodes(session);
        switch (sub) {
            case "slots" -> {
                int ranges = 0;
                for (ClusterConfig.Node node : nodes) {
                    ranges += node.ranges().size();
                }
                // Each range: start, end, then its master (replicas would follow it); in slot order.
                List<Object[]> sorted = new java.util.ArrayList<>();
                for (ClusterConfig.Node node : nodes) {
                    for (int[] r : node.ranges()) {
                        sorted.add(new Object[] {r, node});
                    }
                }
                sorted.sort((a, b) -> Integer.compare(((int[]) a[0])[0], ((int[]) b[0])[0]));
                out.array(ranges);
                for (Object[] e : sorted) {
                    int[] r = (int[]) e[0];
                    ClusterConfig.Node node = (ClusterConfig.Node) e[1];
                    out.array(3).integer(r[0]).integer(r[1]);
                    out.array(4).bulk(node.host()).integer(node.port()).bulk(node.id()).map(0);
                }
            }
            case "shards" -> {
                out.array(nodes.size());
                for (ClusterConfig.Node node : nodes) {
                    out.map(2);
                    out.bulk("slots").array(2 * node.ranges().size());
                    for (int[] r : node.ranges()) {
                        out.integer(r[0]).integer(r[1]);
                    }
                    out.bulk("nodes").array(1).map(7);
                    out.bulk("id").bulk(node.id());
                    out.bulk("port").integer(node.port());
                    out.bulk("ip").bulk(node.host());
                    out.bulk("endpoint").bulk(node.host());
                    out.bulk("role").bulk("master");
                    out.bulk("replication-offset").integer(0);
                    out.bulk("health").bulk("online");
                }
            }
            case "nodes" -> {
                StringBuilder sb = new StringBuilder();
                int epoch = 0;
                for (ClusterConfig.Node node : nodes) {
                    epoch++;
                    int bus = node.port() + 10000 > 65535 ? 0 : node.port() + 10000;
                    sb.append(node.id()).append(' ').append(node.address()).append('@').append(bus)
                            .append(myself(node) ? " myself,master" : " master").append(" - 0 0 ").append(epoch)
                            .append(" connected");
                    for (int[] r : node.ranges()) {
                        sb.append(' ').append(r[0]);
                        if (r[1] != r[0]) {
                            sb.append('-').append(r[1]);
                        }
                    }
                    sb.append('\n');
                }
                out.verbatim(sb.toString());
            }
            case "info" -> {
                int assigned = 0;
                int sized = 0;
                int myEpoch = 1;
                for (int i = 0; i < nodes.size(); i++) {
                    ClusterConfig.Node node = nodes.get(i);
                    assigned += node.slotCount();
                    sized += node.ranges().isEmpty() ? 0 : 1;
                    if (myself(node)) {
                        myEpoch = i + 1;
                    }
                }
                // Redis (cluster-require-full-coverage yes): the state is fail while a slot has no node.
                out.verbatim(String.join("\r\n", "cluster_state:" + (assigned == KeySlot.SLOTS ? "ok" : "fail"),
                        "cluster_slots_assigned:" + assigned, "cluster_slots_ok:" + assigned, "cluster_slots_pfail:0",
                        "cluster_slots_fail:0", "cluster_known_nodes:" + nodes.size(), "cluster_size:" + sized,
                        "cluster_current_epoch:" + nodes.size(), "cluster_my_epoch:" + myEpoch,
                        "cluster_stats_messages_sent:0", "cluster_stats_messages_received:0",
                        "total_cluster_links_buffer_limit_exceeded:0") + "\r\n");
            }
            case "myid", "myshardid" -> out.bulk(myId());
            case "keyslot" -> {
                if (n != 3) {
                    wrongSub(out, sub);
                } else {
                    out.integer(KeySlot.of(args.get(2)));
                }
            }
            case "countkeysinslot", "getkeysinslot" -> keysInSlot(sub, args, out);
            case "help" -> {
                String[] lines = {"CLUSTER <subcommand> [<arg> ...]. Subcommands are:", "SLOTS", "SHARDS", "NODES", "INFO",
                    "MYID", "MYSHARDID", "KEYSLOT <key>", "COUNTKEYSINSLOT <slot>", "GETKEYSINSLOT <slot> <count>",
                    map == null ? "(one node owning all 16384 slots)"
                            : "(a static cluster of " + nodes.size() + " nodes, from the file every node loads)"};
                out.array(lines.length);
                for (String l : lines) {
                    out.simple(l);
                }
            }
            default -> out.error("ERR unknown subcommand '" + new String(args.get(1), StandardCharsets.UTF_8)
                    + "'. Try CLUSTER HELP.");
        }
    }

    private void keysInSlot(String sub, List<byte[]> args, ReplyWriter out) {
        boolean count = sub.equals("countkeysinslot");
        if (args.size() != (count ? 3 : 4)) {
            wrongSub(out, sub);
            return;
        }
        // Redis's order and words: each number an integer first, then the range.
        Long slot = Commands.integer(args.get(2));
        Long m = count ? Long.valueOf(Long.MAX_VALUE) : Commands.integer(args.get(3));
        if (slot == null || m == null) {
            out.error("ERR value is not an integer or out of range");
            return;
        }
        if (slot < 0 || slot >= KeySlot.SLOTS || m < 0) {
            out.error(count ? "ERR Invalid slot" : "ERR Invalid slot or number of keys");
            return;
        }
        long max = m;
        List<byte[]> found = new java.util.ArrayList<>();
        long total = 0;
        for (KeyInfo k : store.keys()) {
            if (KeySlot.of(k.key()) == slot) {
                total++;
                if (found.size() < max && !count) {
                    found.add(k.key());
                }
            }
        }
        if (count) {
            out.integer(total);
        } else {
            out.array(found.size());
            for (byte[] k : found) {
                out.bulk(k);
            }
        }
    }

    private static void wrongSub(ReplyWriter out, String sub) {
        out.error("ERR wrong number of arguments for 'cluster|" + sub + "' command");
    }
}
