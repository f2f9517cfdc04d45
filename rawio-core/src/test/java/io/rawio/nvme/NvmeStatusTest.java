package io.rawio.nvme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rawio.nativeio.Errno;
import org.junit.jupiter.api.Test;

class NvmeStatusTest {

    @Test
    void lbaOutOfRangeWithDoNotRetryIsDecodedAndNamed() {
        int status = 0x4080; // what QEMU's controller answers a read past the namespace's end
        assertTrue(NvmeStatus.dnr(status));
        assertEquals(NvmeStatus.SCT_GENERIC, NvmeStatus.sct(status));
        assertEquals(0x80, NvmeStatus.sc(status));
        assertEquals("LBA Out of Range", NvmeStatus.name(status));
        assertEquals("NVMe status 0x4080 (SCT=0x0 SC=0x80 DNR): LBA Out of Range", NvmeStatus.describe(status));
        assertEquals(Errno.EIO, NvmeStatus.errno(status));
    }

    @Test
    void theStatusTypeSelectsTheTableOfNames() {
        assertEquals("Unrecovered Read Error", NvmeStatus.name(NvmeStatus.of(NvmeStatus.SCT_MEDIA, 0x81, false)));
        assertEquals("Capacity Exceeded", NvmeStatus.name(NvmeStatus.of(NvmeStatus.SCT_GENERIC, 0x81, false)));
        assertEquals("Attempted Write to Read Only Range",
                NvmeStatus.name(NvmeStatus.of(NvmeStatus.SCT_COMMAND_SPECIFIC, 0x82, true)));
        assertEquals("Host Pathing Error", NvmeStatus.name(NvmeStatus.of(NvmeStatus.SCT_PATH, 0x70, false)));
        assertEquals("unknown", NvmeStatus.name(NvmeStatus.of(NvmeStatus.SCT_GENERIC, 0x7f, false)));
    }

    @Test
    void crdAndMoreDoNotDisturbTheCode() {
        int status = (1 << 13) | (2 << 11) | (2 << 8) | 0x87;
        assertEquals(2, NvmeStatus.crd(status));
        assertTrue(NvmeStatus.more(status));
        assertFalse(NvmeStatus.dnr(status));
        assertEquals("Deallocated or Unwritten Logical Block", NvmeStatus.name(status));
    }

    @Test
    void errnosFollowWhatTheStatusMeans() {
        assertEquals(Errno.EOPNOTSUPP, NvmeStatus.errno(NvmeStatus.of(0, NvmeStatus.SC_INVALID_OPCODE, true)));
        assertEquals(Errno.EINVAL, NvmeStatus.errno(NvmeStatus.of(0, NvmeStatus.SC_INVALID_FIELD, true)));
        assertEquals(Errno.ENOSPC, NvmeStatus.errno(NvmeStatus.of(0, NvmeStatus.SC_CAP_EXCEEDED, false)));
        assertEquals(Errno.EIO, NvmeStatus.errno(NvmeStatus.of(NvmeStatus.SCT_MEDIA, 0x81, false)));
        // SC 0x02 of another type is not "Invalid Field"
        assertEquals(Errno.EIO, NvmeStatus.errno(NvmeStatus.of(NvmeStatus.SCT_PATH, 0x02, false)));
    }
}
