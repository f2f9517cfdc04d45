package io.rawio.uring;

import static io.rawio.uring.IoUringConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.nativeio.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IoUringTest {
    @BeforeAll
    static void available() {
        assumeTrue(IoUring.available(), () -> "io_uring unavailable: " + IoUring.unavailableReason().orElse(""));
    }

    record Cqe(long userData, int res) {
    }

    private static List<Cqe> waitAll(IoUring ring, int n) {
        List<Cqe> out = new ArrayList<>();
        while (out.size() < n) {
            int s = ring.submitAndWait(n - out.size());
            assertTrue(s >= 0 || s == -Errno.EINTR, "io_uring_enter: " + s);
            ring.reap((u, res, f) -> out.add(new Cqe(u, res)));
        }
        return out;
    }

    /**
     * A ring set up disabled on one thread is driven from the thread that enables it: with
     * SINGLE_ISSUER (when the kernel took it) that thread is its submitter, and another's submit is refused.
     */
    @Test
    void aDisabledRingIsDrivenFromTheThreadThatEnablesIt() throws Exception {
        try (IoUring ring = IoUring.create(IoUring.Setup.of(8).withFlags(IORING_SETUP_R_DISABLED))) {
            java.util.concurrent.CompletableFuture<List<Cqe>> driven = new java.util.concurrent.CompletableFuture<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    ring.enable();
                    SqeDescriptor.prep(ring.sqeArray(), ring.nextSqeOffset(), IORING_OP_NOP, -1, 0, 0, 0, 7);
                    List<Cqe> done = new ArrayList<>();
                    assertTrue(ring.submitAndWait(1, 5_000_000_000L) >= 0);
                    ring.reap((u, res, f) -> done.add(new Cqe(u, res)));
                    driven.complete(done);
                } catch (Throwable e) {
                    driven.completeExceptionally(e);
                }
            });
            assertEquals(List.of(new Cqe(7, 0)), driven.get(10, java.util.concurrent.TimeUnit.SECONDS));
            t.join();
            if ((ring.flags() & IORING_SETUP_SINGLE_ISSUER) != 0) {
                SqeDescriptor.prep(ring.sqeArray(), ring.nextSqeOffset(), IORING_OP_NOP, -1, 0, 0, 0, 8);
                assertEquals(-Errno.EEXIST, ring.submitAndGetEvents(), "not the submitter");
            }
        }
    }

    @Test
    void nopRoundTripCarriesUserData() throws Exception {
        try (IoUring ring = IoUring.create(IoUring.Setup.of(8))) {
            assertEquals(8, ring.sqEntries());
            assertTrue(ring.cqEntries() >= 8);
            for (int i = 0; i < 5; i++) {
                MemorySegment sqe = ring.nextSqe();
                SqeDescriptor.prep(sqe, IORING_OP_NOP, -1, 0, 0, 0, 1000 + i);
            }
            List<Cqe> done = waitAll(ring, 5);
            assertEquals(5, done.size());
            assertEquals(List.of(1000L, 1001L, 1002L, 1003L, 1004L),
                    done.stream().map(Cqe::userData).sorted().toList());
            assertTrue(done.stream().allMatch(c -> c.res() == 0));
        }
    }

    @Test
    void aFullSubmissionQueueSaysSo() throws Exception {
        try (IoUring ring = IoUring.create(IoUring.Setup.of(4))) {
            for (int i = 0; i < 4; i++) {
                assertNotNull(ring.nextSqe());
            }
            assertNull(ring.nextSqe(), "the fifth SQE does not fit");
            assertEquals(0, ring.sqSpace());
        }
    }

    @Test
    void probeReportsTheOpcodesRawioUses() {
        List<Integer> ops = IoUring.supportedOpcodes();
        for (int op : new int[] {IORING_OP_NOP, IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV,
            IORING_OP_READ_FIXED, IORING_OP_WRITE_FIXED, IORING_OP_FSYNC}) {
            assertTrue(ops.contains(op), IoUringConstants.opName(op) + " supported");
        }
        assertEquals("READ_FIXED", IoUringConstants.opName(IORING_OP_READ_FIXED));
    }

    @Test
    void linkedOperationsRunInOrderAndAFailureCancelsTheRest() throws Exception {
        try (IoUring ring = IoUring.create(IoUring.Setup.of(8))) {
            // A READ from a bad fd, linked to a NOP: the NOP is cancelled (-ECANCELED).
            MemorySegment a = ring.nextSqe();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(16);
                SqeDescriptor.prep(a, IORING_OP_READ, -1, buf.address(), 16, 0, 1);
                SqeDescriptor.flags(a, IOSQE_IO_LINK);
                SqeDescriptor.prep(ring.nextSqe(), IORING_OP_NOP, -1, 0, 0, 0, 2);
                List<Cqe> done = waitAll(ring, 2);
                Cqe first = done.stream().filter(c -> c.userData() == 1).findFirst().orElseThrow();
                Cqe second = done.stream().filter(c -> c.userData() == 2).findFirst().orElseThrow();
                assertEquals(-Errno.EBADF, first.res());
                assertEquals(-Errno.ECANCELED, second.res());
            }
        }
    }

    @Test
    void setupFallbacksAreStated() throws Exception {
        try (IoUring ring = IoUring.create(IoUring.Setup.of(8))) {
            // On this kernel every default flag may be accepted; whatever was refused is named.
            for (String f : ring.fallbacks()) {
                assertTrue(f.startsWith("IORING_SETUP_"), f);
            }
            assertTrue((ring.features() & IORING_FEAT_NODROP) != 0 || ring.features() != 0);
        }
    }

    @Test
    void sqpollRingWorksOrSaysWhy() {
        try (IoUring ring = IoUring.create(IoUring.Setup.of(4).withFlags(IORING_SETUP_SQPOLL).withSqThreadIdle(10))) {
            SqeDescriptor.prep(ring.nextSqe(), IORING_OP_NOP, -1, 0, 0, 0, 7);
            assertEquals(7, waitAll(ring, 1).getFirst().userData());
            assertTrue((ring.flags() & IORING_SETUP_SQPOLL) != 0);
        } catch (io.rawio.nativeio.NativeIoException e) {
            assertTrue(e.getMessage().contains("io_uring_setup"), e.getMessage());
        }
    }

    @Test
    void anUnsupportedSetupFlagFailsWithTheErrnoAndAHint() {
        io.rawio.nativeio.NativeIoException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.rawio.nativeio.NativeIoException.class,
                () -> IoUring.create(IoUring.Setup.of(4).plain().withFlags(1 << 30)));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().startsWith("io_uring_setup failed: EINVAL"), e.getMessage());
        assertTrue(e.getMessage().contains("hint="), e.getMessage());
    }

    @Test
    void setupHintsNameTheCause() {
        assertTrue(IoUringSetupHints.setupHint(Errno.ENOSYS).contains("no io_uring"));
        assertTrue(IoUringSetupHints.setupHint(Errno.EPERM).contains("io_uring_disabled"));
        assertTrue(IoUringSetupHints.setupHint(Errno.ENOMEM).contains("RLIMIT_MEMLOCK"));
    }

    @Test
    void aRangeNamesTheRegisteredBufferThatHoldsItWhole() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment first = a.allocate(8192, 4096);
            MemorySegment second = a.allocate(4096, 4096);
            MemorySegment[] regs = {first, second};
            assertEquals(0, IoUring.registeredIndex(regs, first.address(), 8192));
            assertEquals(1, IoUring.registeredIndex(regs, second.address() + 1024, 3072), "up to its very end");
            assertEquals(-1, IoUring.registeredIndex(regs, second.address() + 1024, 3073), "one byte past it");
            assertEquals(-1, IoUring.registeredIndex(regs, first.address() - 1, 10), "one byte before it");
            assertEquals(-1, IoUring.registeredIndex(new MemorySegment[0], first.address(), 1), "none registered");
        }
    }
}
