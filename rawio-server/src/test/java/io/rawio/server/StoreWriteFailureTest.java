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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A store write that fails (the device returns EIO) is an {@code -ERR} to the clients whose SETs it
 * carried, and the server refuses writes from then on, as the store does, while reads go on: what was
 * stored before still reads back, and nothing of the failed SETs is stored. (The store's engine here is
 * psync behind the fault injector, so on the io_uring loop the store's writes go through that engine, not
 * on the loop's own ring as they do with the io_uring engine; that path's failures are DeviceWriteFailureTest's,
 * with a device that fails the write.)
 */
@Timeout(60)
@ParameterizedClass(name = "loop {0}")
@MethodSource("io.rawio.server.RunningServer#loops")
class StoreWriteFailureTest {
    @Parameter
    String loop;

    @TempDir
    Path dir;

    @Test
    void aFailedWriteIsAnErrorAndLaterWritesAreRefusedWhileReadsGoOn() throws Exception {
        RunningServer.assumeLoop(loop);
        Path p = dir.resolve("s.store");
        StoreOptions o = StoreOptions.defaults().withEngine("psync");
        SlotStore.format(p, 32L << 20, SlotClasses.forMaxValue(64 << 10), false, o, Preallocation.FALLOCATE,
                FormatProgress.NONE);
        FaultInjectingEngine engine = new FaultInjectingEngine(new PsyncEngine(), FaultConfig.none(1));
        try (RunningServer rs = new RunningServer(loop, SlotStore.open(p, o, engine), 128 << 10);
                RespClient a = new RespClient(rs.server.address());
                RespClient b = new RespClient(rs.server.address())) {
            assertEquals("+OK\r\n", a.call("SET", "before", "kept"));
            engine.failAllWrites(Errno.EIO);
            String failed = a.call("SET", "during", "lost");
            assertTrue(failed.startsWith("-ERR ") && failed.endsWith("\r\n") && failed.indexOf('\n') == failed.length() - 1,
                    "one error line for the SET the failed write carried: " + failed);
            engine.resumeWrites(); // the device is back, but the store is not trusted with writes again
            for (String[] write : new String[][] {{"SET", "after", "x"}, {"MSET", "m1", "1", "m2", "2"},
                    {"SET", "before", "changed"}}) {
                String r = b.call(write);
                assertTrue(r.startsWith("-ERR "), "refused: " + String.join(" ", write) + " -> " + r);
            }
            assertEquals("$4\r\nkept\r\n", b.call("GET", "before"), "reads go on, and the old value is unchanged");
            assertEquals("$-1\r\n", b.call("GET", "during"), "nothing of the failed SET is stored");
            assertEquals("$-1\r\n", a.call("GET", "after"));
            assertEquals("*2\r\n$-1\r\n$-1\r\n", a.call("MGET", "m1", "m2"));
            assertEquals("+PONG\r\n", a.call("PING"), "the server serves on");
        }
    }
}
