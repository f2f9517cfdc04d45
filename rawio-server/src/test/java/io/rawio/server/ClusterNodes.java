package io.rawio.server;

import io.rawio.server.cluster.ClusterConfig;
import io.rawio.server.cluster.ClusterMap;
import io.rawio.store.FormatProgress;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A test's static cluster: {@code n} servers on loopback ports (free ones, picked first), each with its
 * own store, the slots split evenly in order, the cluster file written to {@code dir/cluster.conf}. A
 * node can be stopped (its server and store closed: clients find nothing listening) and started again on
 * the same store and port.
 */
final class ClusterNodes implements AutoCloseable {
    final Path file;
    final ClusterConfig config;
    final int[] ports;
    /** The map as node n0 sees it (who owns each slot). */
    private final ClusterMap view;
    private final String loop;
    private final Path dir;
    private final SlotStore[] stores;
    private final ServerLoop[] servers;
    private final Thread[] threads;

    ClusterNodes(String loop, Path dir, int n) throws Exception {
        RunningServer.assumeLoop(loop);
        this.loop = loop;
        this.dir = dir;
        stores = new SlotStore[n];
        servers = new ServerLoop[n];
        threads = new Thread[n];
        StoreOptions o = StoreOptions.defaults().withEngine("psync");
        for (int i = 0; i < n; i++) {
            // Half the space in 4 KiB slots: every key a test writes stays (no ring wraps).
            SlotStore.format(store(i), 64L << 20, SlotClasses.ofEqualSpace(List.of(4096L, 256L << 10)), false, o,
                    Preallocation.FALLOCATE, FormatProgress.NONE);
        }
        // Picked last, just before the servers bind them: the shorter that gap, the less likely another
        // socket takes a port meanwhile.
        ports = freePorts(n);
        StringBuilder text = new StringBuilder("# a test cluster\n");
        for (int i = 0; i < n; i++) {
            text.append("n").append(i).append(" 127.0.0.1:").append(ports[i]).append(' ')
                    .append(i * 16384 / n).append('-').append((i + 1) * 16384 / n - 1).append('\n');
        }
        file = dir.resolve("cluster.conf");
        Files.writeString(file, text);
        config = ClusterConfig.read(file);
        view = ClusterMap.as(config, "n0");
        try {
            for (int i = 0; i < n; i++) {
                start(i);
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    Path store(int i) {
        return dir.resolve("node" + i + ".store");
    }

    static int[] freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    InetSocketAddress address(int i) {
        return new InetSocketAddress("127.0.0.1", ports[i]);
    }

    SlotStore storeOf(int i) {
        return stores[i];
    }

    /** The index of the node that owns {@code key}'s slot. */
    int owner(String key) {
        int slot = io.rawio.server.cluster.KeySlot.of(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return config.nodes().indexOf(view.owner(slot));
    }

    int size() {
        return ports.length;
    }

    void start(int i) throws Exception {
        stores[i] = SlotStore.open(store(i), StoreOptions.defaults().withEngine("psync"));
        ServerOptions base = ServerOptions.loopback(ports[i], 1L << 20);
        ServerOptions options = new ServerOptions(base.bind(), base.maxClients(), base.maxBulk(), base.maxQueryBytes())
                .withCluster(ClusterMap.as(config, "n" + i));
        try {
            servers[i] = RunningServer.open(loop, stores[i], options);
        } catch (Exception | Error e) {
            stores[i].close();
            stores[i] = null;
            throw e;
        }
        threads[i] = Thread.ofPlatform().name("test-node-" + i).start(servers[i]::run);
    }

    void stop(int i) throws Exception {
        if (servers[i] == null) {
            return;
        }
        servers[i].stop();
        threads[i].join(10_000);
        servers[i].close();
        stores[i].close();
        servers[i] = null;
        stores[i] = null;
    }

    @Override
    public void close() throws Exception {
        for (int i = 0; i < servers.length; i++) {
            stop(i);
        }
    }
}
