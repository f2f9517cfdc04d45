package io.rawio.engine;

/** The operations a batch can carry. */
public enum IoOp {
    /** Read one buffer at an offset. Result: bytes read, less than asked only at end of file. */
    READ,
    /** Write one buffer at an offset. Result: the buffer's length, or -errno. */
    WRITE,
    /** Read into several buffers from consecutive file positions (preadv shape). */
    READV,
    /** Write several buffers to consecutive file positions (pwritev shape). */
    WRITEV,
    /** fsync(2) of the file, after every earlier operation of the batch has completed. */
    FSYNC,
    /** fdatasync(2) of the file, after every earlier operation of the batch has completed. */
    FDATASYNC;

    public boolean isRead() {
        return this == READ || this == READV;
    }

    public boolean isWrite() {
        return this == WRITE || this == WRITEV;
    }

    public boolean isSync() {
        return this == FSYNC || this == FDATASYNC;
    }

    public boolean isVectored() {
        return this == READV || this == WRITEV;
    }

    /** The system call name this operation corresponds to, for error messages. */
    public String syscallName() {
        return switch (this) {
            case READ -> "pread";
            case WRITE -> "pwrite";
            case READV -> "preadv";
            case WRITEV -> "pwritev";
            case FSYNC -> "fsync";
            case FDATASYNC -> "fdatasync";
        };
    }
}
