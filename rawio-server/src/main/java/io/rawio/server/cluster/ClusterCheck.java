package io.rawio.server.cluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code rawio cluster check}: asks every node of a cluster file who it is and what it holds, and says
 * what is wrong: slots no node owns, nodes that cannot be reached, a node that is another one of the
 * file or runs another map (loaded another file: restart it with this one), and keys a node holds in
 * slots it does not own (left by an earlier map: resharding is by configuration, change the file and
 * restart, and moving those keys to their new owner is not done by rawio yet).
 */
public final class ClusterCheck {
    /** The report: one line per finding, and the number of problems among them. */
    public record Report(List<String> lines, int problems) {
    }

    private ClusterCheck() {
    }

    /** Checks every node of {@code config} ({@code password} for AUTH, or null; each call bounded by {@code timeoutMs}). */
    public static Report run(String source, ClusterConfig config, String password, int timeoutMs) {
        List<String> lines = new ArrayList<>();
        int problems = 0;
        List<int[]> gaps = config.unassigned();
        int assigned = 0;
        for (ClusterConfig.Node n : config.nodes()) {
            assigned += n.slotCount();
        }
        lines.add("cluster " + source + ": " + config.nodes().size() + " node" + (config.nodes().size() == 1 ? "" : "s")
                + ", " + assigned + " of " + KeySlot.SLOTS + " slots assigned, each to one node");
        if (!gaps.isEmpty()) {
            lines.add("PROBLEM: slots " + ClusterConfig.format(gaps) + " have no node (their keys get -CLUSTERDOWN)");
            problems++;
        }
        long total = 0;
        int up = 0;
        for (ClusterConfig.Node n : config.nodes()) {
            String head = "node " + n.name() + " " + n.address() + " slots "
                    + (n.ranges().isEmpty() ? "none" : ClusterConfig.format(n.ranges())) + " (" + n.slotCount() + "): ";
            try (RespConnection c = new RespConnection(n.host(), n.port(), timeoutMs)) {
                if (password != null) {
                    Object auth = c.call("AUTH", password);
                    if (auth instanceof RespConnection.Error e) {
                        lines.add(head + "PROBLEM: AUTH refused: " + e.message());
                        problems++;
                        continue;
                    }
                }
                Object info = c.call("INFO", "cluster");
                Object dbsize = c.call("DBSIZE");
                Object myId = c.call("CLUSTER", "MYID");
                if (!(info instanceof String text) || !(dbsize instanceof Long keys)) {
                    lines.add(head + "PROBLEM: it answers " + (info instanceof RespConnection.Error e ? e.message()
                            : dbsize instanceof RespConnection.Error e ? e.message() : "unexpectedly"));
                    problems++;
                    continue;
                }
                String name = field(text, "rawio_cluster_node");
                String digest = field(text, "rawio_cluster_digest");
                long other = parse(field(text, "rawio_keys_in_other_slots"));
                up++;
                total += keys;
                StringBuilder sb = new StringBuilder(head).append("up, ").append(keys).append(" key")
                        .append(keys == 1 ? "" : "s");
                if (name == null || digest == null) {
                    sb.append("; PROBLEM: not serving a static cluster (serve --cluster=FILE)");
                    problems++;
                } else if (!name.equals(n.name()) || !n.id().equals(myId)) {
                    sb.append("; PROBLEM: it says it is node ").append(name);
                    problems++;
                } else if (!digest.equals(config.digest())) {
                    sb.append("; PROBLEM: it runs another cluster map (restart it with this file)");
                    problems++;
                }
                if (other > 0) {
                    sb.append("; PROBLEM: ").append(other).append(" of them in slots it does not own (left by an"
                            + " earlier map; clients are sent to the owner, so they are not read; rawio does not move"
                            + " them yet)");
                    problems++;
                }
                lines.add(sb.toString());
            } catch (IOException | RuntimeException e) {
                lines.add(head + "PROBLEM: unreachable (" + (e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage()) + ")");
                problems++;
            }
        }
        lines.add(up + " of " + config.nodes().size() + " nodes up, " + total + " key" + (total == 1 ? "" : "s") + " in all; "
                + (problems == 0 ? "no problems" : problems + " problem" + (problems == 1 ? "" : "s")));
        return new Report(lines, problems);
    }

    private static String field(String info, String name) {
        for (String l : info.split("\r\n")) {
            if (l.startsWith(name + ":")) {
                return l.substring(name.length() + 1);
            }
        }
        return null;
    }

    private static long parse(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
