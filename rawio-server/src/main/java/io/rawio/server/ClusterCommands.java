package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.SlotStore;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The Redis Cluster surface of a single node that owns all 16384 slots: CLUSTER SLOTS, SHARDS, NODES,
 * INFO, MYID, MYSHARDID, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT, HELP, and READONLY/READWRITE, so that
 * cluster clients (redis-py RedisCluster, Jedis's cluster client, Lettuce) connect to one server as to a
 * cluster of one. The node's address in the replies is the one the client connected to. Called on the
 * event loop's thread only.
 */
final class ClusterCommands {
    private final SlotStore store;
    private final String nodeId;
    private final int port;

    /**
     * @param nodeId 40 hex digits, the same for the server's whole life
     * @param port   the port clients connect to
     */
    ClusterCommands(SlotStore store, String nodeId, int port) {
        this.store = store;
        this.nodeId = nodeId;
        this.port = port;
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

    void cluster(List<byte[]> args, ReplyWriter out, Session session) {
        if (args.size() < 2) {
            Commands.wrongArgs(out, "cluster");
            return;
        }
        String sub = Commands.name(args.get(1));
        int n = args.size();
        String ip = ip(session);
        switch (sub) {
            case "slots" -> {
                // One range: start, end, then its master (replicas would follow it).
                out.array(1).array(3).integer(0).integer(KeySlot.SLOTS - 1);
                out.array(4).bulk(ip).integer(port).bulk(nodeId).map(0);
            }
            case "shards" -> {
                out.array(1).map(2);
                out.bulk("slots").array(2).integer(0).integer(KeySlot.SLOTS - 1);
                out.bulk("nodes").array(1).map(7);
                out.bulk("id").bulk(nodeId);
                out.bulk("port").integer(port);
                out.bulk("ip").bulk(ip);
                out.bulk("endpoint").bulk(ip);
                out.bulk("role").bulk("master");
                out.bulk("replication-offset").integer(0);
                out.bulk("health").bulk("online");
            }
            case "nodes" -> out.bulk(nodeId + " " + ip + ":" + port + "@" + (port + 10000 > 65535 ? 0 : port + 10000)
                    + " myself,master - 0 0 1 connected 0-" + (KeySlot.SLOTS - 1) + "\n");
            case "info" -> out.bulk(String.join("\r\n", "cluster_state:ok",
                    "cluster_slots_assigned:16384", "cluster_slots_ok:16384", "cluster_slots_pfail:0",
                    "cluster_slots_fail:0", "cluster_known_nodes:1", "cluster_size:1", "cluster_current_epoch:1",
                    "cluster_my_epoch:1", "cluster_stats_messages_sent:0", "cluster_stats_messages_received:0",
                    "total_cluster_links_buffer_limit_exceeded:0") + "\r\n");
            case "myid", "myshardid" -> out.bulk(nodeId);
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
                    "(one node owning all 16384 slots)"};
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
        for (SlotStore.KeyInfo k : store.keys()) {
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
