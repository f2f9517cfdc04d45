package io.rawio.libaio;

/**
 * struct io_event (include/uapi/linux/aio_abi.h), 32 bytes: one completion io_getevents returns.
 *
 * <pre>
 *   0                 8                 16                24                32
 *   +-----------------+-----------------+-----------------+-----------------+
 *   |  data (u64)     |  obj (u64)      |  res (s64)      |  res2 (s64)     |
 *   +-----------------+-----------------+-----------------+-----------------+
 * </pre>
 * data is the iocb's aio_data, obj the iocb's address, res bytes or -errno.
 */
public final class IoEventDescriptor {
    public static final int SIZE = 32;
    public static final long DATA_OFFSET = 0;
    public static final long OBJ_OFFSET = 8;
    public static final long RES_OFFSET = 16;
    public static final long RES2_OFFSET = 24;

    private IoEventDescriptor() {
    }
}
