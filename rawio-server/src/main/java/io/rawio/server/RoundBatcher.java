package io.rawio.server;

import io.rawio.server.resp.ReplyWriter;
import io.rawio.server.resp.RequestArgs;
import io.rawio.store.LeaseResult;
import io.rawio.store.SlotStore;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one loop round's requests, from every connection that has some, as store batches. The round goes
 * in waves: in a wave each connection gives its leading run of plain {@code GET key} requests, or of
 * SETs a wave takes ({@code SET key value}, with or without EX, PX, EXAT or PXAT, SETEX, PSETEX:
 * {@link WaveSets}), or its one next other request (run at once, through
 * {@link Commands}). A GET the DRAM tier holds is answered at once, the value copied from the tier
 * straight into the reply buffer; the others wait for the wave's getMany. Then the wave's SETs of all
 * connections are one putMany (one dispatcher batch; one group commit when the store is durable, so
 * every +OK goes out after its fdatasync) and its device GETs one getMany of leases (every read in
 * flight at once), each value copied into its reply and the lease closed. Waves repeat until every
 * connection's parsed requests have run. (On the io_uring loop a durable store's wave ends early, after
 * the connection whose SETs bring it to {@link #DURABLE_WAVE_SETS}.)
 *
 * <p>A connection's replies keep its requests' order: within a wave a connection has one kind of
 * request, and its later requests go in later waves. Requests of different connections in one round
 * are concurrent, and run in some order, as in Redis between clients.
 */
final class RoundBatcher {
    /** Keys per getMany of leases (bounds the lease buffers one batch holds). */
    static final int GET_BATCH = 128;

    private final SlotStore store;
    private final Commands commands;

    private final List<byte[]> getKeys = new ArrayList<>();
    private final List<Connection> getOwners = new ArrayList<>();
    /** The wave's SETs ({@link GatheredSets}). */
    private final GatheredSets sets = new GatheredSets();
    /** The wave's DELs of one key ({@link DelWave}). */
    private final DelWave dels;
    /** The wave's EXPIREs without options ({@link ExpireWave}). */
    private final ExpireWave expires;
    /** The store's clock ({@link Commands#nowMillis}): what an EX or an EXPIRE counts from. */
    private final java.util.function.LongSupplier clock;
    /** The length of the last value the DRAM tier gave: the room the next reply gets first. */
    private int lastHit = 64;

    /**
     * Value bytes a connection's run of GETs leaves to the wave's getMany at most in one pass (the GET
     * that passes it included); the rest of its pipeline waits until those replies are sent. 4 MiB: the
     * benchmark's pipeline of two 1 MiB GETs still goes as one getMany.
     */
    static final long DEFERRED_GET_BYTES = 4 << 20;

    /** A connection whose unsent replies pass this is dropped (client-output-buffer-limit). */
    private final long maxOutputBytes;

    RoundBatcher(SlotStore store, Commands commands) {
        this(store, commands, ServerOptions.DEFAULT_MAX_OUTPUT);
    }

    RoundBatcher(SlotStore store, Commands commands, long maxOutputBytes) {
        this.store = store;
        this.commands = commands;
        this.maxOutputBytes = maxOutputBytes;
        this.clock = commands::nowMillis;
        this.dels = new DelWave(maxOutputBytes, () -> commands.counters.delBatches++);
        this.expires = new ExpireWave(maxOutputBytes, () -> commands.counters.expireBatches++);
    }

    /**
     * After a reply to {@code c}: past the output limit it is dropped (its replies unsent), as Redis does
     * with a client past its client-output-buffer-limit. Returns whether it still stands.
     */
    private boolean withinLimit(Connection c) {
        return withinLimit(c, maxOutputBytes);
    }

    static boolean withinLimit(Connection c, long maxOutputBytes) {
        if (c.replies.unsentBytes() > maxOutputBytes) {
            c.dead = true;
        }
        return !c.dead;
    }

    static boolean is(byte[] arg, String lower) {
        if (arg.length != lower.length()) {
            return false;
        }
        for (int i = 0; i < arg.length; i++) {
            if ((arg[i] | 0x20) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    static boolean isCommand(List<byte[]> r, String lower) {
        return r instanceof RequestArgs a ? a.is(0, lower) : is(r.getFirst(), lower);
    }

    private static boolean plainGet(List<byte[]> r) {
        return r.size() == 2 && isCommand(r, "get");
    }

    /** When what {@code r} sets expires if the wave takes it ({@link WaveSets#expiry}), else {@link WaveSets#NOT_IN_WAVE}. */
    private long waveSet(Connection c, List<byte[]> r) {
        if (!c.session.authenticated) {
            return WaveSets.NOT_IN_WAVE;
        }
        long at = WaveSets.expiry(r, clock);
        return at == WaveSets.NOT_IN_WAVE || commands.local(r.get(1)) ? at : WaveSets.NOT_IN_WAVE;
    }

    /**
     * Whether a request may act on the keyspace: every command but those of the connection group (PING,
     * ECHO, AUTH, HELLO, CLIENT, SELECT, QUIT), which need not wait for the SETs in flight.
     */
    private static boolean touchesKeyspace(List<byte[]> r) {
        CommandTable.Spec s = CommandTable.SPECS.get(Commands.name(r.getFirst()));
        return s == null || !s.group().equals("connection");
    }

    /** When {@code r}'s key is to expire if the wave takes {@code r} ({@link ExpireWave#expiry}), else {@link WaveSets#NOT_IN_WAVE}. */
    private long waveExpire(Connection c, List<byte[]> r) {
        if (!c.session.authenticated || r.size() != 3) {
            return WaveSets.NOT_IN_WAVE;
        }
        long at = ExpireWave.expiry(r, clock);
        return at == WaveSets.NOT_IN_WAVE || commands.local(r.get(1)) ? at : WaveSets.NOT_IN_WAVE;
    }

    /** A SET's (or SETEX's) value without a copy when the parser gave a view. */
    private static MemorySegment value(List<byte[]> r) {
        int i = WaveSets.valueIndex(r);
        return r instanceof RequestArgs a ? a.segment(i) : MemorySegment.ofArray(r.get(i));
    }

    /**
     * GETs of keys only on the device, read without waiting for them (the io_uring loop's {@link RingGets}):
     * the reply takes its place in the connection's replies and is filled when the read completes.
     */
    interface DeviceGets {
        enum Start {
            /** The read is issued; its reply is in place. */
            STARTED,
            /** The key is absent: the caller replies null. */
            ABSENT,
            /** The connection holds its share of device replies: the GET waits until they are sent. */
            NO_ROOM,
            /** Not on the ring (its buffers are spent, or the value is too large for them): the caller reads it. */
            ELSEWHERE
        }

        Start start(Connection c, byte[] key);
    }

    private DeviceGets deviceGets;

    /** GETs of keys on the device go to {@code d} instead of the wave's getMany. */
    void deviceGets(DeviceGets d) {
        this.deviceGets = d;
    }

    /** Runs every parsed request of {@code connections}; replies go to each one's writer. */
    void run(List<Connection> connections) {
        commands.counters.rounds++;
        for (Connection c : connections) {
            c.waitsForDevice = false;
        }
        boolean more = true;
        while (more) {
            more = false;
            for (Connection c : connections) {
                // One whose replies reached the soft limit waits for them to be sent (the next pass); one
                // whose socket failed in this round runs nothing more.
                List<byte[]> r = c.dead || c.waitsForDevice || c.out.size() >= Connection.OUT_SOFT_LIMIT ? null
                        : c.peek();
                if (r == null) {
                    continue;
                }
                if (c.replies.readsInFlight > 0 && !(c.session.authenticated && plainGet(r))) {
                    // Its device GETs are still being read: what comes after them (a SET of the same key,
                    // say) waits until they are, as if they had run one at a time.
                    c.waitsForDevice = true;
                    continue;
                }
                long setExpiry = r.size() >= 3 ? waveSet(c, r) : WaveSets.NOT_IN_WAVE;
                long expireAt;
                long valueBytes;
                if (c.writesInFlight > 0 && setExpiry == WaveSets.NOT_IN_WAVE) {
                    // Its SETs are still being written: what comes after them (a GET of the same key, say)
                    // waits until they are; more SETs go on, and the store keeps their order.
                    c.waitsForDevice = true;
                    continue;
                }
                more = true;
                // A key of another node's slot (a static cluster) goes through the command table: -MOVED.
                if (c.session.authenticated && plainGet(r) && commands.local(r.get(1))) {
                    boolean toDevice = false;
                    int answered = 0;
                    long deferred = 0; // value bytes of this run's GETs left to the wave's getMany
                    do {
                        byte[] key = r.get(1);
                        // From the DRAM tier straight into the reply; a key only on the device is read on
                        // the loop's ring when the loop has one (deviceGets), its reply kept in its place,
                        // else it and the connection's GETs after it wait for the wave's getMany.
                        long got;
                        try {
                            got = toDevice ? SlotStore.NOT_CACHED
                                    : c.out.bulkFilled(space -> store.getIfCached(key, space), lastHit);
                        } catch (RuntimeException | OutOfMemoryError e) {
                            c.take();
                            c.dead = true; // a reply it cannot hold (past 2 GiB, or memory): that client only
                            break;
                        }
                        if (got >= 0) {
                            // The room the next reply gets first: a guess, capped (a miss just asks again).
                            lastHit = (int) Math.min(got, 64 << 10);
                            answered++;
                        } else if (got == -1) {
                            c.out.nullBulk();
                            answered++;
                        } else if (!toDevice && deviceGets != null) {
                            DeviceGets.Start started = deviceGets.start(c, key);
                            if (started == DeviceGets.Start.NO_ROOM) {
                                c.waitsForDevice = true; // made ready as its replies are sent
                                break;
                            }
                            if (started == DeviceGets.Start.ABSENT) {
                                c.out.nullBulk();
                                answered++;
                            } else if (started == DeviceGets.Start.ELSEWHERE) {
                                toDevice = true; // counted with the getMany's keys (gets)
                                getKeys.add(key);
                                getOwners.add(c);
                                deferred += Math.max(0, store.valueLength(key));
                            } else {
                                answered++; // read on the loop's ring
                            }
                        } else {
                            toDevice = true;
                            getKeys.add(key);
                            getOwners.add(c);
                            deferred += Math.max(0, store.valueLength(key));
                        }
                        c.take();
                        if (!withinLimit(c)) {
                            break;
                        }
                        r = c.peek();
                        // A run stops at the soft limit: the rest waits until these replies are sent. The
                        // values the wave's getMany will read count too: a pipeline of GETs of 4 MiB values
                        // reads a few at a time, not all at once (the memory, and the other clients' wait).
                    } while (r != null && plainGet(r) && commands.local(r.get(1))
                            && c.out.size() < Connection.OUT_SOFT_LIMIT && deferred < DEFERRED_GET_BYTES);
                    commands.counted(answered);
                    c.session.lastCommand = "get";
                } else if (setExpiry != WaveSets.NOT_IN_WAVE) {
                    String name;
                    do {
                        c.take();
                        sets.add(c, r.get(1), value(r), setExpiry);
                        name = WaveSets.name(r);
                        r = c.peek();
                    } while (r != null && r.size() >= 3 && (setExpiry = waveSet(c, r)) != WaveSets.NOT_IN_WAVE);
                    c.session.lastCommand = name;
                    if (submitCutWave != null && sets.size() >= DURABLE_WAVE_SETS) {
                        commands.counters.cutSetWaves++;
                        sets();
                        submitCutWave.run(); // its writes start before the pass's other connections run
                    }
                } else if ((expireAt = waveExpire(c, r)) != WaveSets.NOT_IN_WAVE
                        && expires.hasRoomFor(valueBytes = Math.max(0, store.valueLength(r.get(1))))) {
                    String name;
                    do {
                        c.take();
                        expires.add(c, r.get(1), expireAt, valueBytes);
                        name = ExpireWave.name(r);
                        r = c.peek();
                    } while (r != null && (expireAt = waveExpire(c, r)) != WaveSets.NOT_IN_WAVE
                            && expires.hasRoomFor(valueBytes = Math.max(0, store.valueLength(r.get(1)))));
                    c.session.lastCommand = name;
                } else if (c.session.authenticated && DelWave.takes(r) && commands.local(r.get(1))) {
                    String name;
                    do {
                        c.take();
                        dels.add(c, r.get(1));
                        name = DelWave.name(r);
                        r = c.peek();
                    } while (r != null && DelWave.takes(r) && commands.local(r.get(1)));
                    c.session.lastCommand = name;
                } else {
                    c.take();
                    if (putsInFlight > 0 && touchesKeyspace(r)) {
                        // Another command sees every SET before it done: a SETNX, GETDEL or EXPIRE of a key
                        // whose SET is in flight must not act on the value before it.
                        store.onRing().awaitStarted();
                    }
                    if (r.getFirst() == Connection.PROTOCOL_ERROR) {
                        c.out.error("ERR " + new String(r.get(1), StandardCharsets.UTF_8));
                        c.after(Commands.After.CLOSE);
                    } else {
                        try {
                            c.after(commands.run(r, c.out, c.session));
                        } catch (RuntimeException | OutOfMemoryError e) {
                            c.dead = true; // a reply it cannot hold (MGET of too much, say): that client only
                        }
                        withinLimit(c);
                    }
                }
            }
            if (!dels.isEmpty() || !expires.isEmpty()) {
                // After the SETs in flight and before the wave's own: as if its DELs, then its EXPIREs, ran first.
                String failed = null;
                if (putsInFlight > 0) {
                    try {
                        store.onRing().awaitStarted();
                    } catch (RuntimeException e) {
                        failed = "ERR " + e.getMessage(); // the store closed under the round, say
                    }
                }
                for (KeyedRequests wave : List.of(dels, expires)) {
                    if (!wave.isEmpty()) {
                        commands.counted(wave.size());
                        wave.run(store, failed);
                    }
                }
            }
            if (!sets.isEmpty()) {
                sets();
            }
            if (!getKeys.isEmpty()) {
                gets();
            }
        }
    }

    /**
     * The wave's SETs as one putMany ({@link GatheredSets#take}: a key set more than once is written once).
     *
     * <p>The putMany is started ({@link io.rawio.store.StoreRing#startPutMany}): where the store's batches share the
     * loop's ring, the loop goes on while it is written, each connection's replies to it held in its
     * place ({@link SetWave}), unless a value is large ({@link #HOLD_BELOW}); elsewhere it runs at once
     * and the replies are written as it returns.
     */
    private void sets() {
        commands.counted(sets.size());
        GatheredSets.Writes w = sets.take(store);
        SetWave wave = new SetWave(w.owners(), w.writtenAs(), w.slot(), maxOutputBytes, heldReady, putOver);
        commands.counters.putBatches++;
        if (putsInFlight >= MAX_PUTS_IN_FLIGHT) {
            store.onRing().awaitStarted(); // clients that keep sending SETs meet the device's pace here
        }
        putsInFlight++;
        try {
            store.onRing().startPutMany(w.keys(), w.values(), w.expiries(), wave::answer);
        } catch (RuntimeException e) {
            if (!wave.answered) {
                wave.answer(null, e); // refused before it started (the store closed): its done never comes
            }
            return;
        }
        if (!wave.answered) {
            if (heldReady != null && w.largest() < HOLD_BELOW) {
                wave.hold();
                commands.counters.heldSetWaves++;
            } else {
                try {
                    store.onRing().awaitStarted(); // large values, or a loop that holds no replies
                } finally {
                    if (!wave.answered && heldReady != null) {
                        wave.hold(); // (the await failed) its replies, when they come, keep their place
                    }
                }
            }
        }
    }

    /**
     * A wave with a value of this many bytes or more is written before the loop goes on
     * ({@code -Drawio.server.holdSetsBelow}, bytes). Measured (docs/PERFORMANCE.md): going on while
     * 4 KiB SETs are written gained 7-13%, while 1 MiB SETs are written lost 14% (the loop then wakes
     * for each receive of the next values, and copies and checksums them in smaller pieces).
     */
    static final long HOLD_BELOW = Long.getLong("rawio.server.holdSetsBelow", 256 << 10);

    /**
     * On a loop that holds SET replies ({@link #holdSetReplies}), a durable store's wave ends once it has
     * this many SETs ({@code -Drawio.server.durableWaveSets}), and its writes go to the kernel at once:
     * they start while the loop runs the pass's other connections, instead of after them. Measured
     * (docs/PERFORMANCE.md): 1.06x the durable 4 KiB SETs of whole waves (within the noise of that
     * machine); waves of 128 0.90x, of 512 0.97x (each wave's fdatasync is one more cache flush).
     */
    static final int DURABLE_WAVE_SETS = Math.max(1, Integer.getInteger("rawio.server.durableWaveSets", 256));

    /** Started putManys not yet over. */
    private int putsInFlight;
    /** A wave's putMany is over ({@link SetWave#answer}). */
    private final Runnable putOver = () -> putsInFlight--;
    /**
     * Started putManys in flight at most; the next wave's waits for them ({@code -Drawio.server.putsInFlight}).
     * Measured (docs/PERFORMANCE.md, durable 4 KiB SETs): 8 gave 0.92x of 4 with the waves cut at 256; before
     * the cut, 8 gave 0.94x and 2 gave 0.82x.
     */
    static final int MAX_PUTS_IN_FLIGHT = Math.max(1, Integer.getInteger("rawio.server.putsInFlight", 4));
    /** Brings a connection whose held SET replies are written back into a round; null: the loop holds none. */
    private java.util.function.Consumer<Connection> heldReady;

    /**
     * Hands what is queued in the loop's ring to the kernel now, for a wave cut at {@link #DURABLE_WAVE_SETS}
     * (its fdatasync follows once the loop reaps its writes); null unless the loop holds SET replies and the
     * store is durable. A wave at the pass's end needs none: the pass's sends go to the kernel right after.
     */
    private Runnable submitCutWave;

    /**
     * The wave's SET replies may be held while its putMany is written (the io_uring loop): {@code ready}
     * brings a connection back once they are (when it is still open); {@code submit} hands the ring's
     * queued requests to the kernel (a durable wave cut at {@link #DURABLE_WAVE_SETS}: its writes at once).
     */
    void holdSetReplies(java.util.function.Consumer<Connection> ready, Runnable submit) {
        this.heldReady = ready;
        this.submitCutWave = store.durability() == io.rawio.store.StoreOptions.Durability.DURABLE ? submit : null;
    }

    private void gets() {
        commands.counted(getKeys.size());
        try {
            for (int from = 0; from < getKeys.size(); from += GET_BATCH) {
                int to = Math.min(getKeys.size(), from + GET_BATCH);
                List<LeaseResult> results;
                try {
                    commands.counters.getBatches++;
                    results = store.getManyLeases(getKeys.subList(from, to));
                } catch (IOException | RuntimeException e) {
                    for (int i = from; i < to; i++) {
                        getOwners.get(i).out.error("ERR " + e.getMessage());
                    }
                    continue;
                }
                for (int i = 0; i < results.size(); i++) {
                    LeaseResult g = results.get(i);
                    Connection owner = getOwners.get(from + i);
                    try (var lease = g.lease()) {
                        if (owner.dead) {
                            continue; // dropped (a failed reply, the output limit): nothing more goes to it
                        }
                        ReplyWriter out = owner.out;
                        if (lease != null) {
                            if (owner.replies.unsentBytes() + lease.length() > maxOutputBytes) {
                                owner.dead = true; // Redis: client-output-buffer-limit
                                continue;
                            }
                            out.bulk(lease.value());
                        } else if (g.corrupt() != null) {
                            out.error("ERR " + g.corrupt());
                        } else {
                            out.nullBulk();
                        }
                    } catch (RuntimeException | OutOfMemoryError e) {
                        owner.dead = true; // a reply it cannot hold: that client only, its later replies skipped
                    }
                }
            }
        } finally {
            getKeys.clear();
            getOwners.clear();
        }
    }
}
