package io.rawio.posixaio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * glibc's struct aiocb (rt/aio.h, 64-bit {@code off_t}; the same on x86-64 and aarch64), 168 bytes: one
 * POSIX AIO request. Native byte order. Only the public fields are written; the internal ones belong
 * to glibc from aio_read until aio_return.
 *
 * <pre>
 *   0               4               8               12              16
 *   +---------------+---------------+---------------+---------------+
 *   | aio_fildes    | aio_lio_opcode| aio_reqprio   | (padding)     |
 *   +---------------+---------------+---------------+---------------+
 *  16                               24                              32
 *   |  aio_buf (void *)             |  aio_nbytes (size_t)          |
 *   +-------------------------------+-------------------------------+
 *  32                               40              44              96
 *   |  sigev_value (union sigval)   | sigev_signo   | sigev_notify  | ... struct sigevent, 64 bytes
 *   +-------------------------------+---------------+---------------+
 *  96                               104             108             112             120
 *   |  __next_prio (glibc)          | __abs_prio    | __policy      | __error_code  | (padding)
 *   +-------------------------------+---------------+---------------+---------------+
 * 120                               128                             136                        168
 *   |  __return_value (glibc)       |  aio_offset (off_t)           | __glibc_reserved[32]     |
 *   +-------------------------------+-------------------------------+--------------------------+
 * </pre>
 *
 * Offsets as {@code offsetof} reports them for glibc 2.36 on x86-64, with and without
 * {@code _FILE_OFFSET_BITS=64} (LP64: off_t is already 64 bits, so struct aiocb64 is the same).
 */
public final class AiocbDescriptor {
    public static final int SIZE = 168;
    public static final int ALIGNMENT = 8;
    public static final long FILDES_OFFSET = 0;
    public static final long LIO_OPCODE_OFFSET = 4;
    public static final long REQPRIO_OFFSET = 8;
    public static final long BUF_OFFSET = 16;
    public static final long NBYTES_OFFSET = 24;
    public static final long SIGEVENT_OFFSET = 32;
    public static final int SIGEVENT_LENGTH = 64;
    /** sigev_notify inside the aiocb: sigev_value (8 bytes) and sigev_signo (4) come before it. */
    public static final long SIGEV_NOTIFY_OFFSET = SIGEVENT_OFFSET + 12;
    public static final long OFFSET_OFFSET = 128;

    /** sigev_notify: no notification; completion is polled with aio_error/aio_suspend (bits/sigevent-consts.h). */
    public static final int SIGEV_NONE = 1;

    private AiocbDescriptor() {
    }

    /**
     * Zeroes the aiocb at {@code base} and fills a request for aio_read/aio_write/aio_fsync (which take
     * the operation from the call, not aio_lio_opcode), with no completion notification.
     */
    public static void prep(MemorySegment cbs, long base, int fd, long bufAddress, long nbytes, long offset) {
        cbs.asSlice(base, SIZE).fill((byte) 0);
        cbs.set(ValueLayout.JAVA_INT, base + FILDES_OFFSET, fd);
        cbs.set(ValueLayout.JAVA_LONG, base + BUF_OFFSET, bufAddress);
        cbs.set(ValueLayout.JAVA_LONG, base + NBYTES_OFFSET, nbytes);
        cbs.set(ValueLayout.JAVA_INT, base + SIGEV_NOTIFY_OFFSET, SIGEV_NONE);
        cbs.set(ValueLayout.JAVA_LONG, base + OFFSET_OFFSET, offset);
    }
}
