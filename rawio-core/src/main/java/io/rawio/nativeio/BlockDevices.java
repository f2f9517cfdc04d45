package io.rawio.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Block-device ioctls (include/uapi/linux/fs.h) and the sysfs name of the device under a file. */
public final class BlockDevices {
    private BlockDevices() {
    }

    /** BLKGETSIZE64: the device's capacity in bytes. */
    public static long sizeBytes(NativeFile device) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            ioctl(device, ArchConstants.current().blkGetSize64(), "BLKGETSIZE64", out);
            return out.get(JAVA_LONG, 0);
        }
    }

    /** BLKSSZGET: the logical block size, the smallest unit O_DIRECT may address. */
    public static int logicalBlockSize(NativeFile device) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            ioctl(device, ArchConstants.current().blkSszGet(), "BLKSSZGET", out);
            return out.get(JAVA_INT, 0);
        }
    }

    /** BLKPBSZGET: the physical block size, the unit the device writes atomically. */
    public static int physicalBlockSize(NativeFile device) throws NativeIoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            ioctl(device, ArchConstants.current().blkPbszGet(), "BLKPBSZGET", out);
            return out.get(JAVA_INT, 0);
        }
    }

    private static void ioctl(NativeFile device, long request, String name, MemorySegment out)
            throws NativeIoException {
        int r = Libc.ioctl(device.fd(), request, out);
        if (r < 0) {
            String hint = -r == Errno.ENOTTY ? "not a block device" : null;
            throw new NativeIoException("ioctl " + name, -r, device.path().toString(), device.fd(),
                    NativeIoException.UNKNOWN, NativeIoException.UNKNOWN, hint);
        }
    }

    /**
     * The /sys/block name of the whole disk that holds a file (for a partition, its parent disk), found
     * from statx's st_dev through /sys/dev/block/MAJOR:MINOR. Empty when the file lives on no block
     * device (tmpfs, overlay) or sysfs is not mounted.
     */
    public static Optional<String> diskOf(Path path) {
        try {
            Statx st = Statx.of(path);
            int major = st.isBlockDevice() ? st.rdevMajor() : st.devMajor();
            int minor = st.isBlockDevice() ? st.rdevMinor() : st.devMinor();
            Path link = Path.of("/sys/dev/block/" + major + ":" + minor);
            if (!Files.exists(link)) {
                return Optional.empty();
            }
            Path real = link.toRealPath();
            // A partition's directory holds a "partition" file and sits inside its disk's directory.
            if (Files.exists(real.resolve("partition"))) {
                real = real.getParent();
            }
            return Optional.of(real.getFileName().toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
