package io.rawio.nativeio;

/**
 * Linux constants that are the same on every architecture rawio supports (asm-generic values, also
 * used by x86-64). Architecture-dependent ones are in {@link ArchConstants}.
 */
public final class LinuxConstants {
    // include/uapi/asm-generic/fcntl.h
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0x40;
    public static final int O_EXCL = 0x80;
    public static final int O_TRUNC = 0x200;
    public static final int O_APPEND = 0x400;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_DSYNC = 0x1000;
    /** O_SYNC is __O_SYNC | O_DSYNC. */
    public static final int O_SYNC = 0x101000;
    public static final int O_NOATIME = 0x40000;
    public static final int O_CLOEXEC = 0x80000;

    // include/uapi/linux/fcntl.h
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int F_SETLK = 6;
    public static final int F_SETLKW = 7;
    public static final int F_OFD_SETLK = 37;
    public static final int F_OFD_SETLKW = 38;
    /** fcntl: duplicate onto the lowest free descriptor >= the argument, close-on-exec set. */
    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final short F_RDLCK = 0;
    public static final short F_WRLCK = 1;
    public static final short F_UNLCK = 2;

    // include/uapi/linux/stat.h
    public static final int STATX_TYPE = 0x1;
    public static final int STATX_MODE = 0x2;
    public static final int STATX_SIZE = 0x200;
    public static final int STATX_BLOCKS = 0x400;
    public static final int STATX_BASIC_STATS = 0x7ff;
    public static final int STATX_DIOALIGN = 0x2000;
    public static final int S_IFMT = 0xf000;
    public static final int S_IFREG = 0x8000;
    public static final int S_IFBLK = 0x6000;
    public static final int S_IFCHR = 0x2000;
    public static final int S_IFDIR = 0x4000;

    // include/uapi/linux/fs.h: RWF_* flags of preadv2/pwritev2 and io_uring rw_flags
    public static final int RWF_HIPRI = 0x1;
    public static final int RWF_DSYNC = 0x2;
    public static final int RWF_SYNC = 0x4;
    public static final int RWF_NOWAIT = 0x8;
    public static final int RWF_APPEND = 0x10;

    // include/uapi/linux/falloc.h
    public static final int FALLOC_FL_KEEP_SIZE = 0x1;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x2;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    // include/uapi/linux/fs.h
    public static final int SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    public static final int SYNC_FILE_RANGE_WRITE = 2;
    public static final int SYNC_FILE_RANGE_WAIT_AFTER = 4;

    // include/uapi/linux/fadvise.h (x86-64 and arm64; s390x differs and is not supported)
    public static final int POSIX_FADV_NORMAL = 0;
    public static final int POSIX_FADV_RANDOM = 1;
    public static final int POSIX_FADV_SEQUENTIAL = 2;
    public static final int POSIX_FADV_WILLNEED = 3;
    public static final int POSIX_FADV_DONTNEED = 4;
    public static final int POSIX_FADV_NOREUSE = 5;

    // include/uapi/asm-generic/mman-common.h
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_HUGETLB = 0x40000;
    public static final int MADV_NORMAL = 0;
    public static final int MADV_RANDOM = 1;
    public static final int MADV_SEQUENTIAL = 2;
    public static final int MADV_WILLNEED = 3;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_FREE = 8;
    public static final int MADV_HUGEPAGE = 14;
    public static final int MADV_NOHUGEPAGE = 15;
    public static final int MADV_POPULATE_READ = 22;
    public static final int MADV_POPULATE_WRITE = 23;
    public static final int MS_ASYNC = 1;
    public static final int MS_INVALIDATE = 2;
    public static final int MS_SYNC = 4;

    // include/uapi/asm-generic/fcntl.h (flock)
    public static final int LOCK_SH = 1;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    // include/uapi/linux/splice.h
    public static final int SPLICE_F_MOVE = 1;
    public static final int SPLICE_F_NONBLOCK = 2;
    public static final int SPLICE_F_MORE = 4;

    // include/uapi/linux/resource.h
    public static final int RUSAGE_SELF = 0;
    public static final int RUSAGE_THREAD = 1;
    /** include/uapi/asm-generic/resource.h (x86-64 and aarch64 alike): descriptors a process may have open. */
    public static final int RLIMIT_NOFILE = 7;

    // include/uapi/linux/mempolicy.h: get_mempolicy flags
    /** Return a node id instead of the policy mode. */
    public static final int MPOL_F_NODE = 1;
    /** Look up the policy (with MPOL_F_NODE: the node) of the page at the given address. */
    public static final int MPOL_F_ADDR = 2;

    /** The page size rawio assumes for alignment when nothing better is known. */
    public static final int DEFAULT_ALIGNMENT = 4096;

    private LinuxConstants() {
    }
}
