package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CONFIG GET of the parameters clients, redis-benchmark and operators ask for, with this server's
 * values (its port, bind address, maxclients, largest bulk string, idle timeout); CONFIG SET, RESETSTAT
 * and REWRITE refused after their arguments are checked, as Redis checks them. requirepass is not
 * given out. Errors in Redis's words. Immutable.
 */
final class ConfigCommands {
    private final Map<String, String> values;

    ConfigCommands(Map<String, String> values) {
        this.values = values;
    }

    /**
     * The parameters and their values for {@code options} (null: a server's defaults) listening on
     * {@code port}, over a store whose eviction is {@code policy} (as INFO says it).
     */
    static Map<String, String> values(ServerOptions options, int port, String policy) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("save", "");
        v.put("appendonly", "no");
        v.put("databases", "1");
        v.put("maxmemory", "0");
        v.put("maxmemory-policy", policy);
        v.put("cluster-enabled", "yes");
        v.put("timeout", options == null ? "0" : Long.toString(options.idleTimeoutMs() / 1000));
        v.put("port", Integer.toString(port));
        v.put("bind", options == null || options.bind() == null ? "127.0.0.1"
                : options.bind().getAddress().getHostAddress());
        v.put("unixsocket", options == null || options.unixSocket() == null ? "" : options.unixSocket().toString());
        v.put("maxclients", options == null ? "10000" : Integer.toString(options.maxClients()));
        v.put("proto-max-bulk-len", options == null ? "536870912" : Long.toString(options.maxBulk()));
        return java.util.Collections.unmodifiableMap(v);
    }

    void config(List<byte[]> args, ReplyWriter out) {
        String sub = Commands.name(args.get(1));
        int n = args.size();
        switch (sub) {
            case "get" -> get(args, out);
            case "set", "resetstat", "rewrite" -> {
                if (sub.equals("set") && n < 4) {
                    Commands.wrongArgs(out, "config|set");
                } else if (sub.equals("set") && n % 2 != 0) {
                    out.error("ERR syntax error"); // a name without its value (Redis 7 takes several pairs)
                } else {
                    out.error("ERR CONFIG " + sub.toUpperCase(Locale.ROOT) + " is not supported: the server is"
                            + " configured by its command line");
                }
            }
            case "help" -> {
                String[] lines = {"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                    "HELP", "    Print this help."};
                out.array(lines.length);
                for (String l : lines) {
                    out.simple(l);
                }
            }
            default -> out.error("ERR unknown subcommand '" + new String(args.get(1), StandardCharsets.UTF_8)
                    + "'. Try CONFIG HELP.");
        }
    }

    /**
     * CONFIG GET pattern [pattern ...]: as Redis 7, a name without glob characters is looked up without
     * regard to case and answered with the name as the client wrote it; a pattern is matched (without
     * regard to case) against every parameter, answered with their own names; each parameter once.
     */
    private void get(List<byte[]> args, ReplyWriter out) {
        Map<String, String> found = new LinkedHashMap<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 2; i < args.size(); i++) {
            String asked = new String(args.get(i), StandardCharsets.UTF_8);
            String lower = asked.toLowerCase(Locale.ROOT);
            if (lower.indexOf('*') < 0 && lower.indexOf('?') < 0 && lower.indexOf('[') < 0) {
                if (values.containsKey(lower) && seen.add(lower)) {
                    found.put(asked, values.get(lower));
                }
                continue;
            }
            byte[] pattern = lower.getBytes(StandardCharsets.UTF_8);
            for (Map.Entry<String, String> e : values.entrySet()) {
                if (Glob.matches(pattern, e.getKey().getBytes(StandardCharsets.UTF_8)) && seen.add(e.getKey())) {
                    found.put(e.getKey(), e.getValue());
                }
            }
        }
        out.map(found.size());
        for (Map.Entry<String, String> e : found.entrySet()) {
            out.bulk(e.getKey()).bulk(e.getValue());
        }
    }
}
