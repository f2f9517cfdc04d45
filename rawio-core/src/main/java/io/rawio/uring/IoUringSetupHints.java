package io.rawio.uring;

import static io.rawio.uring.IoUringConstants.*;

import io.rawio.nativeio.Errno;
import java.nio.file.Path;

/** What a failed io_uring setup means, in words: the hints {@link IoUring#create} adds to its error. */
final class IoUringSetupHints {
    private IoUringSetupHints() {
    }

    static String setupHint(int errno) {
        return switch (errno) {
            case Errno.ENOSYS -> "this kernel has no io_uring (CONFIG_IO_URING off, or older than 5.1)";
            case Errno.EPERM -> "io_uring is disabled: see sysctl kernel.io_uring_disabled ("
                    + readSysctl() + "), or a seccomp filter (containers often block io_uring)";
            case Errno.ENOMEM -> "not enough locked memory for the rings: raise RLIMIT_MEMLOCK (ulimit -l)";
            case Errno.EINVAL -> "a setup flag or the queue depth is not supported by this kernel";
            default -> null;
        };
    }

    private static String readSysctl() {
        try {
            return "now " + io.rawio.nativeio.Procfs.read(Path.of("/proc/sys/kernel/io_uring_disabled"));
        } catch (java.io.IOException e) {
            return "absent";
        }
    }

    static String flagName(int f) {
        return switch (f) {
            case IORING_SETUP_DEFER_TASKRUN -> "IORING_SETUP_DEFER_TASKRUN";
            case IORING_SETUP_SINGLE_ISSUER -> "IORING_SETUP_SINGLE_ISSUER";
            case IORING_SETUP_COOP_TASKRUN -> "IORING_SETUP_COOP_TASKRUN";
            case IORING_SETUP_SUBMIT_ALL -> "IORING_SETUP_SUBMIT_ALL";
            case IORING_SETUP_CLAMP -> "IORING_SETUP_CLAMP";
            case IORING_SETUP_CQSIZE -> "IORING_SETUP_CQSIZE";
            case IORING_SETUP_SQPOLL -> "IORING_SETUP_SQPOLL";
            case IORING_SETUP_IOPOLL -> "IORING_SETUP_IOPOLL";
            default -> "flag 0x" + Integer.toHexString(f);
        };
    }
}
