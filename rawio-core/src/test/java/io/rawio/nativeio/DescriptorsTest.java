package io.rawio.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Moving a descriptor above a number, and counting what is open. */
class DescriptorsTest {
    @Test
    void aMovedDescriptorLandsAtOrAboveTheNumberAndTheOldOneIsFreed() throws Exception {
        int[] p = NativeFile.pipe();
        int open = Descriptors.openCount();
        assertTrue(open >= 5, "stdin, stdout, stderr, the pipe: " + open);
        int moved = Descriptors.moveAtLeast(p[0], 3000);
        try {
            assertTrue(moved >= 3000, "moved to " + moved);
            assertEquals(open, Descriptors.openCount(), "a move opens nothing");
            assertEquals(-Errno.EBADF, Libc.close(p[0]), "the old number is closed");
            assertEquals(-Errno.EINVAL, Descriptors.dupAtLeast(p[1], -1));
            assertEquals(-Errno.EBADF, Descriptors.dupAtLeast(-1, 10));
        } finally {
            Libc.close(moved);
            Libc.close(p[1]);
        }
    }

    @Test
    void socketsAreCounted() throws Exception {
        int before = Descriptors.socketCount();
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(before + 1, Descriptors.socketCount());
        }
        assertEquals(before, Descriptors.socketCount());
    }
}
