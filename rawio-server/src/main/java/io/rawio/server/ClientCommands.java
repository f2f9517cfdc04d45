package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The connection's own commands: AUTH, HELLO (protocol, AUTH, SETNAME) and CLIENT (ID, SETNAME, GETNAME,
 * SETINFO, INFO, LIST, KILL, NO-EVICT/NO-TOUCH/REPLY ON, HELP). Replies and errors have Redis 7's shapes.
 * The password is compared in constant time (MessageDigest.isEqual), so a reply's timing does not tell
 * how much of a guess was right. Called on the event loop's thread only.
 */
final class ClientCommands {
    private final byte[] password;
    private final Commands.Clients clients;
    private final java.time.InstantSource clock;

    ClientCommands(byte[] password, Commands.Clients clients, java.time.InstantSource clock) {
        this.password = password;
        this.clients = clients;
        this.clock = clock;
    }

    /** AUTH [username] password. */
    void auth(List<byte[]> args, ReplyWriter out, Session session) {
        if (args.size() < 2) {
            Commands.wrongArgs(out, "auth");
            return;
        }
        if (args.size() > 3) {
            out.error("ERR syntax error");
            return;
        }
        if (password == null && args.size() == 2) {
            out.error("ERR AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?");
            return;
        }
        if (check(args.size() == 3 ? args.get(1) : null, args.getLast())) {
            session.authenticated = true;
            out.ok();
        } else {
            out.error("WRONGPASS invalid username-password pair or user is disabled.");
        }
    }

    private static final byte[] DEFAULT_USER = "default".getBytes(StandardCharsets.US_ASCII);

    /**
     * Whether user (null: default) and pass are right; always compares the whole password. The one user
     * is "default" (case matters, as in Redis); without a password it takes any (Redis's nopass).
     */
    private boolean check(byte[] user, byte[] pass) {
        boolean userOk = user == null || java.util.Arrays.equals(user, DEFAULT_USER);
        if (password == null) {
            return userOk;
        }
        return MessageDigest.isEqual(password, pass) & userOk;
    }

