package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a child JVM in the middle of durable putMany loops, repeated: after each restart every
 * acknowledged key reads back exactly, and no key reads back wrong: on a store of one slot class, and
 * on one of several with keys that move class and values that expire.
 */
class KillNineTest {
    static final int MAX_VALUE = 20_000;

    @TempDir
    Path dir;

    @Test
    void acknowledgedDurableWritesSurviveKillNine() throws Exception {
        Path path = dir.resolve("crash.store");
        SlotStore.format(path, 64L << 20, 32768, false, StoreTesting.psyncOptions());
        long slots;
        try (SlotStore s = SlotStore.open(path, StoreTesting.psyncOptions())) {
            slots = s.superblock().slotCount();
        }
        List<String> acked = new ArrayList<>();
        int rounds = 4;
        int perRound = (int) (slots / (rounds + 1)); // never wraps: nothing acknowledged is evicted
        long[] killAfterMs = {150, 400, 60, 900};
        for (int round = 0; round < rounds; round++) {
            List<String> lines = runAndKill(javaCommand(path, "r" + round, perRound), killAfterMs[round]);
            for (String l : lines) {
                if (l.startsWith("ack ")) {
                    acked.add(l.substring(4));
                }
            }
            try (SlotStore s = SlotStore.open(path, StoreTesting.psyncOptions())) {
                for (String k : acked) {
                    byte[] v = s.get(StoreTesting.key(k));
                    assertNotNull(v, "round " + round + ": acknowledged key lost: " + k);
                    assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), v, "round " + round + ": value of " + k);
                }
                // Unacknowledged keys may or may not be there, but never with wrong bytes.
                for (KeyInfo info : s.keys()) {
                    String k = new String(info.key());
                    assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), s.get(info.key()), "value of " + k);
                }
                assertTrue(s.stats().openMillis() < 10_000);
            }
        }
        assertTrue(acked.size() > 0, "the children acknowledged something before they were killed");
    }

    /** One write a child tried: its generation, value length and expiry (0: none). */
    record Write(long gen, int length, long expiry) {
        boolean expiredAt(long nowMs) {
            return expiry != 0 && expiry <= nowMs;
        }
    }

    /**
     * What a key may read back: its last acknowledged write (null when it must be absent or may be),
     * and the writes tried after it, which may have landed before the kill; every write, for messages.
     */
    static final class KeyState {
        Write acked;
        final List<Write> after = new ArrayList<>();
        final List<Write> history = new ArrayList<>();
    }

    /** Slot classes of 4 KiB, 4.5 KiB (written in 512-byte sectors), 16 and 64 KiB, the same space each. */
    static final SlotClasses CLASSES = SlotClasses.ofEqualSpace(List.of(4096L, 4608L, 16384L, 65536L));

    /**
     * A store of four slot classes, one of them a sector class ({@link #CLASSES}), four children killed with SIGKILL in the middle of durable putMany
     * loops of values from 0 bytes to the largest class (class boundaries included), the same keys
     * overwritten with values of other sizes so they move class, some batches expiring 200 ms later.
     * After each kill, once those expiries have passed: every key reads back its last acknowledged value
     * or a later one that was in flight, or is absent when that value expired; no key reads back any
     * other bytes, and no expired value comes back, then or after later restarts.
     */
    @Test
    void acknowledgedWritesOfKeysThatMoveClassSurviveKillNineAndExpiredOnesStayAbsent() throws Exception {
        Path path = dir.resolve("classes.store");
        StoreOptions o = StoreTesting.psyncOptions();
        SlotStore.format(path, 256L << 20, CLASSES, false, o, Preallocation.FALLOCATE,
                FormatProgress.NONE);
        int rounds = 4;
        StringBuilder budgets = new StringBuilder();
        try (SlotStore s = SlotStore.open(path, o)) {
            for (ClassStats cs : s.classStats()) {
                // Never comes round: nothing acknowledged is evicted.
                budgets.append(budgets.isEmpty() ? "" : ",").append(cs.slots() / (rounds + 1));
            }
        }
        Map<String, KeyState> keys = new TreeMap<>();
        long[] killAfterMs = {600, 1500, 300, 1100}; // about 2,000 writes a second: killed while writing
        long acks = 0;
        long expiringAcks = 0;
        int killedWhileWriting = 0;
        int expiredAbsent = 0;
        for (int round = 0; round < rounds; round++) {
            List<String> command = new ArrayList<>(javaCommand(path, "c" + round, 0));
            command.addAll(List.of("classes", budgets.toString(), "300", String.valueOf(round)));
            List<String> lines = runAndKill(command, killAfterMs[round]);
            Map<Long, Write> tried = new HashMap<>();
            long lastExpiry = 0;
            for (String l : lines) {
                String[] f = l.split(" ");
                // A line cut short by the kill has no end mark.
                if (f.length < 2 || !f[f.length - 1].equals(".")) {
                    continue;
                }
                if (f[0].equals("try")) {
                    Write w = new Write(Long.parseLong(f[2]), Integer.parseInt(f[3]), Long.parseLong(f[4]));
                    tried.put(w.gen(), w);
                    KeyState st = keys.computeIfAbsent(f[1], k -> new KeyState());
                    st.after.add(w);
                    st.history.add(w);
                    lastExpiry = Math.max(lastExpiry, w.expiry());
                } else if (f[0].equals("ack")) {
                    Write w = tried.get(Long.parseLong(f[2]));
                    KeyState st = keys.get(f[1]);
                    st.acked = w;
                    st.after.removeIf(x -> x.gen() <= w.gen());
                    acks++;
                    expiringAcks += w.expiry() != 0 ? 1 : 0;
                }
            }
            killedWhileWriting += lines.contains("done") ? 0 : 1;
            while (System.currentTimeMillis() <= lastExpiry) {
                Thread.sleep(10);
            }
            try (SlotStore s = SlotStore.open(path, o)) {
                expiredAbsent += checkAgainst(s, keys, "round " + round + ", after the kill");
                assertEquals(0, s.check().keysCorrupt(), "round " + round + ": keys whose slot fails its CRC");
            }
        }
        // A clean restart after the last one (its close wrote a checkpoint): nothing changes.
        try (SlotStore s = SlotStore.open(path, o)) {
            checkAgainst(s, keys, "after a clean restart");
        }
        assertTrue(acks > 100, "the children acknowledged writes before they were killed: " + acks);
        assertTrue(expiringAcks > 0, "some acknowledged writes expire: " + expiringAcks);
        assertTrue(expiredAbsent > 0, "some keys read back absent because their value expired");
        assertTrue(killedWhileWriting > 0, "some children were killed while writing, not once done");
        long movers = keys.entrySet().stream().filter(e -> e.getValue().history.stream()
                .map(w -> classOf(e.getKey(), w.length())).distinct().count() > 1).count();
        assertTrue(movers > keys.size() / 2, "most keys moved class: " + movers + " of " + keys.size());
    }

    /**
     * Checks every key the children tried against what it may read back, then takes what it did read back
     * as its state from now on: a value seen after a restart must stay, and an absent key stays absent.
     */
    private static int checkAgainst(SlotStore s, Map<String, KeyState> keys, String when) throws IOException {
        int expiredAbsent = 0;
        long now = System.currentTimeMillis();
        for (Map.Entry<String, KeyState> e : keys.entrySet()) {
            String k = e.getKey();
            KeyState st = e.getValue();
            byte[] got = s.get(StoreTesting.key(k));
            if (got == null) {
                // Absent: never acknowledged, or expired, or overwritten by a write in flight that expired.
                assertTrue(st.acked == null || st.acked.expiredAt(now) || st.after.stream().anyMatch(w -> w.expiredAt(now)),
                        () -> when + ": acknowledged write lost: " + k + " " + st.acked);
                expiredAbsent += st.acked != null ? 1 : 0; // acknowledged, and expired since
                st.acked = null;
            } else {
                List<Write> candidates = new ArrayList<>(st.after);
                if (st.acked != null) {
                    candidates.add(st.acked);
                }
                // Values of 0 bytes are all alike: a match that has not expired, when there is one.
                List<Write> live = candidates.stream().filter(w -> !w.expiredAt(now)).toList();
                Write found = find(k, got, live);
                Write match = found != null ? found : find(k, got, candidates);
                if (match == null) {
                    Write older = find(k, got, st.history);
                    String whose = "";
                    for (Map.Entry<String, KeyState> other : keys.entrySet()) {
                        Write w = find(other.getKey(), got, other.getValue().history);
                        whose += w == null ? "" : " (the value of " + other.getKey() + " " + w + ")";
                    }
                    fail(when + ": " + k + " read back " + got.length + " bytes that "
                            + (older == null ? "no write of it had" + whose : "an overwritten write had: " + older)
                            + "; last acknowledged " + st.acked + ", in flight " + st.after);
                }
                assertFalse(match.expiredAt(now), () -> when + ": an expired value came back: " + k + " " + match);
                st.acked = match;
            }
            st.after.clear();
        }
        for (KeyInfo info : s.keys()) {
            assertTrue(keys.containsKey(new String(info.key())), () -> when + ": a key nobody wrote: "
                    + new String(info.key()));
        }
        return expiredAbsent;
    }

    /** The slot class a value of {@code length} bytes under {@code key} goes to. */
    private static int classOf(String key, int length) {
        List<Long> sizes = CLASSES.slotSizes();
        int c = 0;
        while (length > CrashWriter.classMax(StoreTesting.key(key).length, sizes.get(c))) {
            c++;
        }
        return c;
    }

    private static Write find(String k, byte[] got, List<Write> writes) {
        for (Write w : writes) {
            if (w.length() == got.length && Arrays.equals(CrashWriter.value(k, w.gen(), w.length()), got)) {
                return w;
            }
        }
        return null;
    }

    /**
     * Starts the child, waits until it opened the store, kills it with SIGKILL {@code killAfterMs} later
     * (no shutdown hook, no close, no checkpoint) and returns the lines it printed after "open". Its
     * output goes to a file, read once it is dead: reading a pipe while the JDK drains it at the
     * child's exit can lose the last lines, and a write whose "try" line was lost looks like a value
     * nobody wrote.
     */
    private List<String> runAndKill(List<String> command, long killAfterMs) throws Exception {
        Path out = java.nio.file.Files.createTempFile(dir, "child", ".out");
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectOutput(out.toFile()).start();
        try {
            long openBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!java.nio.file.Files.readString(out).startsWith("open\n")) {
                assertTrue(child.isAlive(), () -> "the child died before it opened the store");
                assertTrue(System.nanoTime() < openBy, "the child opened the store within 60 s");
                Thread.sleep(5);
            }
            Thread.sleep(killAfterMs);
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child died");
        }
        List<String> lines = new ArrayList<>(java.nio.file.Files.readAllLines(out));
        assertEquals("open", lines.getFirst(), "child opened the store");
        return lines.subList(1, lines.size());
    }

    private static List<String> javaCommand(Path store, String prefix, int maxKeys) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), store.toString(), prefix, String.valueOf(maxKeys));
    }
}
