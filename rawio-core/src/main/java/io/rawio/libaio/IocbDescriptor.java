package io.rawio.libaio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * struct iocb (include/uapi/linux/aio_abi.h), 64 bytes: one native AIO request. Native byte order.
 *
 * <pre>
 *   0                               8               12              16
 *   +-------------------------------+---------------+---------------+
 *   |  aio_data (u64)               | aio_key (u32) | aio_rw_flags  |
 *   +-------------------------------+---------------+---------------+
 *  16         18         20              24                         32
 *   | lio_op  | reqprio  | aio_fildes    |  aio_buf (u64)           |
 *   | (u16)   | (s16)    | (u32)         |                          |
 *   +---------+----------+---------------+--------------------------+
 *  32                               40                              48
 *   |  aio_nbytes (u64)             |  aio_offset (s64)             |
 *   +-------------------------------+-------------------------------+
 *  48                               56              60              64
 *   |  aio_reserved2 (u64)          | aio_flags     | aio_resfd     |
 *   +-------------------------------+---------------+---------------+
 * </pre>
 *
 * aio_key and aio_rw_flags are one PADDED() pair whose order follows the byte order: key first on a
 * little-endian machine (x86-64, aarch64, the only ones rawio has tables for). For PREADV/PWRITEV,
 * aio_buf is the address of an iovec array and aio_nbytes its count. aio_rw_flags takes RWF_* flags
 * (Linux 4.13 and newer).
 */
public final class IocbDescriptor {
    public static final int SIZE = 64;
    public static final long DATA_OFFSET = 0;
    public static final long KEY_OFFSET = 8;
    public static final long RW_FLAGS_OFFSET = 12;
    public static final long LIO_OPCODE_OFFSET = 16;
    public static final long REQPRIO_OFFSET = 18;
    public static final long FILDES_OFFSET = 20;
    public static final long BUF_OFFSET = 24;
    public static final long NBYTES_OFFSET = 32;
    public static final long OFFSET_OFFSET = 40;
    public static final long RESERVED2_OFFSET = 48;
    public static final long FLAGS_OFFSET = 56;
    public static final long RESFD_OFFSET = 60;

    /** enum { IOCB_CMD_PREAD = 0, ... } in aio_abi.h. */
    public static final short IOCB_CMD_PREAD = 0;
    public static final short IOCB_CMD_PWRITE = 1;
    /** FSYNC and FDSYNC: accepted since Linux 4.18; older kernels refuse them with EINVAL at io_submit. */
    public static final short IOCB_CMD_FSYNC = 2;
    public static final short IOCB_CMD_FDSYNC = 3;
    public static final short IOCB_CMD_PREADV = 7;
    public static final short IOCB_CMD_PWRITEV = 8;

    private IocbDescriptor() {
    }

    /**
     * Clears the iocb at {@code base} in {@code iocbs} and fills it (no slice, so no allocation).
     * aio_key must be 0 on submission; the kernel writes KIOCB_KEY there.
     */
    public static void prep(MemorySegment iocbs, long base, short opcode, int fd, long buf, long nbytes,
            long offset, int rwFlags, long data) {
        for (long i = 0; i < SIZE; i += 8) {
            iocbs.set(ValueLayout.JAVA_LONG, base + i, 0L);
        }
        iocbs.set(ValueLayout.JAVA_LONG, base + DATA_OFFSET, data);
        iocbs.set(ValueLayout.JAVA_INT, base + RW_FLAGS_OFFSET, rwFlags);
        iocbs.set(ValueLayout.JAVA_SHORT, base + LIO_OPCODE_OFFSET, opcode);
        iocbs.set(ValueLayout.JAVA_INT, base + FILDES_OFFSET, fd);
        iocbs.set(ValueLayout.JAVA_LONG, base + BUF_OFFSET, buf);
        iocbs.set(ValueLayout.JAVA_LONG, base + NBYTES_OFFSET, nbytes);
        iocbs.set(ValueLayout.JAVA_LONG, base + OFFSET_OFFSET, offset);
    }

    public static String opName(short opcode) {
        return switch (opcode) {
            case IOCB_CMD_PREAD -> "PREAD";
            case IOCB_CMD_PWRITE -> "PWRITE";
            case IOCB_CMD_FSYNC -> "FSYNC";
            case IOCB_CMD_FDSYNC -> "FDSYNC";
            case IOCB_CMD_PREADV -> "PREADV";
            case IOCB_CMD_PWRITEV -> "PWRITEV";
            default -> "IOCB_CMD_" + opcode;
        };
    }
}
