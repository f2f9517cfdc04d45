package io.rawio.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rawio.engine.IoEngines;
import io.rawio.memory.AlignedMemory;
import io.rawio.nativeio.ArchConstants;
import io.rawio.nativeio.BlockDevices;
import io.rawio.nativeio.NativeFile;
import io.rawio.nativeio.Numa;
import io.rawio.nativeio.OpenFlag;
import io.rawio.nativeio.Statx;
import io.rawio.nativeio.Uname;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rawio info}: what this machine supports, each missing item with its reason. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show what this machine supports: kernel, io_uring, O_DIRECT alignment, huge pages, NUMA nodes"
                + " (and the node the store's buffers land on), engines"
                + " (each available or why not), native AIO limits (fs.aio-nr, fs.aio-max-nr).")
public final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".",
            description = "Directory whose filesystem to probe for O_DIRECT (default: the current directory)")
    Path dir;

    @Option(names = "--output-format", paramLabel = "FMT", defaultValue = "text", description = "text or json")
    String outputFormat;

    /** One line of the report: a name, a value, and whether the feature is available. */
    public record Item(String section, String name, String value, boolean available) {
    }

    @Override
    public Integer call() throws IOException {
        if (!outputFormat.equals("text") && !outputFormat.equals("json")) {
            spec.commandLine().getErr().println("rawio info: unknown --output-format: " + outputFormat + " (text, json)");
            return 2;
        }
        if (!Files.isDirectory(dir)) {
            spec.commandLine().getErr().println("rawio info: not a directory: " + dir);
            return 2;
        }
        List<Item> items = collect();
        PrintWriter out = spec.commandLine().getOut();
        if (outputFormat.equals("json")) {
            ObjectMapper m = new ObjectMapper();
            ObjectNode root = m.createObjectNode();
            Map<String, ObjectNode> sections = new LinkedHashMap<>();
            for (Item i : items) {
                ObjectNode s = sections.computeIfAbsent(i.section(), k -> root.putObject(k));
                ObjectNode o = s.putObject(i.name());
                o.put("value", i.value());
                o.put("available", i.available());
            }
            out.println(root.toPrettyString());
        } else {
            String section = null;
            for (Item i : items) {
                if (!i.section().equals(section)) {
                    section = i.section();
                    out.println(section);
                }
                out.printf(Locale.ROOT, "  %-22s %s%s%n", i.name(), i.available() ? "" : "unavailable: ", i.value());
            }
        }
        return 0;
    }

    List<Item> collect() {
        List<Item> items = new ArrayList<>();
        Uname u = Uname.get();
        items.add(new Item("system", "kernel", u.sysname() + " " + u.release(), true));
        items.add(new Item("system", "architecture", u.machine() + (ArchConstants.supported()
                ? " (constant table " + ArchConstants.current().arch() + ")" : ""), ArchConstants.supported()));
        items.add(new Item("system", "java", Runtime.version().toString(), true));
        boolean root = isRoot();
        items.add(new Item("system", "root", root ? "yes (loop devices and block tracepoints usable)"
                : "no (tests needing loop devices or tracepoints skip)", true));
        items.add(new Item("system", "cpus", String.valueOf(Runtime.getRuntime().availableProcessors()), true));
        items.add(new Item("system", "memlock limit", memlock(), true));
        String uringDisabled = ioUringDisabled();
        items.add(new Item("system", "io_uring_disabled", uringDisabled, !uringDisabled.startsWith("1")
                && !uringDisabled.startsWith("2")));
        items.addAll(directIo());
        String thp = AlignedMemory.hugePagesStatus();
        items.add(new Item("memory", "transparent huge pages", thp.replaceFirst("^(un)?available: ", ""),
                thp.startsWith("available")));
        items.addAll(numa());
        for (String e : IoEngines.names()) {
            var reason = IoEngines.unavailableReason(e);
            items.add(new Item("engines", e, reason.orElseGet(() -> "available: "
                    + IoEngines.kind(e).orElseThrow().description()), reason.isEmpty()));
        }
        items.addAll(nvme());
        items.addAll(nativeAio());
        items.addAll(ioUring());
        return items;
    }

    /** Each NVMe generic device, and whether uring-cmd passthrough works on it (opened read-only). */
    private static List<Item> nvme() {
        List<Item> items = new ArrayList<>();
        List<java.nio.file.Path> devices = io.rawio.nvme.NvmeDevices.list();
        if (devices.isEmpty()) {
            items.add(new Item("nvme", "generic devices", "none (/dev/ngXnY: an NVMe namespace on Linux 5.13+)", false));
            return items;
        }
        var unavailable = io.rawio.engine.UringCmdEngine.unavailableReason();
        for (java.nio.file.Path d : devices) {
            if (unavailable.isPresent()) {
                items.add(new Item("nvme", d.toString(), "passthrough unavailable: " + unavailable.get(), false));
                continue;
            }
            try (var engine = new io.rawio.engine.UringCmdEngine(io.rawio.engine.EngineConfig.DEFAULT);
                    var f = (io.rawio.engine.NvmeFile) engine.open(d, io.rawio.engine.OpenOptions.readOnly())) {
                items.add(new Item("nvme", d.toString(), "passthrough works: nsid=" + f.nsid() + ", " + f.lbaSize()
                        + "-byte blocks, " + f.size() + " bytes, commands up to " + f.transferLimit().bytes()
                        + " bytes (" + f.transferLimit().source() + ")", true));
            } catch (java.io.IOException | RuntimeException e) {
                items.add(new Item("nvme", d.toString(), "passthrough fails: " + e.getMessage(), false));
            }
        }
        return items;
    }

    private List<Item> directIo() {
        List<Item> items = new ArrayList<>();
        Path abs = dir.toAbsolutePath().normalize();
        items.add(new Item("direct I/O", "directory", abs.toString(), true));
        var disk = BlockDevices.diskOf(abs);
        items.add(new Item("direct I/O", "disk", disk.map(d -> d + " (/sys/block/" + d + "/stat)")
                .orElse("none found (tmpfs, overlay or no sysfs): device counters unavailable"), disk.isPresent()));
        Path probe = null;
        try {
            probe = Files.createTempFile(abs, ".rawio-probe", ".tmp");
        } catch (IOException e) {
            items.add(new Item("direct I/O", "O_DIRECT alignment", "cannot create a probe file in " + abs
                    + " (" + e.getClass().getSimpleName() + ")", false));
            return items;
        }
        try {
            Statx st = Statx.of(probe);
            try (NativeFile f = NativeFile.open(probe, OpenFlag.RDWR, OpenFlag.DIRECT)) {
                var a = f.alignment();
                items.add(new Item("direct I/O", "O_DIRECT alignment", "memory " + a.memory() + " B, offset/length "
                        + a.offset() + " B (from " + a.source() + ")", true));
            } catch (IOException e) {
                items.add(new Item("direct I/O", "O_DIRECT alignment", e.getMessage(), false));
            }
            items.add(new Item("direct I/O", "filesystem block", st.blockSize() + " B", true));
        } catch (IOException e) {
            items.add(new Item("direct I/O", "O_DIRECT alignment", e.getMessage(), false));
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // a leftover probe file is harmless
            }
        }
        return items;
    }

    /**
     * NUMA: the nodes sysfs lists, the node the store's buffers land on (allocated as the store allocates
     * them, touched here), the node of the disk under --dir where sysfs has one, and, with one node,
     * that binding cannot be measured.
     */
    private List<Item> numa() {
        List<Item> items = new ArrayList<>();
        List<Numa.Node> nodes;
        try {
            nodes = Numa.nodes();
        } catch (IOException | RuntimeException e) {
            items.add(new Item("NUMA", "nodes", "cannot read " + Numa.SYSFS_NODES + " (" + e.getMessage() + ")",
                    false));
            return items;
        }
        if (nodes.isEmpty()) {
            items.add(new Item("NUMA", "nodes", "no NUMA information (" + Numa.SYSFS_NODES
                    + " absent: kernel without CONFIG_NUMA or no sysfs), one node implied", false));
        } else {
            items.add(new Item("NUMA", "nodes", nodes.size() + " (" + Numa.SYSFS_NODES + ")", true));
            for (Numa.Node n : nodes) {
                items.add(new Item("NUMA", "node " + n.id(), (n.cpus().isEmpty() ? "no CPUs" : "CPUs " + n.cpuList())
                        + ", memory " + (n.memTotalBytes() >> 20) + " MiB (" + (n.memFreeBytes() >> 20) + " MiB free)",
                        true));
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            // As ScratchBuffers maps a region (2 MiB-aligned, MADV_HUGEPAGE) and LeaseBuffers its slab
            // (a mapping past AlignedMemory.MMAP_THRESHOLD): anonymous pages placed at first touch, by
            // the default policy on the node of the CPU that touches them.
            items.add(bufferNode("store scratch buffers", AlignedMemory.mapAnonymous(arena,
                    AlignedMemory.HUGE_PAGE_SIZE, true), "a 2 MiB MADV_HUGEPAGE mapping, as the store's read and"
                    + " write regions"));
            items.add(bufferNode("store lease slab", AlignedMemory.allocate(arena, 32L << 20, 4096),
                    "a 32 MiB mapping, as the store's zero-copy read slab"));
        }
        var disk = BlockDevices.diskOf(dir.toAbsolutePath().normalize());
        if (disk.isPresent()) {
            var node = Numa.nodeOfDisk(disk.get());
            if (node.isPresent()) {
                items.add(new Item("NUMA", "disk node", disk.get() + ": " + (node.getAsInt() < 0
                        ? "none (numa_node -1: the platform ties the device to no node)"
                        : "node " + node.getAsInt()), true));
            }
        }
        if (nodes.size() <= 1) {
            items.add(new Item("NUMA", "binding", "there is only one node, so binding buffers and threads to the"
                    + " device's node (numactl --membind/--cpunodebind, mbind) cannot be measured here", false));
        }
        return items;
    }

    private static Item bufferNode(String name, MemorySegment buffer, String how) {
        int node = Numa.nodeOf(buffer);
        return node >= 0
                ? new Item("NUMA", name, "node " + node + " (" + how + ", first touched by this thread)", true)
                : new Item("NUMA", name, "unknown (" + Numa.whyUnknown(node) + ")", false);
    }

    /**
     * Native AIO (the libaio engine): whether io_setup was accepted at start-up, and the system-wide
     * request counters io_setup(2) checks against (EAGAIN once fs.aio-nr would pass fs.aio-max-nr).
     */
    private static List<Item> nativeAio() {
        List<Item> items = new ArrayList<>();
        var reason = io.rawio.libaio.AioContext.unavailableReason();
        items.add(new Item("native AIO", "io_setup", reason.orElse("available"), reason.isEmpty()));
        for (String name : new String[] {"aio-nr", "aio-max-nr"}) {
            try {
                String v = io.rawio.nativeio.Procfs.read(Path.of("/proc/sys/fs", name));
                items.add(new Item("native AIO", "fs." + name, v + (name.equals("aio-nr")
                        ? " (requests reserved by io_setup, system-wide)" : " (io_setup refuses beyond it: EAGAIN)"),
                        true));
            } catch (IOException e) {
                // absent without CONFIG_AIO or without /proc: io_setup's line above says which
            }
        }
        return items;
    }

    private static List<Item> ioUring() {
        List<Item> items = new ArrayList<>();
        var reason = io.rawio.uring.IoUring.unavailableReason();
        items.add(new Item("io_uring", "status", reason.orElse("available"), reason.isEmpty()));
        if (reason.isPresent()) {
            return items;
        }
        try (var ring = io.rawio.uring.IoUring.create(io.rawio.uring.IoUring.Setup.of(32))) {
            List<String> flags = new ArrayList<>();
            for (int f : new int[] {io.rawio.uring.IoUringConstants.IORING_SETUP_DEFER_TASKRUN,
                io.rawio.uring.IoUringConstants.IORING_SETUP_SINGLE_ISSUER,
                io.rawio.uring.IoUringConstants.IORING_SETUP_COOP_TASKRUN,
                io.rawio.uring.IoUringConstants.IORING_SETUP_SUBMIT_ALL,
                io.rawio.uring.IoUringConstants.IORING_SETUP_CLAMP,
                io.rawio.uring.IoUringConstants.IORING_SETUP_CQSIZE}) {
                if ((ring.flags() & f) != 0) {
                    flags.add(setupFlagName(f));
                }
            }
            items.add(new Item("io_uring", "ring setup flags", String.join(" ", flags), true));
            for (String fb : ring.fallbacks()) {
                items.add(new Item("io_uring", "setup fallback", fb, false));
            }
        } catch (IOException e) {
            items.add(new Item("io_uring", "ring", e.getMessage(), false));
        }
        List<String> ops = new ArrayList<>();
        for (int op : io.rawio.uring.IoUring.supportedOpcodes()) {
            ops.add(io.rawio.uring.IoUringConstants.opName(op));
        }
        items.add(new Item("io_uring", "opcodes (" + ops.size() + ")", String.join(" ", ops), !ops.isEmpty()));
        // What serve's io_uring loop would use here (each turned off by its -Drawio.uring.* property).
        items.add(new Item("io_uring", "serve loop", io.rawio.server.UringFeatures.probe().describe(), true));
        return items;
    }

    private static String setupFlagName(int f) {
        return switch (f) {
            case io.rawio.uring.IoUringConstants.IORING_SETUP_DEFER_TASKRUN -> "DEFER_TASKRUN";
            case io.rawio.uring.IoUringConstants.IORING_SETUP_SINGLE_ISSUER -> "SINGLE_ISSUER";
            case io.rawio.uring.IoUringConstants.IORING_SETUP_COOP_TASKRUN -> "COOP_TASKRUN";
            case io.rawio.uring.IoUringConstants.IORING_SETUP_SUBMIT_ALL -> "SUBMIT_ALL";
            case io.rawio.uring.IoUringConstants.IORING_SETUP_CLAMP -> "CLAMP";
            default -> "CQSIZE";
        };
    }

    static boolean isRoot() {
        return io.rawio.nativeio.Privileges.isRoot();
    }

    private static String memlock() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max locked memory")) {
                    String[] f = line.substring(26).trim().split("\\s+");
                    return f[0].equals("unlimited") ? "unlimited" : (Long.parseLong(f[0]) >> 10) + " KiB";
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
        return "unknown";
    }

    private static String ioUringDisabled() {
        try {
            String v = io.rawio.nativeio.Procfs.read(Path.of("/proc/sys/kernel/io_uring_disabled"));
            return switch (v) {
                case "0" -> "0 (io_uring allowed)";
                case "1" -> "1 (io_uring only for the io_uring_group and root)";
                case "2" -> "2 (io_uring disabled for everyone)";
                default -> v;
            };
        } catch (IOException e) {
            return "sysctl absent (kernel before 6.6: io_uring allowed)";
        }
    }
}
