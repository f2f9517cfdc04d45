package io.rawio.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;

/**
 * NUMA as this machine describes it: the nodes sysfs lists (/sys/devices/system/node/nodeN, with
 * their CPUs and memory), the node a page of memory is on (get_mempolicy(2) with
 * {@code MPOL_F_NODE | MPOL_F_ADDR}) and the node a disk's controller is attached to.
 *
 * <p>A kernel built without CONFIG_NUMA has no /sys/devices/system/node: {@link #nodes()} is then
 * empty, which means "no NUMA information", one node implied.
 */
public final class Numa {
    /** Where the kernel lists the nodes (Documentation/ABI/stable/sysfs-devices-node). */
    public static final Path SYSFS_NODES = Path.of("/sys/devices/system/node");
    /** Where the kernel lists the block devices. */
    public static final Path SYSFS_BLOCK = Path.of("/sys/block");

    private Numa() {
    }

    /**
     * One node.
     *
     * @param id            N of nodeN
     * @param cpus          the CPUs of its cpulist, ascending; empty for a memory-only node
     * @param memTotalBytes MemTotal of its meminfo
     * @param memFreeBytes  MemFree of its meminfo
     */
    public record Node(int id, List<Integer> cpus, long memTotalBytes, long memFreeBytes) {
        public Node {
            cpus = List.copyOf(cpus);
        }

        /** The CPUs in the kernel's list format ("0-3,8-11"). */
        public String cpuList() {
            return formatCpuList(cpus);
        }
    }

    /** MemTotal and MemFree of a node's meminfo, in bytes. */
    public record NodeMemory(long totalBytes, long freeBytes) {
    }

    /** The nodes sysfs lists, by id; empty when /sys/devices/system/node is absent (no NUMA information). */
    public static List<Node> nodes() throws IOException {
        return nodes(SYSFS_NODES);
    }

