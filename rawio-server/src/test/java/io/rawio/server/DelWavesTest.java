package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.engine.FaultConfig;
import io.rawio.engine.FaultInjectingEngine;
import io.rawio.engine.PsyncEngine;
import io.rawio.nativeio.Errno;
import io.rawio.store.FormatProgress;
import io.rawio.store.Preallocation;
import io.rawio.store.SlotClasses;
import io.rawio.store.SlotStore;
import io.rawio.store.StoreOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DELs and UNLINKs of one key go in a round's wave as one deleteMany: a pipeline of them is a few batches,
 * each is answered 1 or 0 as one at a time would be, and the keys are gone, restart or not.
 */
@Timeout(120)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class DelWavesTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    static long info(RespClient c, String field) throws Exception {
        return ExpiringSetWavesTest.info(c, field);
    }

    RunningServer server(StoreOptions o) throws Exception {
        return new RunningServer(loop, dir, 64L << 20, SlotClasses.ofEqualSpace(List.of(4096L)), 4096, x -> x, o);
    }

    @Test
    void aPipelineOfDelsIsAFewBatchesAnsweredAsOneAtATime() throws Exception {
        int n = 1_000;
        try (RunningServer running = server(StoreOptions.defaults().withEngine(RunningServer.engine()));
                RespClient c = new RespClient(running.server.address())) {
            List<String[]> sets = new ArrayList<>();
            for (int i = 0; i < n; i += 2) {
                sets.add(new String[] {"SET", "k" + i, "v"}); // the even keys are there, the odd ones not
            }
            c.sendAll(sets.toArray(String[][]::new));
            for (int i = 0; i < sets.size(); i++) {
                assertEquals("+OK\r\n", c.reply());
            }
            long before = info(c, "del_batches");
            List<String[]> dels = new ArrayList<>();
            List<String> want = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                dels.add(new String[] {i % 3 == 0 ? "UNLINK" : "del", "k" + i});
                want.add(i % 2 == 0 ? ":1\r\n" : ":0\r\n");
                if (i % 10 == 0) {
                    dels.add(new String[] {"DEL", "k" + i}); // again: gone by the first
                    want.add(":0\r\n");
                }
            }
            dels.add(new String[] {"SET", "k0", "back"}); // after the DELs, in a later wave
            want.add("+OK\r\n");
            dels.add(new String[] {"DEL", "k0"});
            want.add(":1\r\n");
            dels.add(new String[] {"DEL", "k0", "k2"}); // several keys: alone, as before
            want.add(":0\r\n");
            c.sendAll(dels.toArray(String[][]::new));
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i), c.reply(), "reply " + i + " to " + String.join(" ", dels.get(i)));
            }
            long batches = info(c, "del_batches") - before;
            assertTrue(batches >= 1 && batches < n / 10, n + " DELs in " + batches + " deleteManys");
            assertEquals(":0\r\n", c.call("DBSIZE"));
            assertEquals(":0\r\n", c.call("EXISTS", "k4"));
        }
    }

    @Test
    void twoConnectionsDeletingTheSameKeysCountEachKeyOnce() throws Exception {
        int n = 600;
        StoreOptions o = StoreOptions.defaults().withEngine(RunningServer.engine())
                .withDurability(StoreOptions.Durability.DURABLE);
        try (RunningServer running = server(o);
                RespClient a = new RespClient(running.server.address());
                RespClient b = new RespClient(running.server.address())) {
            List<String[]> sets = new ArrayList<>();
            List<String[]> dels = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sets.add(new String[] {"SET", "s" + i, "v", "EX", "1000"});
                dels.add(new String[] {"DEL", "s" + i});
            }
            a.sendAll(sets.toArray(String[][]::new));
            for (int i = 0; i < n; i++) {
                assertEquals("+OK\r\n", a.reply());
            }
            a.sendAll(dels.toArray(String[][]::new));
            b.sendAll(dels.toArray(String[][]::new));
            int ones = 0;
            for (RespClient c : List.of(a, b)) {
                for (int i = 0; i < n; i++) {
                    String r = c.reply();
                    assertTrue(r.equals(":1\r\n") || r.equals(":0\r\n"), r);
                    ones += r.equals(":1\r\n") ? 1 : 0;
                }
            }
            assertEquals(n, ones, "each key deleted once over both connections");
            assertEquals(":0\r\n", a.call("DBSIZE"));
        }
    }

    /**
     * On a store whose writes fail, a wave's DEL of a key that is not there says 0, as it does alone; a DEL
     * of one that is there gets the store's error, and the key stays.
     */
    @Test
    void onAFailedStoreADelOfAnAbsentKeyStillSaysZero() throws Exception {
        RunningServer.assumeLoop(loop);
        Path p = dir.resolve("f.store");
        StoreOptions o = StoreOptions.defaults().withEngine("psync");
        SlotStore.format(p, 32L << 20, SlotClasses.ofEqualSpace(List.of(4096L)), false, o, Preallocation.FALLOCATE,
                FormatProgress.NONE);
        FaultInjectingEngine engine = new FaultInjectingEngine(new PsyncEngine(), FaultConfig.none(1));
        try (RunningServer running = new RunningServer(loop, SlotStore.open(p, o, engine), 128 << 10);
                RespClient c = new RespClient(running.server.address())) {
            assertEquals("+OK\r\n", c.call("SET", "present", "v"));
            engine.failAllWrites(Errno.EIO);
            c.sendAll(new String[][] {{"DEL", "absent"}, {"DEL", "present"}, {"UNLINK", "absent2"}});
            assertEquals(":0\r\n", c.reply());
            String r = c.reply();
            assertTrue(r.startsWith("-ERR "), r);
            assertEquals(":0\r\n", c.reply());
            assertEquals(":1\r\n", c.call("EXISTS", "present"));
        }
    }
}
