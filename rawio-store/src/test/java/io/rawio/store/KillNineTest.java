package io.rawio.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a child JVM in the middle of durable putMany loops, repeated: after each restart every
 * acknowledged key reads back exactly, and no key reads back wrong.
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
            Process child = new ProcessBuilder(javaCommand(path, "r" + round, perRound))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
                String first = in.readLine();
                assertEquals("open", first, "child opened the store");
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(killAfterMs[round]);
                Thread reader = Thread.ofPlatform().start(() -> {
                    try {
                        for (String l; (l = in.readLine()) != null; ) {
                            synchronized (lines) {
                                lines.add(l);
                            }
                        }
                    } catch (IOException e) {
                        // the child died: the pipe closed
                    }
                });
                while (System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                // SIGKILL: no shutdown hook, no close, no checkpoint.
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
                reader.join(10_000);
            }
            synchronized (lines) {
                for (String l : lines) {
                    if (l.startsWith("ack ")) {
                        acked.add(l.substring(4));
                    }
                }
            }
            try (SlotStore s = SlotStore.open(path, StoreTesting.psyncOptions())) {
                for (String k : acked) {
                    byte[] v = s.get(StoreTesting.key(k));
                    assertNotNull(v, "round " + round + ": acknowledged key lost: " + k);
                    assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), v, "round " + round + ": value of " + k);
                }
                // Unacknowledged keys may or may not be there, but never with wrong bytes.
                for (SlotStore.KeyInfo info : s.keys()) {
                    String k = new String(info.key());
                    assertArrayEquals(StoreTesting.valueFor(k, MAX_VALUE), s.get(info.key()), "value of " + k);
                }
                assertTrue(s.stats().openMillis() < 10_000);
            }
        }
        assertTrue(acked.size() > 0, "the children acknowledged something before they were killed");
    }

    private static List<String> javaCommand(Path store, String prefix, int maxKeys) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), store.toString(), prefix, String.valueOf(maxKeys));
    }
}
