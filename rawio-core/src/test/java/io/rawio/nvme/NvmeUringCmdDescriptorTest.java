package io.rawio.nvme;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rawio.uring.IoUringConstants;
import io.rawio.uring.SqeDescriptor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class NvmeUringCmdDescriptorTest {

    @Test
    void ioctlNumbersAreTheKernels() {
        // From include/uapi/linux/nvme_ioctl.h as compiled on x86-64 (printf("%#x", NVME_URING_CMD_IO)).
        assertEquals(0xc0484e80, NvmeUringCmdDescriptor.NVME_URING_CMD_IO);
        assertEquals(0xc0484e41, NvmeUringCmdDescriptor.NVME_IOCTL_ADMIN_CMD);
        assertEquals(0x4e40, NvmeUringCmdDescriptor.NVME_IOCTL_ID);
    }

    @Test
    void aReadOfEightBlocksAtAHighLbaIsEncodedAsTheSpecSays() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cmd = a.allocate(NvmeUringCmdDescriptor.SIZE).fill((byte) 0x77);
            long slba = 0x1_2345_6789L;
            NvmeUringCmdDescriptor.fill(cmd, 0, NvmeUringCmdDescriptor.NVME_CMD_READ, 1, 0xdead_b000L, 4096, slba, 8);
            assertEquals(0x02, cmd.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(0, cmd.get(ValueLayout.JAVA_BYTE, 1), "flags cleared");
            assertEquals(1, cmd.get(ValueLayout.JAVA_INT, 4), "nsid");
            assertEquals(0xdead_b000L, cmd.get(ValueLayout.JAVA_LONG, 24), "addr");
            assertEquals(4096, cmd.get(ValueLayout.JAVA_INT, 36), "data_len");
            assertEquals(0x2345_6789, cmd.get(ValueLayout.JAVA_INT, 40), "cdw10: SLBA low");
            assertEquals(0x1, cmd.get(ValueLayout.JAVA_INT, 44), "cdw11: SLBA high");
            assertEquals(7, cmd.get(ValueLayout.JAVA_INT, 48), "cdw12: NLB is 0-based");
            for (long off : new long[] {8, 12, 16, 32, 52, 56, 60, 64, 68}) {
                assertEquals(0, cmd.get(ValueLayout.JAVA_INT, off), "stale bytes at " + off);
            }
        }
    }

    @Property(tries = 200)
    void slbaAndBlocksRoundTrip(@ForAll @LongRange(min = 0, max = (1L << 48)) long slba,
            @ForAll @IntRange(min = 1, max = 65536) int blocks) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cmd = a.allocate(NvmeUringCmdDescriptor.SIZE);
            NvmeUringCmdDescriptor.fill(cmd, 0, NvmeUringCmdDescriptor.NVME_CMD_WRITE, 3, 0, blocks * 512, slba, blocks);
            assertEquals(slba, NvmeUringCmdDescriptor.slba(cmd, 0));
            assertEquals(blocks, NvmeUringCmdDescriptor.blocks(cmd, 0));
        }
    }

    @Test
    void theCommandFitsTheBigSqeAfterTheUringCmdFields() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sqes = a.allocate(2L * SqeDescriptor.SIZE_128).fill((byte) 0x55);
            long base = SqeDescriptor.SIZE_128; // the second SQE of a SQE128 ring
            SqeDescriptor.prepUringCmd(sqes, base, 7, NvmeUringCmdDescriptor.NVME_URING_CMD_IO,
                    IoUringConstants.IORING_URING_CMD_FIXED, 42);
            NvmeUringCmdDescriptor.fill(sqes, base + SqeDescriptor.CMD_OFFSET, NvmeUringCmdDescriptor.NVME_CMD_FLUSH,
                    1, 0, 0, 0, 0);
            assertEquals(IoUringConstants.IORING_OP_URING_CMD, sqes.get(ValueLayout.JAVA_BYTE, base));
            assertEquals(7, sqes.get(ValueLayout.JAVA_INT, base + SqeDescriptor.FD_OFFSET));
            assertEquals(NvmeUringCmdDescriptor.NVME_URING_CMD_IO, sqes.get(ValueLayout.JAVA_INT, base + 8), "cmd_op");
            assertEquals(0, sqes.get(ValueLayout.JAVA_INT, base + 12), "__pad1 must be 0 or the kernel says EINVAL");
            assertEquals(1, sqes.get(ValueLayout.JAVA_INT, base + 28), "uring_cmd_flags");
            assertEquals(42, sqes.get(ValueLayout.JAVA_LONG, base + 32), "user_data");
            assertEquals(1, sqes.get(ValueLayout.JAVA_INT, base + 48 + 4), "nsid inside the command area");
            assertEquals(0L, sqes.get(ValueLayout.JAVA_LONG, base + 120), "the tail of the 128 bytes is cleared");
            assertEquals(0x55, sqes.get(ValueLayout.JAVA_BYTE, 0), "the SQE before is untouched");
            assertEquals(SqeDescriptor.SIZE_128, SqeDescriptor.CMD_OFFSET + NvmeUringCmdDescriptor.SIZE + 8);
        }
    }
}
