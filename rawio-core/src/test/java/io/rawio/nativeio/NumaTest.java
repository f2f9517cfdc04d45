package io.rawio.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rawio.memory.AlignedMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NumaTest {
    /** A node's meminfo as drivers/base/node.c prints it (shortened). */
    private static final String MEMINFO = """
            Node 1 MemTotal:       65842148 kB
            Node 1 MemFree:        61234560 kB
            Node 1 MemUsed:         4607588 kB
            Node 1 SwapCached:            0 kB
            Node 1 Active:          1203344 kB
            Node 1 HugePages_Total:     0
            Node 1 HugePages_Free:      0
            """;

    @TempDir
    Path dir;

    @Test
    void cpuListsParseAsTheKernelWritesThem() {
        assertEquals(List.of(0, 1, 2, 3, 8, 9, 10, 11), Numa.parseCpuList("0-3,8-11\n"));
        assertEquals(List.of(0), Numa.parseCpuList("0"));
        assertEquals(List.of(0, 2, 4, 5), Numa.parseCpuList("0,2,4-5"));
        assertEquals(List.of(), Numa.parseCpuList(""), "a memory-only node has no CPUs");
        assertEquals("0-3,8-11", Numa.formatCpuList(Numa.parseCpuList("0-3,8-11")));
        assertEquals("0,2,4-5", Numa.formatCpuList(List.of(0, 2, 4, 5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Numa.parseCpuList("3-1"));
        assertTrue(e.getMessage().contains("3-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Numa.parseCpuList("0-x"));
    }

    @Test
    void nodeMeminfoGivesTotalAndFreeInBytes() {
        Numa.NodeMemory m = Numa.parseMeminfo(MEMINFO);
        assertEquals(65842148L * 1024, m.totalBytes());
        assertEquals(61234560L * 1024, m.freeBytes());
        assertThrows(IllegalArgumentException.class, () -> Numa.parseMeminfo("Node 0 MemUsed: 5 kB\n"));
    }

    @Test
    void nodesAreReadFromASysfsTreeInIdOrder() throws IOException {
        writeNode(10, "", MEMINFO.replace("Node 1", "Node 10"));
        writeNode(0, "0-3,8-11", MEMINFO.replace("Node 1", "Node 0"));
        writeNode(1, "4-7,12-15", MEMINFO);
        Files.writeString(dir.resolve("online"), "0-1,10\n");
        List<Numa.Node> nodes = Numa.nodes(dir);
        assertEquals(List.of(0, 1, 10), nodes.stream().map(Numa.Node::id).toList());
        assertEquals("4-7,12-15", nodes.get(1).cpuList());
        assertEquals(List.of(), nodes.get(2).cpus());
        assertEquals(61234560L * 1024, nodes.get(0).memFreeBytes());
    }

    @Test
    void noNodeDirectoryMeansNoNumaInformation() throws IOException {
        assertEquals(List.of(), Numa.nodes(dir.resolve("absent")));
    }

    @Test
    void aDiskTakesTheNumaNodeOfTheFirstDeviceAboveItThatHasOne() throws IOException {
        // /sys/block/vda/device -> a virtio device without numa_node, under a PCI function with one.
        Path pci = Files.createDirectories(dir.resolve("devices/pci0000:00/0000:00:02.0"));
        Files.writeString(pci.resolve("numa_node"), "1\n");
        Path virtio = Files.createDirectories(pci.resolve("virtio1"));
        Path vda = Files.createDirectories(virtio.resolve("block/vda"));
        Files.createSymbolicLink(vda.resolve("device"), vda.relativize(virtio));
        Path block = Files.createDirectories(dir.resolve("block"));
        Files.createSymbolicLink(block.resolve("vda"), block.relativize(vda));
        assertEquals(OptionalInt.of(1), Numa.nodeOfDisk(block, "vda"));
        Files.writeString(pci.resolve("numa_node"), "-1\n");
        assertEquals(OptionalInt.of(-1), Numa.nodeOfDisk(block, "vda"));
        assertEquals(OptionalInt.empty(), Numa.nodeOfDisk(block, "loop0"));
    }

    @Test
    void aTouchedBufferIsOnAListedNode() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            // A mapping, as the store's buffers are: its pages come on first touch.
            MemorySegment buf = AlignedMemory.allocate(arena, AlignedMemory.MMAP_THRESHOLD, 4096);
            int node = Numa.nodeOf(buf);
            assumeTrue(node >= 0, () -> "the kernel does not say: " + Numa.whyUnknown(node));
            List<Numa.Node> nodes = Numa.nodes();
            List<Integer> ids = nodes.isEmpty() ? List.of(0) : nodes.stream().map(Numa.Node::id).toList();
            assertTrue(ids.contains(node), "node " + node + " in " + ids);
        }
    }

    @Test
    void refusalsSayWhy() {
        assertTrue(Numa.whyUnknown(-Errno.ENOSYS).startsWith("get_mempolicy: ENOSYS, "));
        assertTrue(Numa.whyUnknown(-Errno.EPERM).contains("seccomp"));
    }

    private void writeNode(int id, String cpulist, String meminfo) throws IOException {
        Path n = Files.createDirectories(dir.resolve("node" + id));
        Files.writeString(n.resolve("cpulist"), cpulist + "\n");
        Files.writeString(n.resolve("meminfo"), meminfo);
    }
}
