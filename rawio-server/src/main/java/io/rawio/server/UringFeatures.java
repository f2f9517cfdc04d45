package io.rawio.server;

import io.rawio.nativeio.Uname;
import io.rawio.uring.IoUring;
import io.rawio.uring.IoUringConstants;
import java.util.ArrayList;
import java.util.List;

/**
 * What the io_uring loop ({@link UringServer}) uses, probed once at start from the kernel's version and
 * the system properties: multishot accept (5.19), a buffer ring for receives (5.19), multishot recv
 * (6.0, needs the buffer ring). {@code notes} tells what was turned off and why; the loop turns a
 * feature off too when the kernel refuses it while running.
 *
 * <p>{@code directRead}: once a request lacks at least this many bytes (a large value on its way), its
 * connection's RECV leaves the ring for a POLL, and what the socket holds is read straight into the
 * query buffer when the poll completes: one copy fewer than through the ring's buffers (as the epoll
 * loop reads). The connection takes a RECV again once its large values stop. Off (0) by default, on with
 * {@code -Drawio.uring.directRead=BYTES} (e.g. 65536): it takes a quarter of the loop's CPU off each 1 MiB
 * SET, but the receive's socket copy then runs after a wave's device write instead of during it (as the
 * ring's task work, while the loop waits), and 1 MiB SETs measured 5% fewer a second with it on one
 * machine, the same on another (docs/PERFORMANCE.md). For hosts where the loop's CPU is the limit.
 */
public record UringFeatures(boolean multishotAccept, boolean bufferRing, boolean multishotRecv, int buffers,
        int bufferSize, int directRead, int landingRecv, List<String> notes) {
    /** The default of {@code directRead}: off. */
    static final int DIRECT_READ = 0;
    /**
     * The default of {@code landingRecv}, off. With {@code -Drawio.uring.landingRecv=BYTES} (e.g. 65536), once a
     * large SET value lands in a store buffer ({@link ValueLanding}) and still lacks that many bytes, its
     * connection's RECV leaves the ring and a RECV of the rest straight into that buffer takes its place
     * (MSG_WAITALL), and the connection's RECVs are one-shot while its large values come: the kernel puts
     * the value where the store writes it from, with no copy by the loop. It took two thirds of the user CPU
     * off each 1 MiB SET, but the values then come one RECV at a time, the waves of SETs are smaller, and
     * redis-benchmark's SETs of one key (written once per wave) came 30% fewer a second
     * (docs/PERFORMANCE.md). For hosts where the loop's CPU is the limit.
     */
    static final int LANDING_RECV = 0;

    /** What this kernel and these system properties give the loop (also shown by {@code rawio info}). */
    public static UringFeatures probe() {
        List<String> notes = new ArrayList<>();
        int[] v = Uname.get().kernelVersion();
        boolean k519 = v[0] > 5 || (v[0] == 5 && v[1] >= 19);
        boolean k60 = v[0] >= 6;
        boolean accept = feature("multishotAccept", k519, "Linux 5.19", notes);
        boolean ring = feature("bufferRing", k519, "Linux 5.19", notes);
        boolean recv = feature("multishotRecv", k60 && ring, ring ? "Linux 6.0" : "the buffer ring", notes);
        int buffers = Integer.highestOneBit(Math.max(8, Math.min(32768, Integer.getInteger("rawio.uring.buffers", 1024))));
        int size = Math.max(4096, Math.min(1 << 20, Integer.getInteger("rawio.uring.bufferSize", 16 * 1024)));
        int direct = Math.max(0, Integer.getInteger("rawio.uring.directRead", DIRECT_READ));
        if (direct > 0 && !IoUring.supports(IoUringConstants.IORING_OP_POLL_ADD)) {
            notes.add("direct reads need IORING_OP_POLL_ADD");
            direct = 0;
        }
        int landing = ValueLanding.MIN_BYTES <= 0 ? 0 : Math.max(0, Integer.getInteger("rawio.uring.landingRecv", LANDING_RECV));
        return new UringFeatures(accept, ring, recv, buffers, size, direct, landing, notes);
    }

    private static boolean feature(String name, boolean kernelHasIt, String needs, List<String> notes) {
        if (!Boolean.parseBoolean(System.getProperty("rawio.uring." + name, "true"))) {
            notes.add(name + " off (-Drawio.uring." + name + "=false)");
            return false;
        }
        if (!kernelHasIt) {
            notes.add(name + " needs " + needs);
            return false;
        }
        return true;
    }

    UringFeatures withoutBufferRing(String why) {
        List<String> n = new ArrayList<>(notes);
        n.add("buffer ring refused: " + why);
        return new UringFeatures(multishotAccept, false, false, buffers, bufferSize, directRead, landingRecv, n);
    }

    UringFeatures withoutMultishotAccept(String why) {
        List<String> n = new ArrayList<>(notes);
        n.add(why);
        return new UringFeatures(false, bufferRing, multishotRecv, buffers, bufferSize, directRead, landingRecv, n);
    }

    UringFeatures withoutMultishotRecv(String why) {
        List<String> n = new ArrayList<>(notes);
        n.add(why);
        return new UringFeatures(multishotAccept, bufferRing, false, buffers, bufferSize, directRead, landingRecv, n);
    }

    /** One line: what the loop uses. */
    public String describe() {
        String s = (multishotAccept ? "multishot accept" : "accept") + "; "
                + (bufferRing ? (multishotRecv ? "multishot recv" : "recv") + " from a buffer ring of " + buffers
                        + " x " + (bufferSize >> 10) + "k" : "recv into each connection's buffer")
                + (directRead > 0 ? "; values of " + (directRead >> 10) + "k or more read by poll straight into"
                        + " the query buffer" : "")
                + (landingRecv > 0 ? "; the rest of SET values of " + (landingRecv >> 10) + "k or more received by RECV"
                        + " straight into the store's buffers" : "")
                + "; send";
        return notes.isEmpty() ? s : s + "; " + String.join("; ", notes);
    }
}