    /** HELLO [protover [AUTH username password] [SETNAME clientname]]. */
    void hello(List<byte[]> args, ReplyWriter out, Session session) {
        int proto = out.protocol();
        if (args.size() > 1) {
            Long v = Commands.integer(args.get(1));
            if (v == null) {
                out.error("ERR Protocol version is not an integer or out of range");
                return;
            }
            if (v != 2 && v != 3) {
                out.error("NOPROTO unsupported protocol version");
                return;
            }
            proto = v.intValue();
        }
        String setName = null;
        for (int i = 2; i < args.size(); i++) {
            String opt = Commands.name(args.get(i));
            if (opt.equals("auth") && i + 2 < args.size()) {
                if (!check(args.get(i + 1), args.get(i + 2))) {
                    out.error("WRONGPASS invalid username-password pair or user is disabled.");
                    return;
                }
                session.authenticated = true;
                i += 2;
            } else if (opt.equals("setname") && i + 1 < args.size()) {
                setName = new String(args.get(i + 1), StandardCharsets.UTF_8);
                if (!validName(setName)) {
                    out.error("ERR Client names cannot contain spaces, newlines or special characters.");
                    return;
                }
                i += 1;
            } else {
                out.error("ERR Syntax error in HELLO option '" + new String(args.get(i), StandardCharsets.UTF_8) + "'");
                return;
            }
        }
        if (!session.authenticated) {
            out.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the"
                    + " HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and"
                    + " select the RESP protocol version at the same time");
            return;
        }
        if (setName != null) {
            session.name = setName;
        }
        out.protocol(proto);
        out.map(7);
        out.bulk("server").bulk("redis");
        out.bulk("version").bulk(Commands.REDIS_VERSION);
        out.bulk("proto").integer(proto);
        out.bulk("id").integer(session.id);
        out.bulk("mode").bulk(Commands.REDIS_MODE);
        out.bulk("role").bulk("master");
        out.bulk("modules").array(0);
    }

    /** Redis: a name is printable ASCII without spaces. */
    private static boolean validName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            if (ch < '!' || ch > '~') {
                return false;
            }
        }
        return true;
    }

    void client(List<byte[]> args, ReplyWriter out, Session session) {
        if (args.size() < 2) {
            Commands.wrongArgs(out, "client");
            return;
        }
        String sub = Commands.name(args.get(1));
        int n = args.size();
        switch (sub) {
            case "id" -> {
                if (n != 2) {
                    wrongSub(out, sub);
                } else {
                    out.integer(session.id);
                }
            }
            case "setname" -> {
                if (n != 3) {
                    wrongSub(out, sub);
                    return;
                }
                String name = new String(args.get(2), StandardCharsets.UTF_8);
                if (!validName(name)) {
                    out.error("ERR Client names cannot contain spaces, newlines or special characters.");
                    return;
                }
                session.name = name;
                out.ok();
            }
            case "getname" -> {
                if (n != 2) {
                    wrongSub(out, sub);
                } else if (session.name.isEmpty()) {
                    out.nullBulk();
                } else {
                    out.bulk(session.name);
                }
            }
            case "setinfo" -> {
                if (n != 4) {
                    wrongSub(out, sub);
                    return;
                }
                String attr = Commands.name(args.get(2));
                String value = new String(args.get(3), StandardCharsets.UTF_8);
                if (!validName(value) && !value.isEmpty()) {
                    out.error("ERR " + attr + " cannot contain spaces, newlines or special characters.");
                } else if (attr.equals("lib-name")) {
                    session.libName = value;
                    out.ok();
                } else if (attr.equals("lib-ver")) {
                    session.libVersion = value;
                    out.ok();
                } else {
                    out.error("ERR Unrecognized option '" + new String(args.get(2), StandardCharsets.UTF_8) + "'");
                }
            }
            case "info" -> out.verbatim(line(session, clock.millis()) + "\n");
            case "list" -> list(args, out);
            case "kill" -> kill(args, out, session);
            case "no-evict", "no-touch", "reply" -> {
                String v = n == 3 ? Commands.name(args.get(2)) : "";
                if (n != 3) {
                    wrongSub(out, sub);
                } else if (sub.equals("reply") && (v.equals("off") || v.equals("skip"))) {
                    // Every request is answered here; saying OK and answering anyway would put the client's
                    // reading out of step with its requests.
                    out.error("ERR CLIENT REPLY OFF and SKIP are not supported");
                } else if (v.equals("on") || (v.equals("off") && !sub.equals("reply"))) {
                    out.ok(); // nothing to change here: no client is evicted, keys carry no LRU to touch
                } else {
                    out.error("ERR syntax error");
                }
            }
            case "help" -> {
                String[] lines = {"CLIENT <subcommand> [<arg> ...]. Subcommands are:",
                    "ID", "    Return the ID of the current connection.",
                    "GETNAME", "    Return the name of the current connection.",
                    "SETNAME <name>", "    Assign the name <name> to the current connection.",
                    "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client meta attributes.",
                    "INFO", "    Return information about the current client connection.",
                    "LIST", "    Return information about client connections.",
                    "KILL <ip:port> | KILL ID <id> | KILL ADDR <ip:port>", "    Kill connections.",
                    "HELP", "    Print this help."};
                out.array(lines.length);
                for (String l : lines) {
                    out.simple(l);
                }
            }
            default -> out.error("ERR unknown subcommand '" + new String(args.get(1), StandardCharsets.UTF_8)
                    + "'. Try CLIENT HELP.");
        }
    }

    /**
     * CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]: every connection here is a normal one;
     * anything else is Redis's syntax error (or its error for a bad type or id).
     */
    private void list(List<byte[]> args, ReplyWriter out) {
        int n = args.size();
        boolean normal = true;
        List<Long> ids = null;
        if (n > 2) {
            String opt = Commands.name(args.get(2));
            if (opt.equals("type") && n == 4) {
                String type = Commands.name(args.get(3));
                if (!type.equals("normal") && !type.equals("master") && !type.equals("replica")
                        && !type.equals("slave") && !type.equals("pubsub")) {
                    out.error("ERR Unknown client type '" + new String(args.get(3), StandardCharsets.UTF_8) + "'");
                    return;
                }
                normal = type.equals("normal");
            } else if (opt.equals("id") && n >= 4) {
                ids = new java.util.ArrayList<>();
                for (int i = 3; i < n; i++) {
                    Long id = Commands.integer(args.get(i));
                    if (id == null) {
                        out.error("ERR Invalid client ID");
                        return;
                    }
                    ids.add(id); // 0 or below is no client's (Redis 7.0: listed as none)
                }
            } else {
                out.error("ERR syntax error");
                return;
            }
        }
        StringBuilder sb = new StringBuilder();
        long now = clock.millis();
        List<Session> all = clients.all().get();
        if (ids == null) {
            for (Session s : all) {
                if (normal) {
                    sb.append(line(s, now)).append('\n');
                }
            }
        } else {
            // As Redis 7.0: each id in the order given, a client as often as its id is.
            java.util.Map<Long, Session> byId = new java.util.HashMap<>();
            for (Session s : all) {
                byId.put(s.id, s);
            }
            for (long id : ids) {
                Session s = byId.get(id);
                if (s != null) {
                    sb.append(line(s, now)).append('\n');
                }
            }
        }
        out.verbatim(sb.toString());
    }

    private static void wrongSub(ReplyWriter out, String sub) {
        out.error("ERR wrong number of arguments for 'client|" + sub + "' command");
    }

    /** CLIENT KILL ip:port (old form: OK or an error) or filters ID / ADDR / SKIPME (a count). */
    private void kill(List<byte[]> args, ReplyWriter out, Session self) {
        int n = args.size();
        if (n == 3) {
            String addr = new String(args.get(2), StandardCharsets.UTF_8);
            for (Session s : clients.all().get()) {
                if (s.address.equals(addr)) {
                    kill(s, self);
                    out.ok();
                    return;
                }
            }
            out.error("ERR No such client");
            return;
        }
        if (n < 4 || n % 2 != 0) {
            out.error("ERR syntax error");
            return;
        }
        Long id = null;
        String addr = null;
        boolean skipMe = true;
        for (int i = 2; i + 1 < n; i += 2) {
            String f = Commands.name(args.get(i));
            String v = new String(args.get(i + 1), StandardCharsets.UTF_8);
            switch (f) {
                case "id" -> {
                    id = Commands.integer(args.get(i + 1));
                    if (id == null) {
                        out.error("ERR client-id should be greater than 0");
                        return;
                    }
                }
                case "addr" -> addr = v;
                case "skipme" -> {
                    if (!v.equalsIgnoreCase("yes") && !v.equalsIgnoreCase("no")) {
                        out.error("ERR syntax error");
                        return;
                    }
                    skipMe = v.equalsIgnoreCase("yes");
                }
                default -> {
                    out.error("ERR syntax error");
                    return;
                }
            }
        }
        long killed = 0;
        for (Session s : clients.all().get()) {
            if ((id != null && s.id != id) || (addr != null && !s.address.equals(addr)) || (skipMe && s == self)) {
                continue;
            }
            kill(s, self);
            killed++;
        }
        out.integer(killed);
    }

    /** Kills {@code s}: this very connection closes after its reply (Redis); another at once. */
    private void kill(Session s, Session self) {
        if (s == self && s.connection != null) {
            s.connection.closeSoon();
        } else {
            clients.kill().accept(s);
        }
    }

    /** One CLIENT LIST line, with the fields Redis 7 gives (those that mean nothing here are 0). */
    static String line(Session s, long nowMs) {
        Connection c = s.connection;
        long qbuf = c == null ? 0 : c.queryBytes();
        long omem = c == null ? 0 : c.replies.unsentBytes();
        return "id=" + s.id + " addr=" + s.address + " laddr=" + s.localAddress + " fd=" + (c == null ? -1 : c.fd)
                + " name=" + s.name + " age=" + Math.max(0, (nowMs - s.createdMs) / 1000)
                + " idle=" + Math.max(0, (nowMs - s.lastActiveMs) / 1000) + " flags=N db=0 sub=0 psub=0 ssub=0"
                + " multi=-1 qbuf=" + qbuf + " qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=" + omem
                + " tot-mem=" + (qbuf + omem) + " events=r cmd=" + s.lastCommand + " user=default redir=-1"
                + " resp=" + (c == null ? 2 : c.out.protocol()) + " lib-name=" + s.libName + " lib-ver=" + s.libVersion;
    }
}
