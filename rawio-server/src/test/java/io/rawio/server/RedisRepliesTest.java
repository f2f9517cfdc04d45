package io.rawio.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replies byte for byte as redis-server 7 gives them (each expected reply below is what a Redis 7
 * server sent for the same request), for the commands whose replies clients take apart by shape.
 */
@Timeout(60)
class RedisRepliesTest {
    @TempDir
    Path dir;
    RunningServer running;
    RespClient c;

    @BeforeEach
    void start() throws Exception {
        running = new RunningServer(dir, 64L << 20, 64L << 10);
        c = new RespClient(running.server.address());
    }

    @AfterEach
    void stop() throws Exception {
        c.close();
        running.close();
    }

    private static String bulk(String s) {
        return "$" + s.length() + "\r\n" + s + "\r\n";
    }

    /**
     * CLUSTER SLOTS: one range, and its entry is [start, end, master] (three elements, replicas would
     * follow); a wrong count makes a cluster client wait for an element that never comes.
     */
    @Test
    void clusterSlotsIsOneRangeOfThreeElements() throws Exception {
        String id = c.call("CLUSTER", "MYID"); // $40\r\n<id>\r\n
        assertEquals(3 + 2 + 40 + 2, id.length(), id);
        int port = running.server.address().getPort();
        assertEquals("*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n" + bulk("127.0.0.1") + ":" + port + "\r\n"
                + id + "*0\r\n", c.call("CLUSTER", "SLOTS"));
        assertEquals("+PONG\r\n", c.call("PING"), "nothing left over after the reply");
    }
}
