package io.rawio.server;

import io.rawio.store.SlotStore;
import java.util.List;
import java.util.Locale;

/**
 * INFO: Redis's sections (server, clients, memory, persistence, stats, replication, cluster, keyspace)
 * with what a client or a monitoring tool reads there, and a rawio section with the store's and the
 * loop's numbers ({@link LoopCounters}). Called on the event loop's thread only.
 */
final class InfoCommand {
    private final SlotStore store;
    private final java.time.InstantSource clock;
    private final ClusterCommands cluster;
    private final Commands.Clients clients;
    private final LoopCounters counters;
    private final long startMs;

    InfoCommand(SlotStore store, java.time.InstantSource clock, ClusterCommands cluster, Commands.Clients clients,
            LoopCounters counters) {
        this.store = store;
        this.clock = clock;
        this.cluster = cluster;
        this.clients = clients;
        this.counters = counters;
        this.startMs = clock.millis();
    }

    /**
     * INFO [section ...]: server, clients, memory, persistence, stats, replication, cluster, keyspace, and a rawio
     * section with the store's numbers; "all", "everything" and "default" give them all.
     */
    String info(List<byte[]> args) {
        java.util.Set<String> asked = new java.util.HashSet<>();
        for (int i = 1; i < args.size(); i++) {
            asked.add(Commands.name(args.get(i)));
        }
        boolean all = asked.isEmpty() || asked.contains("all") || asked.contains("everything") || asked.contains("default");
        var st = store.stats();
        Runtime rt = Runtime.getRuntime();
        long now = clock.millis();
        StringBuilder sb = new StringBuilder();
        java.util.function.Predicate<String> want = sec -> all || asked.contains(sec);
        if (want.test("server")) {
            section(sb, "Server", "redis_version:" + Commands.REDIS_VERSION, "rawio_version:1", "redis_mode:" + Commands.REDIS_MODE,
                    "os:" + System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch"), "arch_bits:64", "multiplexing_api:" + counters.multiplexingApi,
                    "process_id:" + ProcessHandle.current().pid(), "tcp_port:" + counters.port,
                    "uptime_in_seconds:" + (now - startMs) / 1000, "uptime_in_days:" + (now - startMs) / 86_400_000);
        }
        if (want.test("clients")) {
            section(sb, "Clients", "connected_clients:" + clients.all().get().size(), "blocked_clients:0");
        }
        if (want.test("memory")) {
            long used = rt.totalMemory() - rt.freeMemory();
            section(sb, "Memory", "used_memory:" + used, "used_memory_human:" + (used >> 20) + "M",
                    "maxmemory:" + rt.maxMemory(), "maxmemory_policy:" + Commands.evictionPolicy(store), "rawio_cache_bytes:" + st.cacheBytes(),
                    "rawio_index_bytes:" + st.indexBytes());
        }
        if (want.test("persistence")) {
            section(sb, "Persistence", "loading:0", "rdb_changes_since_last_save:0", "aof_enabled:0",
                    "rawio_durability:" + store.durability().name().toLowerCase(Locale.ROOT), "rawio_checkpoints:" + st.checkpoints(),
                    "rawio_recovered_keys:" + st.recoveredKeys(), "rawio_open_ms:" + st.openMillis());
        }
        if (want.test("stats")) {
            section(sb, "Stats", "total_connections_received:" + counters.connectionsAccepted,
                    "total_commands_processed:" + counters.commandsRun, "keyspace_hits:" + st.hits(),
                    "keyspace_misses:" + st.misses(), "evicted_keys:" + st.evictions(), "expired_keys:" + st.expired());
        }
        if (want.test("replication")) {
            // A primary without replicas: clients that look for the primary (valkey-glide's standalone
            // client) read role:master here.
            section(sb, "Replication", "role:master", "connected_slaves:0", "master_failover_state:no-failover",
                    "master_replid:" + cluster.myId(), "master_replid2:" + "0".repeat(40), "master_repl_offset:0",
                    "second_repl_offset:-1", "repl_backlog_active:0", "repl_backlog_size:1048576",
                    "repl_backlog_first_byte_offset:0", "repl_backlog_histlen:0");
        }
        if (want.test("cluster")) {
            // The node answers CLUSTER as a cluster of one (ClusterCommands); cluster clients (redis-py's
            // RedisCluster) read this line first and refuse a node that says 0.
            section(sb, "Cluster", cluster.infoLines());
        }
        if (want.test("keyspace")) {
            section(sb, "Keyspace", st.keys() > 0 ? "db0:keys=" + st.keys() + ",expires=" + store.keysWithExpiry() + ",avg_ttl=0" : null);
        }
        if (want.test("rawio")) {
            section(sb, "rawio", "engine:" + store.engineName(), "slot_classes:" + store.classStats().size(),
                    "slots:" + st.slots(), "value_bytes:" + st.valueBytes(), "bytes_written:" + st.bytesWritten(),
                    "corruptions:" + st.corruptions(), "dram_hits:" + st.cacheHits(), "dram_misses:" + st.cacheMisses(),
                    "failed:" + (store.isFailed() ? 1 : 0),
                    "loop_rounds:" + counters.rounds, "put_batches:" + counters.putBatches,
                    "held_set_waves:" + counters.heldSetWaves, "cut_set_waves:" + counters.cutSetWaves, "get_batches:" + counters.getBatches,
                    "del_batches:" + counters.delBatches, "expire_batches:" + counters.expireBatches,
                    "ring_reads:" + counters.ringReads.getAsLong(), "ring_fixed_reads:" + counters.ringFixedReads.getAsLong(),
                    "ring_rereads:" + counters.ringRereads.getAsLong(),
                    "direct_read_bytes:" + counters.directReadBytes.getAsLong(),
                    "landed_values:" + counters.landedValues, "in_place_writes:" + store.inPlaceWrites(),
                    "value_buffer_bytes:" + store.valueBuffers().heldBytes(),
                    "store_batches_on_loop_ring:" + (counters.storeOnLoopRing.getAsBoolean() ? 1 : 0),
                    "loop_cpu_ms:" + loopCpuNanos() / 1_000_000, "loop_allocated_bytes:" + loopAllocatedBytes());
        }
        return sb.toString();
    }

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * CPU time of the thread that runs the commands (the loop's; INFO runs on it), or -1 when the JVM
     * does not measure it: with total_commands_processed, CPU per request.
     */
    private static long loopCpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    }

    /** Heap bytes the loop's thread has allocated (the JVM's own count), or -1: heap bytes per request. */
    private static long loopAllocatedBytes() {
        return THREADS instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported()
                ? t.getCurrentThreadAllocatedBytes() : -1;
    }

    private static void section(StringBuilder sb, String title, String... lines) {
        if (!sb.isEmpty()) {
            sb.append("\r\n");
        }
        sb.append("# ").append(title).append("\r\n");
        for (String l : lines) {
            if (l != null) {
                sb.append(l).append("\r\n");
            }
        }
    }
}
