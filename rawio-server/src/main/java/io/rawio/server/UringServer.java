package io.rawio.server;

import static io.rawio.uring.IoUringConstants.*;

import io.rawio.nativeio.Errno;
import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.Uname;
import io.rawio.net.NetConstants;
import io.rawio.net.Sockets;
import io.rawio.store.SlotStore;
import io.rawio.uring.BufferRing;
import io.rawio.uring.CqeStash;
import io.rawio.uring.IoUring;
import io.rawio.uring.SocketSqes;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The io_uring loop: one thread, one ring, every socket operation an SQE. One ACCEPT SQE takes every
 * connection (multishot, Linux 5.19; else one SQE per connection); each connection has one RECV in the
 * ring that receives into buffers the kernel takes from a ring of provided buffers (IORING_REGISTER_PBUF_RING,
 * 5.19) and goes on receiving (multishot, 6.0), or, without those, a plain RECV into the connection's own
 * native buffer, submitted again after each completion ({@link UringReceives}). Received bytes are copied
 * into the connection's query buffer and the provided buffer goes straight back. Replies are copied into
 * the connection's native send buffer and sent with SEND, one in flight per connection ({@link UringSends}).
 *
 * <p>Requests run as in {@link EpollServer}: the connections that received bytes in one wait are one
 * round of {@link LoopCore} (a few passes of parse, run as store batches, send); the sends of a pass
 * are submitted together and the kernel's completions taken at once (a send the socket can take
 * completes in the submit), so a connection with more requests goes on in the next pass. A send that
 * waits for room, or a partial one, completes later and brings its connection into a round, as EPOLLOUT
 * does in the epoll loop.
 *
 * <p>The features are probed once ({@link UringFeatures}): IORING_REGISTER_PROBE for the opcodes and the kernel
 * version for the multishot flags; each can be turned off with a system property
 * ({@code -Drawio.uring.multishotAccept=false}, {@code rawio.uring.multishotRecv}, {@code rawio.uring.bufferRing});
 * {@code -Drawio.uring=false} refuses the whole loop. A refused ring (io_uring_disabled, a seccomp filter,
 * RLIMIT_MEMLOCK, an old kernel) is a {@link Refused} from the constructor, with the reason:
 * {@link ServerLoops} then runs the epoll loop and says why.
 *
 * <p>The ring is set up disabled (IORING_SETUP_R_DISABLED) with SINGLE_ISSUER and DEFER_TASKRUN where the
 * kernel has them, and enabled by {@link #run()} on the thread that drives it. The store, the ring and
 * every connection are used from that thread only.
 */
public final class UringServer implements ServerLoop, LoopCore.Io {
    /** user_data: the kind of request in the top byte, the connection's id below. */
    private static final int ACCEPT = 1;
    private static final int RECV = 2;
    private static final int SEND = 3;
    private static final int CANCEL = 4;
    /** A store read of {@link RingGets}: its entry's id below. */
    private static final int DEVREAD = 5;
    private static final long ID_MASK = (1L << 56) - 1;
    private static final int SQ_ENTRIES = 1024;
    private static final int CQ_ENTRIES = 16384;
    private static final int BUFFER_GROUP = 0;
    /** A send buffer larger than this is given back when its connection is idle. */
    private static final int KEEP_SEND_BUFFER = 64 * 1024;
    private static final long WAIT_NANOS = 100_000_000L;
    /** Device replies in flight or unsent, in all. */
    private static final int DEVICE_REPLIES = 4096;
    /** The store reads' buffers, in bytes at most ({@code -Drawio.uring.readBufferBytes}). */
    private static final long READ_BUFFER_BYTES = 64L << 20;

    /** The loop cannot run here; the reason says why (the caller falls back to epoll). */
    public static final class Refused extends Exception {
        Refused(String reason) {
            super(reason);
        }
    }

    private final LoopCore core;
    private final IoUring ring;
    /** Turned off one by one as the kernel refuses them while running. */
    private UringFeatures features;
    private final MemorySegment sqes;
    /** Every link with a request in the ring or an open connection, by id. */
    private final Map<Long, UringLink> links = new HashMap<>();
    /** The open connections' links, by descriptor. */
    private final Map<Integer, UringLink> byFd = new HashMap<>();
    private long nextId = 1;
    private boolean acceptArmed;
    /** When accepting stopped for lack of descriptors (EMFILE), when to try again (nanoTime), or 0. */
    private long acceptPausedUntil;
    private long nowMs = System.currentTimeMillis();
    private final IoUring.CqeVisitor onCompletion = this::completion;
    /** The store's reads on this ring (null with {@code -Drawio.uring.storeReads=false}). */
    private final RingGets gets;
    private final ReadBuffers readBuffers;
    private final UringStoreReads storeReads;
    private final UringSends sends;
    private final UringReceives receives;
    private final SlotStore store;
    /** Our completions reaped by the store's batches on this ring ({@link io.rawio.store.StoreRing#share}). */
    private final CqeStash stash = new CqeStash();
    /** The store's batches from this thread run on this ring. */
    private boolean storeOnRing;
    /** {@link #run()} began: what it drained it freed, and what it did not must stay. */
    private boolean ran;

    /**
     * Sets up the ring (disabled until {@link #run()}), probes the features, then binds and listens.
     *
     * @throws Refused when io_uring cannot serve here (the reason says why)
     * @throws NativeIoException when the address cannot be bound
     */
    public UringServer(SlotStore store, ServerOptions options) throws Refused, NativeIoException {
        if (!Boolean.parseBoolean(System.getProperty("rawio.uring", "true"))) {
            throw new Refused("off by -Drawio.uring=false");
        }
        if (!IoUring.available()) {
            throw new Refused(IoUring.unavailableReason().orElse("io_uring unavailable"));
        }
        for (byte op : new byte[] {IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_ASYNC_CANCEL}) {
            if (!IoUring.supports(op)) {
                throw new Refused("this kernel's io_uring has no " + opName(op) + " (Linux " + Uname.get().release() + ")");
            }
        }
        UringFeatures f = UringFeatures.probe();
        IoUring r;
        try {
            r = IoUring.create(new IoUring.Setup(SQ_ENTRIES, CQ_ENTRIES, IORING_SETUP_R_DISABLED, 0, true));
        } catch (NativeIoException e) {
            throw new Refused(e.getMessage());
        }
        if (!r.canWaitWithTimeout()) {
            r.close();
            throw new Refused("no IORING_FEAT_EXT_ARG (a wait with a timeout, Linux 5.11): " + Uname.get().release());
        }
        BufferRing b = null;
        if (f.bufferRing()) {
            try {
                b = BufferRing.register(r, BUFFER_GROUP, f.buffers(), f.bufferSize());
            } catch (NativeIoException | RuntimeException e) {
                f = f.withoutBufferRing(e.getMessage());
            }
        }
        try {
            this.core = new LoopCore(store, options, false, "io_uring");
            this.store = store;
        } catch (NativeIoException | RuntimeException e) {
            if (b != null) {
                b.close();
            }
            r.close();
            throw e;
        }
        this.ring = r;
        this.features = f;
        this.sqes = r.sqeArray();
        core.io(this);
        Hooks hooks = new Hooks();
        this.receives = new UringReceives(sqes, b, hooks);
        core.commands.counters.directReadBytes = receives::directReadBytes;
        UringStoreReads sr = null;
        if (Boolean.parseBoolean(System.getProperty("rawio.uring.storeReads", "true")) && IoUring.supports(IORING_OP_READ)) {
            long budget = Long.getLong("rawio.uring.readBufferBytes", READ_BUFFER_BYTES);
            sr = new UringStoreReads(r, this::sqe, id -> tag(DEVREAD, id), this::readyIfOpen,
                    (int) Math.min(Integer.MAX_VALUE, budget / ReadBuffers.MIN_SIZE));
            this.readBuffers = new ReadBuffers(budget, io.rawio.store.DeviceRead.ALIGNMENT, sr);
            this.gets = new RingGets(store, sr, readBuffers, DEVICE_REPLIES);
            core.batcher.deviceGets(gets);
            core.commands.counters.ringReads = () -> gets.reads;
            UringStoreReads fixedCount = sr;
            core.commands.counters.ringFixedReads = () -> fixedCount.fixedReads;
            core.commands.counters.storeOnLoopRing = () -> storeOnRing;
        } else {
            this.readBuffers = null;
            this.gets = null;
        }
        this.storeReads = sr;
        this.sends = new UringSends(sqes, gets, hooks);
    }

    @Override
    public InetSocketAddress address() {
        return core.address;
    }

    @Override
    public String name() {
        return "uring";
    }

    /** Bytes read straight into query buffers after a POLL ({@link UringLink#direct}): for tests. */
    /** Bytes landing RECVs put straight into store buffers, for tests. */
    long landingRecvBytes() {
        return receives.landingRecvBytes();
    }

    long directReadBytes() {
        return receives.directReadBytes();
    }

    /** What the sends and the receives need of the loop. */
    private final class Hooks implements UringSends.Loop, UringReceives.Loop {
        @Override
        public long sqe() {
            return UringServer.this.sqe();
        }

        @Override
        public long tag(UringLink l) {
            return UringServer.tag(SEND, l.id);
        }

        @Override
        public long recvTag(UringLink l) {
            return UringServer.tag(RECV, l.id);
        }

        @Override
        public long cancelTag(UringLink l) {
            return UringServer.tag(CANCEL, l.id);
        }

        @Override
        public void ready(Connection c) {
            core.ready(c);
        }

        @Override
        public void fail(Connection c) {
            UringServer.this.fail(c);
        }

        @Override
        public void forget(UringLink l) {
            UringServer.this.forget(l);
        }

        @Override
        public long nowMs() {
            return nowMs;
        }

        @Override
        public UringFeatures features() {
            return features;
        }

        @Override
        public void features(UringFeatures f) {
            features = f;
        }
    }

    /** One line for the ready line: the socket features, and where the store's reads go. */
    public String describe() {
        return features.describe() + "; " + (gets != null
                ? "store reads on this ring (and its batches, with an io_uring engine), " + storeReads.describe() + "; "
                        + sends.zeroCopyNote()
                : "store reads by the store's engine (-Drawio.uring.storeReads=false)");
    }

    /** What the loop uses (multishot accept and recv, the buffer ring) and what it does without. */
    public UringFeatures features() {
        return features;
    }

    @Override
    public boolean stopped() {
        return core.stopped();
    }

    @Override
    public void stop() {
        core.stop();
    }

    private static long tag(int kind, long id) {
        return ((long) kind << 56) | id;
    }

    /** The next free SQE's offset; when the ring is full, what is filled is submitted first. */
    private long sqe() {
        long at = ring.nextSqeOffset();
        for (int tries = 0; at < 0; tries++) {
            int r = ring.submitAndGetEvents();
            if ((r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) || tries > 1000) {
                // EBUSY again and again: completions overflowing that nobody reaps while the SQEs wait
                throw new IllegalStateException("io_uring_enter: " + Errno.name(-r) + " with the submission queue full");
            }
            at = ring.nextSqeOffset();
        }
        return at;
    }

    @Override
    public void run() {
        ran = true;
        try {
            ring.enable();
        } catch (NativeIoException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        // The store's own batches from this thread (SETs, getMany) on this ring too, where its engine is
        // io_uring: they wait for their completions, and ours reaped meanwhile are kept for the loop.
        storeOnRing = gets != null && Boolean.parseBoolean(System.getProperty("rawio.uring.storeWrites", "true"))
                && store.onRing().share(ring, stash);
        if (storeOnRing) {
            // The wave's putMany goes into this ring and the loop goes on; the SET replies wait in place.
            core.batcher.holdSetReplies(this::readyIfOpen, () -> ring.submitAndWait(0)); // (a failed enter: the next one says it)
        }
        try {
            armAccept();
            while (!core.stopped()) {
                if (acceptPausedUntil != 0 && System.nanoTime() - acceptPausedUntil >= 0) {
                    acceptPausedUntil = 0;
                    armAccept();
                }
                if (storeOnRing) {
                    store.onRing().runStarted(); // what the round's own store batches reaped of the started writes
                }
                // (the stash: our completions a store batch of the last round, or a done above, reaped)
                int r = core.hasReady() || stash.size() > 0 ? ring.submitAndGetEvents()
                        : ring.submitAndWait(1, WAIT_NANOS);
                if (r < 0 && r != -Errno.ETIME && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                    throw new IllegalStateException("io_uring_enter: " + Errno.name(-r));
                }
                core.beginRound();
                nowMs = System.currentTimeMillis();
                reap();
                core.runRound();
                core.sweepIfDue(nowMs);
            }
        } finally {
            try {
                if (storeOnRing) {
                    store.onRing().unshare(); // the store's batches after the loop (its closing checkpoint) run elsewhere
                }
            } finally {
                core.closeAll();
                boolean drained = drain();
                receives.closeBuffers(drained); // unregistered from the ring's own thread
                if (drained && gets != null) {
                    gets.close();
                    readBuffers.close();
                }
                if (storeReads != null) {
                    storeReads.unregister(); // the store's file: released when the store closes, not later
                }
            }
        }
    }

    /** Takes every completion ready, then submits again the receives that ended. */
    private void reap() {
        stash.drainTo(onCompletion); // what the store's batches reaped of ours, first
        ring.reap(onCompletion);
        receives.rearmEnded();
        if (!acceptArmed && acceptPausedUntil == 0 && !core.stopped()) {
            armAccept();
        }
        if (storeOnRing) {
            store.onRing().runStarted(); // the started writes' completions reaped above: refills, commits, replies
        }
    }

    /** {@code c} has something to do, if it is still open. */
    private void readyIfOpen(Connection c) {
        UringLink l = byFd.get(c.fd);
        if (l != null && l.c == c) {
            core.ready(c);
        }
    }

    private void completion(long userData, int res, int flags) {
        int kind = (int) (userData >>> 56);
        long id = userData & ID_MASK;
        switch (kind) {
            case ACCEPT -> accepted(res, flags);
            case RECV -> receives.completed(links.get(id), res, flags);
            case SEND -> {
                UringLink l = links.get(id);
                if (l != null) {
                    sends.completed(l, res, flags);
                }
            }
            case DEVREAD -> gets.completed((int) id, res);
            case 0 -> store.onRing().completion(userData, res); // a started putMany's write or sync
            case CANCEL -> receives.cancelled(links.get(id), res); // (of the ACCEPT too: id 0, no link)
            default -> { }
        }
    }

    // ------------------------------------------------------------------ accept

    private void armAccept() {
        SocketSqes.accept(sqes, sqe(), core.listenFd, NetConstants.SOCK_CLOEXEC, features.multishotAccept(),
                tag(ACCEPT, 0));
        acceptArmed = true;
    }

    private void accepted(int res, int flags) {
        if (!SocketSqes.more(flags)) {
            acceptArmed = false;
        }
        if (res >= 0) {
            if (core.stopped()) {
                Sockets.close(res);
            } else if (core.admit(res)) {
                Connection c = core.open(res, nowMs);
                UringLink l = new UringLink(c, nextId++);
                links.put(l.id, l);
                byFd.put(c.fd, l);
                receives.open(l);
            }
            return;
        }
        if (res == -Errno.EINVAL && features.multishotAccept() && !acceptArmed) {
            features = features.withoutMultishotAccept("multishot accept refused (EINVAL): one ACCEPT per connection");
        } else if (!acceptArmed && (res == -Errno.EMFILE || res == -Errno.ENFILE || res == -Errno.ENOMEM
                || res == -Errno.ENOBUFS)) {
            // Out of descriptors or memory: accepting again at once would fail at once, again and again.
            acceptPausedUntil = System.nanoTime() + 100_000_000L;
        }
        // EAGAIN, ECONNABORTED, EINTR, ECANCELED: reap() submits another ACCEPT unless one goes on.
    }

    /** The socket failed: the connection goes now, or at the end of the round it is in. */
    private void fail(Connection c) {
        if (c.inRound) {
            c.dead = true;
        } else {
            core.close(c);
        }
    }

    // ------------------------------------------------------------------ send

    /** Starts a send of the replies waiting (unless one is in flight); its completion comes later. */
    @Override
    public boolean send(Connection c) {
        UringLink l = byFd.get(c.fd);
        if (l != null && !l.sendInFlight && c.replies.hasUnsent()) {
            sends.start(l);
        }
        return true;
    }

    /** The pass's sends go to the kernel; those the sockets took complete now. */
    @Override
    public void sendsQueued() {
        int r = ring.submitAndGetEvents();
        if (r < 0 && r != -Errno.EINTR && r != -Errno.EAGAIN && r != -Errno.EBUSY) {
            throw new IllegalStateException("io_uring_enter: " + Errno.name(-r));
        }
        reap();
    }

    /** A reply not all sent when the round ends: its SEND is in flight, or starts now. */
    @Override
    public void settle(Connection c) {
        UringLink l = byFd.get(c.fd);
        if (l != null) {
            receives.goDirectIfLarge(l); // its requests were just parsed: what the next one lacks is known
        }
        if (l != null && c.replies.hasUnsent() && !l.sendInFlight) {
            send(c);
        }
    }

    @Override
    public void trim(Connection c) {
        UringLink l = byFd.get(c.fd);
        if (l != null) {
            l.trimSendBuffer(KEEP_SEND_BUFFER);
        }
    }

    // ------------------------------------------------------------------ close

    /**
     * Shuts the socket down (a RECV waiting on it ends with 0, a SEND waiting for room fails) and closes
     * it; the link stays until its requests in the ring have ended, as its buffers may be in use.
     */
    @Override
    public void close(Connection c) {
        UringLink l = byFd.remove(c.fd);
        Sockets.shutdown(c.fd, NetConstants.SHUT_RDWR);
        if (l != null && l.sendInFlight) {
            // A SEND queued in this pass and not yet submitted would name the descriptor after the close
            // (when its number may already be another file's): the kernel takes it now, and it fails on
            // the shut-down socket.
            ring.submitAndGetEvents();
        }
        Sockets.close(c.fd);
        if (l == null) {
            return;
        }
        l.closed = true;
        if (l.recvArmed) {
            receives.cancel(l);
        }
        if (l.idle()) {
            forget(l);
        }
    }

    private void forget(UringLink l) {
        if (gets != null) {
            gets.dropped(l.c); // its device replies' buffers: back now, or when their reads end
        }
        links.remove(l.id);
        l.free();
    }

    /**
     * After the connections are closed: stops accepting and waits (bounded) for the ring's requests to
     * end. Returns whether they all did.
     */
    private boolean drain() {
        if (acceptArmed) {
            SocketSqes.cancel(sqes, sqe(), tag(ACCEPT, 0), tag(CANCEL, 0));
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        while ((acceptArmed || !links.isEmpty() || (gets != null && gets.inFlight() > 0))
                && System.nanoTime() < deadline) {
            ring.submitAndWait(1, WAIT_NANOS);
            stash.drainTo(onCompletion);
            ring.reap(onCompletion);
            receives.drop();
        }
        return !acceptArmed && links.isEmpty() && (gets == null || gets.inFlight() == 0);
    }

    /** Stops listening and frees the ring (and the buffers, when it never ran); call after {@link #run()} returned. */
    @Override
    public void close() {
        core.stop();
        receives.closeBuffers(true);
        if (!ran && gets != null) {
            gets.close();
            readBuffers.close();
        }
        ring.close(); // cancels whatever is left
        core.close();
    }
}
