package io.rawio.nvme;

import io.rawio.nativeio.NativeIoException;
import io.rawio.nativeio.Statx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * NVMe generic character devices ({@code /dev/ngXnY}, Linux 5.13): one per namespace, next to its
 * block device {@code /dev/nvmeXnY}, and the only files NVMe passthrough with io_uring accepts I/O
 * commands on without the block layer's limits.
 */
public final class NvmeDevices {
    private static final Pattern GENERIC = Pattern.compile("ng(\\d+)n(\\d+)");
    private static final Pattern BLOCK = Pattern.compile("nvme(\\d+)(?:c\\d+)?n(\\d+)(p\\d+)?");
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;

    private NvmeDevices() {
    }

    /** The block device of a generic device's namespace ({@code ng0n1} to {@code nvme0n1}), or empty. */
    public static Optional<String> blockNameOf(String genericName) {
        Matcher m = GENERIC.matcher(genericName);
        return m.matches() ? Optional.of("nvme" + m.group(1) + "n" + m.group(2)) : Optional.empty();
    }

    /** The generic device of a block device's namespace ({@code nvme0n1}, {@code nvme0n1p2} to {@code ng0n1}). */
    public static Optional<String> genericNameOf(String blockName) {
        Matcher m = BLOCK.matcher(blockName);
        return m.matches() ? Optional.of("ng" + m.group(1) + "n" + m.group(2)) : Optional.empty();
    }

    /** Whether a device's sysfs {@code subsystem} link points at the nvme-generic class. */
    static boolean isGenericClassPath(String subsystemTarget) {
        return subsystemTarget.endsWith("/class/nvme-generic");
    }

    /**
     * Why {@code path} is not an NVMe generic character device, or empty when it is. The reason says
     * what the path is and, for an NVMe block device, which generic device to use instead.
     */
    public static Optional<String> whyNotGeneric(Path path) {
        Statx st;
        try {
            st = Statx.of(path);
        } catch (NativeIoException e) {
            return Optional.of(e.getMessage());
        }
        String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        if (st.isBlockDevice()) {
            Optional<String> ng = genericNameOf(name);
            return Optional.of(path + " is a block device: NVMe passthrough needs the namespace's generic"
                    + " character device" + ng.map(n -> " (/dev/" + n + ")").orElse(" (/dev/ngXnY)"));
        }
        if ((st.mode() & S_IFMT) != S_IFCHR) {
            return Optional.of(path + " is not a character device: NVMe passthrough needs an NVMe generic"
                    + " character device (/dev/ngXnY)");
        }
        Path link = Path.of("/sys/dev/char/" + st.rdevMajor() + ":" + st.rdevMinor(), "subsystem");
        try {
            String target = link.toRealPath().toString();
            if (!isGenericClassPath(target)) {
                return Optional.of(path + " is character device " + st.rdevMajor() + ":" + st.rdevMinor()
                        + " (class " + Path.of(target).getFileName() + "), not an NVMe generic character device"
                        + " (/dev/ngXnY)");
            }
        } catch (IOException e) {
            return Optional.of(path + ": cannot tell whether it is an NVMe generic device (" + link
                    + " unreadable: " + e.getMessage() + ")");
        }
        return Optional.empty();
    }

    /** The block queue directory whose limits a generic device's commands obey, when sysfs has it. */
    public static Optional<Path> queueDirOf(Path genericDevice) {
        String name = genericDevice.getFileName() == null ? "" : genericDevice.getFileName().toString();
        return blockNameOf(name).map(b -> Path.of("/sys/block", b, "queue")).filter(Files::isDirectory);
    }

    /** The generic devices under /dev, sorted by name. */
    public static List<Path> list() {
        return list(Path.of("/dev"));
    }

    static List<Path> list(Path dev) {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dev)) {
            s.filter(p -> GENERIC.matcher(p.getFileName().toString()).matches()).sorted().forEach(out::add);
        } catch (IOException e) {
            // no /dev listing: none found
        }
        return out;
    }
}