    /** The nodes listed under {@code root}, a directory laid out as /sys/devices/system/node. */
    public static List<Node> nodes(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Node> nodes = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, "node[0-9]*")) {
            for (Path dir : dirs) {
                int id = Integer.parseInt(dir.getFileName().toString().substring(4));
                List<Integer> cpus = parseCpuList(Procfs.read(dir.resolve("cpulist")));
                NodeMemory mem = parseMeminfo(Procfs.read(dir.resolve("meminfo")));
                nodes.add(new Node(id, cpus, mem.totalBytes(), mem.freeBytes()));
            }
        }
        nodes.sort(Comparator.comparingInt(Node::id));
        return List.copyOf(nodes);
    }

    /**
     * The CPUs of a list in the kernel's format (lib/bitmap-str.c, bitmap_parselist): comma-separated
     * numbers and ranges, "0-3,8-11"; an empty list (a node with memory and no CPUs) is empty.
     *
     * @throws IllegalArgumentException when the text is not such a list
     */
    public static List<Integer> parseCpuList(String text) {
        String s = text.strip();
        List<Integer> cpus = new ArrayList<>();
        if (s.isEmpty()) {
            return cpus;
        }
        for (String part : s.split(",")) {
            int dash = part.indexOf('-');
            try {
                int first = Integer.parseInt(part.substring(0, dash < 0 ? part.length() : dash).strip());
                int last = dash < 0 ? first : Integer.parseInt(part.substring(dash + 1).strip());
                if (first < 0 || last < first) {
                    throw new IllegalArgumentException("bad cpu range: range=" + part + ", list=" + s);
                }
                for (int c = first; c <= last; c++) {
                    cpus.add(c);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad cpu list: part=" + part + ", list=" + s);
            }
        }
        return cpus;
    }

    /** CPUs (ascending) in the kernel's list format: runs of two or more as ranges, "0-3,8-11". */
    public static String formatCpuList(List<Integer> cpus) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < cpus.size()) {
            int j = i;
            while (j + 1 < cpus.size() && cpus.get(j + 1) == cpus.get(j) + 1) {
                j++;
            }
            if (!b.isEmpty()) {
                b.append(',');
            }
            b.append(cpus.get(i));
            if (j > i) {
                b.append('-').append(cpus.get(j));
            }
            i = j + 1;
        }
        return b.toString();
    }

    /**
     * MemTotal and MemFree of a node's meminfo (drivers/base/node.c: lines like
     * {@code "Node 0 MemTotal:        9397992 kB"}).
     *
     * @throws IllegalArgumentException when either line is missing
     */
    public static NodeMemory parseMeminfo(String text) {
        long total = -1;
        long free = -1;
        for (String line : text.split("\n")) {
            String[] f = line.strip().split("\\s+");
            // "Node", N, "Name:", value, "kB"
            if (f.length >= 4 && f[0].equals("Node")) {
                long bytes = Long.parseLong(f[3]) * (f.length > 4 && f[4].equals("kB") ? 1024 : 1);
                switch (f[2]) {
                    case "MemTotal:" -> total = bytes;
                    case "MemFree:" -> free = bytes;
                    default -> {
                    }
                }
            }
        }
        if (total < 0 || free < 0) {
            throw new IllegalArgumentException("node meminfo without MemTotal and MemFree: memTotal=" + total
                    + ", memFree=" + free);
        }
        return new NodeMemory(total, free);
    }

    /**
     * The node of the page that holds {@code segment}'s first byte, or -errno.
     *
     * <p>The byte is read and written back first, so the page is faulted in for writing: an anonymous
     * page never written is the shared zero page (or not there at all), and its node says nothing about
     * where the buffer's data will live. The rewrite is not atomic; do not call this on memory another
     * thread is writing. Under the default policy the page lands on the node of the CPU that first
     * touched it.
     *
     * <p>ENOSYS means a kernel without CONFIG_NUMA or a seccomp filter that answers ENOSYS; EPERM a
     * seccomp filter (container runtimes refuse the NUMA calls by default); see {@link #whyUnknown}.
     */
    public static int nodeOf(MemorySegment segment) {
        if (!ArchConstants.supported()) {
            return -Errno.ENOSYS;
        }
        segment.set(JAVA_BYTE, 0, segment.get(JAVA_BYTE, 0));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment node = arena.allocate(JAVA_INT);
            // get_mempolicy(int *mode, unsigned long *nodemask, unsigned long maxnode, void *addr,
            // unsigned long flags): with MPOL_F_NODE | MPOL_F_ADDR, *mode receives the node of addr's page.
            long r = Libc.syscall(ArchConstants.current().sysGetMempolicy(), node.address(), 0, 0,
                    segment.address(), LinuxConstants.MPOL_F_NODE | LinuxConstants.MPOL_F_ADDR, 0);
            return r < 0 ? (int) r : node.get(JAVA_INT, 0);
        }
    }

    /** Why {@link #nodeOf} could not tell, for its negative result: the errno and what it usually means. */
    public static String whyUnknown(int negErrno) {
        int e = -negErrno;
        String meaning = switch (e) {
            case Errno.ENOSYS -> ArchConstants.supported()
                    ? "kernel without CONFIG_NUMA, or a seccomp filter refusing the call"
                    : ArchConstants.unsupportedReason();
            case Errno.EPERM -> "refused, typically by a container's seccomp profile";
            case Errno.EFAULT -> "the address is not mapped";
            default -> Errno.describe(e);
        };
        return "get_mempolicy: " + Errno.name(e) + ", " + meaning;
    }

    /**
     * The node a disk's controller is attached to: numa_node of the first device on the way up from
     * /sys/block/DISK/device that has one (virtio-blk and NVMe namespaces have none of their own; their
     * PCI function does). -1 means the platform ties it to no node; empty means sysfs says nothing
     * (a loop or zram device, or no sysfs).
     */
    public static OptionalInt nodeOfDisk(String disk) {
        return nodeOfDisk(SYSFS_BLOCK, disk);
    }

    /** {@link #nodeOfDisk(String)} under {@code sysBlock}, a directory laid out as /sys/block. */
    public static OptionalInt nodeOfDisk(Path sysBlock, String disk) {
        try {
            Path device = sysBlock.resolve(disk).resolve("device");
            if (!Files.exists(device)) {
                return OptionalInt.empty();
            }
            Path devices = sysBlock.toRealPath().resolveSibling("devices");
            for (Path p = device.toRealPath(); p != null && p.startsWith(devices) && !p.equals(devices);
                    p = p.getParent()) {
                Path f = p.resolve("numa_node");
                if (Files.isRegularFile(f)) {
                    return OptionalInt.of(Integer.parseInt(Procfs.read(f)));
                }
            }
            return OptionalInt.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
