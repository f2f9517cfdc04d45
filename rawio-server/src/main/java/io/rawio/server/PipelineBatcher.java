package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.SlotStore;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a connection's pipelined requests with the store's batches: a run of consecutive plain
 * {@code GET key} requests is one getMany (every read in flight at once), a run of consecutive plain
 * {@code SET key value} requests one putMany (one dispatcher batch; one fdatasync when durable). Every
 * other request runs on its own, through {@link Commands}, between the runs; replies keep the
 * requests' order, and a run never crosses another request, so a client sees exactly what one request
 * at a time would give it.
 */
final class PipelineBatcher {
    private final SlotStore store;
    private final Commands commands;

    PipelineBatcher(SlotStore store, Commands commands) {
        this.store = store;
        this.commands = commands;
    }

    private static boolean is(byte[] arg, String lower) {
        if (arg.length != lower.length()) {
            return false;
        }
        for (int i = 0; i < arg.length; i++) {
            if (Character.toLowerCase((char) (arg[i] & 0xff)) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean plainGet(List<byte[]> r) {
        return r.size() == 2 && is(r.getFirst(), "get");
    }

    private static boolean plainSet(List<byte[]> r) {
        return r.size() == 3 && is(r.getFirst(), "set");
    }

    /**
     * Runs {@code requests} in order, replies to {@code out}. Returns what the connection does next:
     * the first request that asked to close (or shut down) ends the run; the rest are not run.
     */
    Commands.After run(List<List<byte[]>> requests, ReplyWriter out, Session session) {
        int i = 0;
        while (i < requests.size()) {
            List<byte[]> r = requests.get(i);
            int j = i + 1;
            if (!session.authenticated) {
                // Not batched: each request goes to the command table, which asks for AUTH first.
                Commands.After after = commands.run(r, out, session);
                if (after != Commands.After.CONTINUE) {
                    return after;
                }
                i++;
                continue;
            }
            if (plainGet(r)) {
                while (j < requests.size() && plainGet(requests.get(j))) {
                    j++;
                }
                if (j - i > 1) {
                    gets(requests.subList(i, j), out);
                    i = j;
                    continue;
                }
            } else if (plainSet(r)) {
                while (j < requests.size() && plainSet(requests.get(j))) {
                    j++;
                }
                if (j - i > 1) {
                    sets(requests.subList(i, j), out);
                    i = j;
                    continue;
                }
            }
            Commands.After after = commands.run(r, out, session);
            if (after != Commands.After.CONTINUE) {
                return after;
            }
            i++;
        }
        return Commands.After.CONTINUE;
    }

    private void gets(List<List<byte[]>> run, ReplyWriter out) {
        List<byte[]> keys = new ArrayList<>(run.size());
        for (List<byte[]> r : run) {
            keys.add(r.get(1));
        }
        try {
            for (SlotStore.GetResult g : store.getMany(keys)) {
                if (g.value() != null) {
                    out.bulk(g.value());
                } else if (g.corrupt() != null) {
                    out.error("ERR " + g.corrupt());
                } else {
                    out.nullBulk();
                }
            }
        } catch (IOException | RuntimeException e) {
            for (int k = 0; k < run.size(); k++) {
                out.error("ERR " + e.getMessage());
            }
        }
    }

    private void sets(List<List<byte[]>> run, ReplyWriter out) {
        List<byte[]> keys = new ArrayList<>(run.size());
        List<MemorySegment> values = new ArrayList<>(run.size());
        for (List<byte[]> r : run) {
            keys.add(r.get(1));
            values.add(MemorySegment.ofArray(r.get(2)));
        }
        try {
            for (SlotStore.Result res : store.putMany(keys, values)) {
                if (res.ok()) {
                    out.ok();
                } else {
                    out.error("ERR " + res.error());
                }
            }
        } catch (IOException | RuntimeException e) {
            for (int k = 0; k < run.size(); k++) {
                out.error("ERR " + e.getMessage());
            }
        }
    }
}
