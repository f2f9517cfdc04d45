package io.rawio.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ArchConstantsTest {
    @Test
    void openFlagsDifferBetweenX8664AndAarch64() {
        // arch/x86/include/uapi/asm/fcntl.h vs arch/arm64/include/uapi/asm/fcntl.h
        assertEquals(0x4000, ArchConstants.X86_64.oDirect());
        assertEquals(0x10000, ArchConstants.AARCH64.oDirect());
        assertEquals(0x10000, ArchConstants.X86_64.oDirectory());
        assertEquals(0x4000, ArchConstants.AARCH64.oDirectory());
        assertEquals(0x20000, ArchConstants.X86_64.oNofollow());
        assertEquals(0x8000, ArchConstants.AARCH64.oNofollow());
    }

    @Test
    void nativeAioSyscallNumbersDifferBetweenX8664AndAarch64() {
        // arch/x86/entry/syscalls/syscall_64.tbl vs include/uapi/asm-generic/unistd.h
        assertEquals(206, ArchConstants.X86_64.sysIoSetup());
        assertEquals(207, ArchConstants.X86_64.sysIoDestroy());
        assertEquals(208, ArchConstants.X86_64.sysIoGetevents());
        assertEquals(209, ArchConstants.X86_64.sysIoSubmit());
        assertEquals(0, ArchConstants.AARCH64.sysIoSetup());
        assertEquals(1, ArchConstants.AARCH64.sysIoDestroy());
        assertEquals(2, ArchConstants.AARCH64.sysIoSubmit());
        assertEquals(4, ArchConstants.AARCH64.sysIoGetevents());
    }

    @Test
    void getMempolicyHasItsOwnNumberPerArchitecture() {
        // arch/x86/entry/syscalls/syscall_64.tbl vs include/uapi/asm-generic/unistd.h
        assertEquals(239, ArchConstants.X86_64.sysGetMempolicy());
        assertEquals(236, ArchConstants.AARCH64.sysGetMempolicy());
    }

    @Test
    void osArchNamesMapToTables() {
        assertSame(ArchConstants.X86_64, ArchConstants.forName("amd64"));
        assertSame(ArchConstants.X86_64, ArchConstants.forName("x86_64"));
        assertSame(ArchConstants.AARCH64, ArchConstants.forName("aarch64"));
        assertNull(ArchConstants.forName("s390x"));
    }

    @Test
    void theRunningArchitectureHasATable() {
        assertTrue(ArchConstants.supported());
        assertEquals(OpenFlag.DIRECT.bits(), ArchConstants.current().oDirect());
    }

    @Test
    void openFlagsParseInKernelAndShortSpelling() {
        assertEquals(OpenFlag.DIRECT, OpenFlag.parse("O_DIRECT"));
        assertEquals(OpenFlag.DSYNC, OpenFlag.parse("dsync"));
        assertEquals("O_NOATIME", OpenFlag.NOATIME.kernelName());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpenFlag.parse("O_FAST"));
        assertTrue(e.getMessage().contains("O_FAST"));
    }

    @Test
    void errnoNamesAndDescriptions() {
        assertEquals("EINVAL", Errno.name(Errno.EINVAL));
        assertEquals("ENOSPC", Errno.name(-Errno.ENOSPC));
        assertEquals("errno=4000", Errno.name(4000));
        assertEquals("No such file or directory", Errno.describe(Errno.ENOENT));
    }
}
