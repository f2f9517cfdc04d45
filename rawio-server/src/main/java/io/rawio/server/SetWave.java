package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.store.SlotStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where a wave's SET replies are made ({@link RoundBatcher}): one wave's SETs and their owners, in order
 * (each connection's SETs side by side), and the written key each SET is answered by (a key set more
 * than once in the wave is written once). Once its putMany is in flight, each connection's replies may
 * be held ({@link #hold()}): a {@link DeviceReply} in its place among the connection's replies, its
 * bytes set when the putMany is over ({@link #answer}), mostly a run of "+OK\r\n" from one shared
 * piece of memory. Used by the loop's thread only.
 */
final class SetWave {
    /** "+OK\r\n" many times: the held replies of a connection's SETs that all succeeded, sent from here. */
    private static final int HELD_OKS = 1024;
    private static final MemorySegment OKS;

    static {
        byte[] ok = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
        OKS = Arena.global().allocate((long) ok.length * HELD_OKS);
        for (int i = 0; i < HELD_OKS; i++) {
            MemorySegment.copy(ok, 0, OKS, ValueLayout.JAVA_BYTE, (long) i * ok.length, ok.length);
        }
    }

    final Connection[] owners;
    /** For each SET, the index of the SET whose write answers it (itself, or a later SET of its key). */
    private final int[] writtenAs;
    /** For each SET written, its index in the putMany's keys; null when every SET is written. */
    private final int[] slot;
    /** A connection whose unsent replies pass this is dropped (client-output-buffer-limit). */
    private final long maxOutputBytes;
    /** Brings a connection whose held replies are made back into a round. */
    private final Consumer<Connection> ready;
    /** Called once, when the putMany is over (the batcher counts it out of flight). */
    private final Runnable over;
    boolean answered;
    /** By SET: its connection's held reply; null while the replies are written as they come. */
    private DeviceReply[] held;

    SetWave(Connection[] owners, int[] writtenAs, int[] slot, long maxOutputBytes, Consumer<Connection> ready,
            Runnable over) {
        this.owners = owners;
        this.writtenAs = writtenAs;
        this.slot = slot;
        this.maxOutputBytes = maxOutputBytes;
        this.ready = ready;
        this.over = over;
    }

    /** The putMany is in flight: each connection's replies are held in their place. */
    void hold() {
        held = new DeviceReply[owners.length];
        for (int a = 0; a < owners.length; ) {
            Connection c = owners[a];
            DeviceReply r = new DeviceReply(-1, c);
            c.replies.defer(r);
            c.writesInFlight++;
            for (; a < owners.length && owners[a] == c; a++) {
                held[a] = r;
            }
        }
    }

    private SlotStore.Result result(List<SlotStore.Result> results, int i) {
        int w = writtenAs[i];
        return results.get(slot == null ? w : slot[w]);
    }

    /** The putMany is over: its results (one per key written), or why it failed. */
    void answer(List<SlotStore.Result> results, Exception failure) {
        if (answered) {
            return; // once
        }
        answered = true;
        over.run();
        if (held == null) {
            for (int i = 0; i < owners.length; i++) {
                Connection owner = owners[i];
                SlotStore.Result res = failure == null ? result(results, i) : null;
                if (res != null && res.ok()) {
                    owner.out.ok();
                } else {
                    owner.out.error("ERR " + (res == null ? failure.getMessage() : res.error()));
                }
                RoundBatcher.withinLimit(owner, maxOutputBytes);
            }
            return;
        }
        for (int a = 0; a < owners.length; ) {
            DeviceReply r = held[a];
            int b = a;
            boolean allOk = failure == null;
            for (; b < owners.length && held[b] == r; b++) {
                allOk = allOk && result(results, b).ok();
            }
            r.owner.writesInFlight--;
            if (!r.abandoned) {
                try {
                    fill(r, a, b, allOk, results, failure);
                } catch (RuntimeException | OutOfMemoryError e) {
                    r.owner.dead = true; // its replies cannot be made: that client only
                    r.pieceCount = 0;
                    r.piece(OKS.asSlice(0, 0));
                }
                r.done = true;
                ready.accept(r.owner);
            }
            a = b;
        }
    }

    /** The bytes of held reply {@code r}: the replies of SETs {@code [a, b)}. */
    private void fill(DeviceReply r, int a, int b, boolean allOk, List<SlotStore.Result> results,
            Exception failure) {
        if (allOk && b - a <= HELD_OKS) {
            r.piece(OKS.asSlice(0, 5L * (b - a)));
            return;
        }
        ReplyWriter out = new ReplyWriter(64);
        for (int i = a; i < b; i++) {
            SlotStore.Result res = failure == null ? result(results, i) : null;
            if (res != null && res.ok()) {
                out.ok();
            } else {
                out.error("ERR " + (res == null ? failure.getMessage() : res.error()));
            }
        }
        MemorySegment bytes = Arena.ofAuto().allocate(out.size());
        MemorySegment.copy(out.buffer(), 0, bytes, ValueLayout.JAVA_BYTE, 0, out.size());
        r.piece(bytes);
    }
}
