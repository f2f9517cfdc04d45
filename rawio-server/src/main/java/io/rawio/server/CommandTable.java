package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the server knows about its commands, as Redis's COMMAND reply gives it: arity (negative: at
 * least), flags, and where the keys are (first, last, step; last -1: to the end). Cluster clients read
 * it at connect to find the key of a command (redis-py's RedisCluster does), and COMMAND GETKEYS uses
 * it. Answers COMMAND, COMMAND COUNT, LIST, INFO, DOCS and GETKEYS.
 */
final class CommandTable {
    record Spec(String name, int arity, List<String> flags, int firstKey, int lastKey, int step, String group,
            String summary) {
    }

    static final Map<String, Spec> SPECS = new LinkedHashMap<>();

    private static void add(String name, int arity, String flags, int first, int last, int step, String group,
            String summary) {
        SPECS.put(name, new Spec(name, arity, flags.isEmpty() ? List.of() : List.of(flags.split(" ")), first, last,
                step, group, summary));
    }

    static {
        add("get", 2, "readonly fast", 1, 1, 1, "string", "Returns the string value of a key.");
        add("set", -3, "write denyoom", 1, 1, 1, "string", "Sets the string value of a key, with options.");
        add("setex", 4, "write denyoom", 1, 1, 1, "string", "Sets a value and its expiry in seconds.");
        add("psetex", 4, "write denyoom", 1, 1, 1, "string", "Sets a value and its expiry in milliseconds.");
        add("setnx", 3, "write denyoom fast", 1, 1, 1, "string", "Sets a value only when the key does not exist.");
        add("getdel", 2, "write fast", 1, 1, 1, "string", "Returns a value and deletes the key.");
        add("getex", -2, "write fast", 1, 1, 1, "string", "Returns a value and sets or clears its expiry.");
        add("strlen", 2, "readonly fast", 1, 1, 1, "string", "Returns the length of a value.");
        add("mget", -2, "readonly fast", 1, -1, 1, "string", "Returns the values of many keys.");
        add("mset", -3, "write denyoom", 1, -1, 2, "string", "Sets many keys.");
        add("msetnx", -3, "write denyoom", 1, -1, 2, "string", "Sets many keys only when none exists.");
        add("del", -2, "write", 1, -1, 1, "generic", "Deletes keys.");
        add("unlink", -2, "write fast", 1, -1, 1, "generic", "Deletes keys.");
        add("exists", -2, "readonly fast", 1, -1, 1, "generic", "Counts the keys that exist.");
        add("type", 2, "readonly fast", 1, 1, 1, "generic", "Returns the type of a key (string or none).");
        add("ttl", 2, "readonly fast", 1, 1, 1, "generic", "Returns the seconds a key has left.");
        add("pttl", 2, "readonly fast", 1, 1, 1, "generic", "Returns the milliseconds a key has left.");
        add("expire", -3, "write fast", 1, 1, 1, "generic", "Sets a key's expiry in seconds.");
        add("pexpire", -3, "write fast", 1, 1, 1, "generic", "Sets a key's expiry in milliseconds.");
        add("expireat", -3, "write fast", 1, 1, 1, "generic", "Sets a key's expiry to a Unix time in seconds.");
        add("pexpireat", -3, "write fast", 1, 1, 1, "generic", "Sets a key's expiry to a Unix time in ms.");
        add("persist", 2, "write fast", 1, 1, 1, "generic", "Removes a key's expiry.");
        add("scan", -2, "readonly", 0, 0, 0, "generic", "Iterates over the keys.");
        add("keys", 2, "readonly", 0, 0, 0, "generic", "Returns the keys that match a pattern.");
        add("randomkey", 1, "readonly", 0, 0, 0, "generic", "Returns a random key.");
        add("dbsize", 1, "readonly fast", 0, 0, 0, "server", "Returns the number of keys.");
        add("flushdb", -1, "write", 0, 0, 0, "server", "Removes every key.");
        add("flushall", -1, "write", 0, 0, 0, "server", "Removes every key.");
        add("ping", -1, "fast", 0, 0, 0, "connection", "Returns PONG, or the argument.");
        add("echo", 2, "fast", 0, 0, 0, "connection", "Returns the argument.");
        add("quit", -1, "fast", 0, 0, 0, "connection", "Closes the connection.");
        add("auth", -2, "noscript loading stale fast no_auth", 0, 0, 0, "connection", "Authenticates the connection.");
        add("hello", -1, "noscript loading stale fast no_auth", 0, 0, 0, "connection",
                "Chooses the protocol, authenticates, names the connection.");
        add("select", 2, "loading stale fast", 0, 0, 0, "connection", "Selects database 0 (the only one).");
        add("client", -2, "", 0, 0, 0, "connection", "Commands about client connections.");
        add("command", -1, "loading stale", 0, 0, 0, "server", "Describes the commands.");
        add("info", -1, "loading stale", 0, 0, 0, "server", "Returns information and statistics.");
        add("time", 1, "loading stale fast", 0, 0, 0, "server", "Returns the server time.");
        add("shutdown", -1, "admin noscript loading stale", 0, 0, 0, "server", "Stops the server, checkpointing the store.");
        add("config", -2, "admin loading stale", 0, 0, 0, "server", "CONFIG GET of a few parameters.");
        add("cluster", -2, "", 0, 0, 0, "cluster", "The cluster surface (one node, all slots).");
        add("readonly", 1, "loading stale fast", 0, 0, 0, "cluster", "Accepted (cluster clients send it).");
        add("readwrite", 1, "loading stale fast", 0, 0, 0, "cluster", "Accepted (cluster clients send it).");
    }

    private CommandTable() {
    }

    static void command(List<byte[]> args, ReplyWriter out) {
        if (args.size() == 1) {
            out.array(SPECS.size());
            for (Spec s : SPECS.values()) {
                info(s, out);
            }
            return;
        }
        String sub = Commands.name(args.get(1));
        switch (sub) {
            case "count" -> out.integer(SPECS.size());
            case "list" -> {
                if (args.size() > 2) {
                    out.error("ERR syntax error"); // FILTERBY is not supported
                    return;
                }
                out.array(SPECS.size());
                for (String name : SPECS.keySet()) {
                    out.bulk(name);
                }
            }
            case "info" -> {
                List<Spec> asked = new ArrayList<>();
                if (args.size() == 2) {
                    asked.addAll(SPECS.values());
                } else {
                    for (int i = 2; i < args.size(); i++) {
                        asked.add(SPECS.get(Commands.name(args.get(i))));
                    }
                }
                out.array(asked.size());
                for (Spec s : asked) {
                    if (s == null) {
                        out.nullBulk(); // Redis's reply for a command it does not know: $-1 (RESP3: _)
                    } else {
                        info(s, out);
                    }
                }
            }
            case "docs" -> {
                List<Spec> asked = new ArrayList<>();
                if (args.size() == 2) {
                    asked.addAll(SPECS.values());
                } else {
                    for (int i = 2; i < args.size(); i++) {
                        Spec s = SPECS.get(Commands.name(args.get(i)));
                        if (s != null) {
                            asked.add(s);
                        }
                    }
                }
                out.map(asked.size());
                for (Spec s : asked) {
                    out.bulk(s.name());
                    out.map(3);
                    out.bulk("summary").bulk(s.summary());
                    out.bulk("since").bulk("1.0.0");
                    out.bulk("group").bulk(s.group());
                }
            }
            case "getkeys" -> {
                if (args.size() < 4) { // COMMAND GETKEYS's arity is -4: a command and at least one argument
                    out.error("ERR wrong number of arguments for 'command|getkeys' command");
                    return;
                }
                List<byte[]> cmd = args.subList(2, args.size());
                Spec s = SPECS.get(Commands.name(cmd.getFirst()));
                if (s == null) {
                    out.error("ERR Invalid command specified");
                } else if (s.firstKey() == 0) {
                    out.error("ERR The command has no key arguments");
                } else if (!arityOk(s, cmd.size())) {
                    out.error("ERR Invalid number of arguments specified for command");
                } else {
                    List<byte[]> keys = keys(s, cmd);
                    out.array(keys.size());
                    for (byte[] k : keys) {
                        out.bulk(k);
                    }
                }
            }
            case "help" -> {
                String[] lines = {"COMMAND [<subcommand> [<arg> ...]]. Subcommands are:", "(no subcommand)",
                    "    Return details about all commands.", "COUNT", "LIST", "INFO [<command-name> ...]",
                    "DOCS [<command-name> ...]", "GETKEYS <full-command>", "HELP"};
                out.array(lines.length);
                for (String l : lines) {
                    out.simple(l);
                }
            }
            default -> out.error("ERR unknown subcommand '" + new String(args.get(1), StandardCharsets.UTF_8)
                    + "'. Try COMMAND HELP.");
        }
    }

    /**
     * The arity of the subcommands whose arguments Redis counts before it runs them (as for a command:
     * n exactly, or at least -n), by "command|subcommand": a request outside it gets Redis's
     * "wrong number of arguments for 'client|info' command".
     */
    private static final Map<String, Integer> SUB_ARITY = Map.ofEntries(
            Map.entry("command|count", 2), Map.entry("command|list", -2), Map.entry("command|info", -2),
            Map.entry("command|docs", -2), Map.entry("command|getkeys", -3), Map.entry("command|help", 2),
            Map.entry("client|id", 2), Map.entry("client|info", 2), Map.entry("client|list", -2),
            Map.entry("client|getname", 2), Map.entry("client|setname", 3), Map.entry("client|setinfo", 4),
            Map.entry("client|kill", -3), Map.entry("client|help", 2), Map.entry("client|no-evict", 3),
            Map.entry("client|no-touch", 3), Map.entry("client|reply", 3),
            Map.entry("config|get", -3), Map.entry("config|set", -4), Map.entry("config|resetstat", 2),
            Map.entry("config|rewrite", 2), Map.entry("config|help", 2));

    /**
     * The "command|subcommand" name whose argument count {@code args} breaks, or null (not a subcommand
     * this table counts, or a right count).
     */
    static String wrongSubcommandArity(String cmd, List<byte[]> args) {
        if (args.size() < 2) {
            return null;
        }
        String name = cmd + "|" + Commands.name(args.get(1));
        Integer arity = SUB_ARITY.get(name);
        if (arity == null) {
            return null;
        }
        int n = args.size();
        return (arity >= 0 ? n == arity : n >= -arity) ? null : name;
    }

    static boolean arityOk(Spec s, int n) {
        return s.arity() >= 0 ? n == s.arity() : n >= -s.arity();
    }

    /** The key arguments of a request (the command name first). */
    static List<byte[]> keys(Spec s, List<byte[]> cmd) {
        List<byte[]> keys = new ArrayList<>();
        if (s.firstKey() == 0) {
            return keys;
        }
        int last = s.lastKey() < 0 ? cmd.size() + s.lastKey() : s.lastKey();
        for (int i = s.firstKey(); i <= last && i < cmd.size(); i += s.step()) {
            keys.add(cmd.get(i));
        }
        return keys;
    }

    private static void info(Spec s, ReplyWriter out) {
        out.array(10);
        out.bulk(s.name()).integer(s.arity());
        out.set(s.flags().size());
        for (String f : s.flags()) {
            out.simple(f);
        }
        out.integer(s.firstKey()).integer(s.lastKey()).integer(s.step());
        out.set(1).simple("@" + s.group());
        out.set(0); // tips
        out.array(0); // key specifications: the first/last/step triple says it for these commands
        out.array(0); // subcommands
    }
}
