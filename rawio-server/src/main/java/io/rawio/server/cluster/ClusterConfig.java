package io.rawio.server.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A static cluster map, read from a small text file that every node of the cluster loads:
 *
 * <pre>
 * # comments and blank lines are ignored
 * # NAME  HOST:PORT        SLOTS (ranges START-END or single slots, space separated)
 * a       127.0.0.1:7001   0-5460
 * b       127.0.0.1:7002   5461-10922
 * c       127.0.0.1:7003   10923-16383
 * </pre>
 *
 * NAME is 1 to 40 of {@code [A-Za-z0-9_.-]}, unique; HOST:PORT is the address clients are told in
 * CLUSTER SLOTS and {@code -MOVED} (an IPv6 host in brackets: {@code [::1]:7001}), unique; slots are 0 to
 * 16383, and no slot belongs to two ranges. A node may own no slot (it answers, redirects every key).
 * Slots no node owns are allowed (they are {@link #unassigned()}; a key there gets {@code -CLUSTERDOWN})
 * and reported. Any other mistake is a {@link Invalid} with one line: {@code FILE:LINE: what}.
 */
public record ClusterConfig(List<Node> nodes) {
    /** One node: its name in the file, the address clients are sent to, the slot ranges it owns. */
    public record Node(String name, String host, int port, List<int[]> ranges) {
        /** The 40 hex digits CLUSTER NODES, SLOTS and MYID give: the name itself if it is that, else its SHA-1. */
        public String id() {
            if (name.length() == 40 && name.chars().allMatch(c -> Character.digit(c, 16) >= 0 && !Character.isUpperCase(c))) {
                return name;
            }
            try {
                return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                        .digest(("rawio-node:" + name).getBytes(StandardCharsets.UTF_8)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        /** {@code host:port}, as MOVED gives it. */
        public String address() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }

        /** The slots it owns. */
        public int slotCount() {
            int n = 0;
            for (int[] r : ranges) {
                n += r[1] - r[0] + 1;
            }
            return n;
        }
    }

    /** A cluster file that cannot be used; the message is one line saying where and why. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,40}");

    public ClusterConfig {
        nodes = List.copyOf(nodes);
    }

    /** Reads and checks {@code file}. */
    public static ClusterConfig read(Path file) throws Invalid {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Invalid(file + ": no such file");
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new Invalid(file + ": cannot read: " + e.getMessage());
        }
        return parse(file.toString(), text);
    }

    /** Parses and checks the text of a cluster file; {@code source} names it in messages. */
    public static ClusterConfig parse(String source, String text) throws Invalid {
        List<Node> nodes = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> addresses = new HashMap<>();
        // Which line first claimed each slot, to name both lines of an overlap.
        int[] claimedBy = new int[KeySlot.SLOTS];
        String[] lines = text.split("\n", -1);
        for (int ln = 1; ln <= lines.length; ln++) {
            String line = lines[ln - 1];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = source + ":" + ln + ": ";
            String[] f = line.split("\\s+");
            if (f.length < 2) {
                throw new Invalid(where + "expected NAME HOST:PORT [SLOTS...], got '" + line + "'");
            }
            String name = f[0];
            if (!NAME.matcher(name).matches()) {
                throw new Invalid(where + "bad node name '" + name + "' (1 to 40 of A-Z a-z 0-9 _ . -)");
            }
            Integer before = names.putIfAbsent(name, ln);
            if (before != null) {
                throw new Invalid(where + "node '" + name + "' is already on line " + before);
            }
            String[] hp = hostPort(where, f[1]);
            String address = hp[0] + ":" + hp[1];
            before = addresses.putIfAbsent(address, ln);
            if (before != null) {
                throw new Invalid(where + "address " + f[1] + " is already node " + nodeOnLine(nodes, names, before));
            }
            List<int[]> ranges = new ArrayList<>();
            for (int i = 2; i < f.length; i++) {
                int[] r = range(where, f[i]);
                for (int s = r[0]; s <= r[1]; s++) {
                    if (claimedBy[s] != 0) {
                        throw new Invalid(where + "slot " + s + " (in " + f[i] + ") is already owned by node '"
                                + nodeOnLine(nodes, names, claimedBy[s]) + "' on line " + claimedBy[s]);
                    }
                    claimedBy[s] = ln;
                }
                ranges.add(r);
            }
            ranges.sort((x, y) -> Integer.compare(x[0], y[0]));
            nodes.add(new Node(name, hp[0], Integer.parseInt(hp[1]), List.copyOf(ranges)));
        }
        if (nodes.isEmpty()) {
            throw new Invalid(source + ": no nodes (lines of NAME HOST:PORT SLOTS...)");
        }
        return new ClusterConfig(nodes);
    }

    private static String nodeOnLine(List<Node> nodes, Map<String, Integer> names, int line) {
        for (var e : names.entrySet()) {
            if (e.getValue() == line) {
                return e.getKey();
            }
        }
        return "?";
    }

    private static String[] hostPort(String where, String s) throws Invalid {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new Invalid(where + "bad address '" + s + "' (HOST:PORT)");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new Invalid(where + "bad address '" + s + "' (an IPv6 host goes in brackets: [::1]:7001)");
        }
        if (host.isEmpty()) {
            throw new Invalid(where + "bad address '" + s + "' (HOST:PORT)");
        }
        int port = number(s.substring(colon + 1));
        if (port < 1 || port > 65535) {
            throw new Invalid(where + "bad port in '" + s + "' (1 to 65535)");
        }
        return new String[] {host, Integer.toString(port)};
    }

    private static int[] range(String where, String s) throws Invalid {
        int dash = s.indexOf('-');
        int from = number(dash < 0 ? s : s.substring(0, dash));
        int to = dash < 0 ? from : number(s.substring(dash + 1));
        if (from < 0 || to < 0 || from >= KeySlot.SLOTS || to >= KeySlot.SLOTS) {
            throw new Invalid(where + "bad slot range '" + s + "' (START-END or SLOT, slots 0 to 16383)");
        }
        if (from > to) {
            throw new Invalid(where + "bad slot range '" + s + "' (its start is past its end)");
        }
        return new int[] {from, to};
    }

    /** A decimal number of at most 5 digits, or -1. */
    private static int number(String s) {
        if (s.isEmpty() || s.length() > 5) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(s);
    }

    /** The node named {@code name}, or null. */
    public Node node(String name) {
        for (Node n : nodes) {
            if (n.name().equals(name)) {
                return n;
            }
        }
        return null;
    }

    /** The slot ranges no node owns, in order (empty when the nodes cover all 16384). */
    public List<int[]> unassigned() {
        boolean[] owned = new boolean[KeySlot.SLOTS];
        for (Node n : nodes) {
            for (int[] r : n.ranges()) {
                java.util.Arrays.fill(owned, r[0], r[1] + 1, true);
            }
        }
        List<int[]> gaps = new ArrayList<>();
        for (int s = 0; s < KeySlot.SLOTS; s++) {
            if (!owned[s]) {
                int from = s;
                while (s + 1 < KeySlot.SLOTS && !owned[s + 1]) {
                    s++;
                }
                gaps.add(new int[] {from, s});
            }
        }
        return gaps;
    }

    /** Ranges as the file writes them: {@code 0-99 200 300-310}. */
    public static String format(List<int[]> ranges) {
        StringBuilder sb = new StringBuilder();
        for (int[] r : ranges) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(r[0]);
            if (r[1] != r[0]) {
                sb.append('-').append(r[1]);
            }
        }
        return sb.toString();
    }

    /**
     * A digest of the map (every node's id, address and slots, in order): two nodes with the same digest
     * loaded the same map. INFO cluster gives it, {@code rawio cluster check} compares it.
     */
    public String digest() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes) {
            sb.append(n.id()).append(' ').append(n.address()).append(' ').append(format(n.ranges())).append('\n');
        }
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                    .digest(sb.toString().getBytes(StandardCharsets.UTF_8)), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
