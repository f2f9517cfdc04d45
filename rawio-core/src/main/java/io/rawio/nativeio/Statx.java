package io.rawio.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * What statx(2) says of a file, including {@code STATX_DIOALIGN}: the memory and file-offset
 * alignment that O_DIRECT needs for this file (0 when the file does not support direct I/O, or the
 * kernel is older than 6.1 and did not fill the field).
 *
 * <p>Offsets follow struct statx in include/uapi/linux/stat.h:
 * <pre>
 *   0 stx_mask u32 | 4 stx_blksize u32 | 8 stx_attributes u64 | 16 stx_nlink u32 | 20 stx_uid u32
 *  24 stx_gid u32  | 28 stx_mode u16   | 32 stx_ino u64       | 40 stx_size u64  | 48 stx_blocks u64
 *  56 stx_attributes_mask u64 | 64..127 four struct statx_timestamp (atime, btime, ctime, mtime)
 * 128 stx_rdev_major u32 | 132 stx_rdev_minor u32 | 136 stx_dev_major u32 | 140 stx_dev_minor u32
 * 144 stx_mnt_id u64 | 152 stx_dio_mem_align u32 | 156 stx_dio_offset_align u32 | ... 256 bytes
 * </pre>
 */
public record Statx(
        int mask,
        int blockSize,
        int mode,
        long inode,
        long size,
        long blocks,
        int rdevMajor,
        int rdevMinor,
        int devMajor,
        int devMinor,
        int dioMemAlign,
        int dioOffsetAlign) {

    public static final long SIZE = 256;
    static final long MASK_OFFSET = 0;
    static final long BLKSIZE_OFFSET = 4;
    static final long MODE_OFFSET = 28;
    static final long INO_OFFSET = 32;
    static final long SIZE_OFFSET = 40;
    static final long BLOCKS_OFFSET = 48;
    static final long RDEV_MAJOR_OFFSET = 128;
    static final long RDEV_MINOR_OFFSET = 132;
    static final long DEV_MAJOR_OFFSET = 136;
    static final long DEV_MINOR_OFFSET = 140;
    static final long DIO_MEM_ALIGN_OFFSET = 152;
    static final long DIO_OFFSET_ALIGN_OFFSET = 156;

    static final int WANTED = LinuxConstants.STATX_BASIC_STATS | LinuxConstants.STATX_DIOALIGN;

    /** statx of a path (following symlinks). */
    public static Statx of(Path path) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(SIZE, 8);
            int r = Libc.statx(Libc.AT_FDCWD, arena.allocateFrom(path.toString()), 0, WANTED, buf);
            if (r < 0) {
                throw new NativeIoException("statx", -r, path.toString());
            }
            return decode(buf);
        }
    }

    /** statx of an open file descriptor (AT_EMPTY_PATH). */
    public static Statx of(int fd, String pathForErrors) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(SIZE, 8);
            int r = Libc.statx(fd, arena.allocateFrom(""), LinuxConstants.AT_EMPTY_PATH, WANTED, buf);
            if (r < 0) {
                throw new NativeIoException("statx", -r, pathForErrors, fd, NativeIoException.UNKNOWN,
                        NativeIoException.UNKNOWN, null);
            }
            return decode(buf);
        }
    }

    static Statx decode(MemorySegment b) {
        int mask = b.get(JAVA_INT, MASK_OFFSET);
        boolean dio = (mask & LinuxConstants.STATX_DIOALIGN) != 0;
        return new Statx(
                mask,
                b.get(JAVA_INT, BLKSIZE_OFFSET),
                Short.toUnsignedInt(b.get(JAVA_SHORT, MODE_OFFSET)),
                b.get(JAVA_LONG, INO_OFFSET),
                b.get(JAVA_LONG, SIZE_OFFSET),
                b.get(JAVA_LONG, BLOCKS_OFFSET),
                b.get(JAVA_INT, RDEV_MAJOR_OFFSET),
                b.get(JAVA_INT, RDEV_MINOR_OFFSET),
                b.get(JAVA_INT, DEV_MAJOR_OFFSET),
                b.get(JAVA_INT, DEV_MINOR_OFFSET),
                dio ? b.get(JAVA_INT, DIO_MEM_ALIGN_OFFSET) : 0,
                dio ? b.get(JAVA_INT, DIO_OFFSET_ALIGN_OFFSET) : 0);
    }

    public boolean isRegularFile() {
        return (mode & LinuxConstants.S_IFMT) == LinuxConstants.S_IFREG;
    }

    public boolean isBlockDevice() {
        return (mode & LinuxConstants.S_IFMT) == LinuxConstants.S_IFBLK;
    }

    public boolean isCharacterDevice() {
        return (mode & LinuxConstants.S_IFMT) == LinuxConstants.S_IFCHR;
    }

    /**
     * A device written in place, never created, deleted or grown: a block device, or a character
     * device (an NVMe generic device /dev/ngXnY, which the uring-cmd engine drives).
     */
    public boolean isDevice() {
        return isBlockDevice() || isCharacterDevice();
    }

    public boolean isDirectory() {
        return (mode & LinuxConstants.S_IFMT) == LinuxConstants.S_IFDIR;
    }

    /** Whether the kernel reported direct-I/O alignment for this file. */
    public boolean hasDioAlign() {
        return (mask & LinuxConstants.STATX_DIOALIGN) != 0;
    }
}
