package io.rawio.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RLIMIT_NOFILE read, raised as far as allowed, and never lowered. */
class ResourceLimitTest {
    @Test
    void openFilesRaisedAsFarAsAllowed() throws Exception {
        ResourceLimit.Raised r = ResourceLimit.raiseOpenFiles();
        ResourceLimit now = ResourceLimit.get(LinuxConstants.RLIMIT_NOFILE);
        assertEquals(r.after(), now);
        assertEquals(now.hard(), now.soft(), "soft raised to hard");
        assertTrue(Long.compareUnsigned(now.hard(), r.before().hard()) >= 0, "hard never lowered: " + r.describe());
        assertTrue(r.nrOpen() >= 1024);
        if (Privileges.isRoot()) {
            assertTrue(now.hard() >= r.nrOpen() || r.note() != null, "root raises the hard limit: " + r.describe());
        } else {
            assertEquals(r.before().hard(), now.hard(), r.describe());
        }
        assertTrue(r.describe().startsWith("RLIMIT_NOFILE soft "), r.describe());
        // Raising again changes nothing.
        assertEquals(now, ResourceLimit.raiseOpenFiles().after());
        assertEquals(-Errno.EINVAL, ResourceLimit.set(LinuxConstants.RLIMIT_NOFILE, now.hard(), now.hard() - 1),
                "soft above hard is refused");
    }
}
