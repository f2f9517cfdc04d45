package io.rawio.nvme;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The largest transfer one passthrough command may carry, and how a larger operation is cut into
 * commands. The block layer does not split passthrough requests (blk_rq_map_user_io maps the user
 * buffer into ONE request), so the engine must: a command larger than the queue's limits fails with
 * EINVAL. The limit that holds is the smaller of max_hw_sectors_kb and max_segments pages: a buffer
 * that is not physically contiguous takes one segment per page, so with QEMU's default mdts=7 the
 * queue says 512 KiB but a 512 KiB write from scattered pages is refused, intermittently, with nothing
 * in dmesg. The limit is also kept to what cdw12's 16-bit block count holds, and to whole blocks.
 *
 * @param bytes  the largest command, a multiple of the block size
 * @param source where it came from, for {@code rawio info} and error messages
 */
public record NvmeTransferLimit(int bytes, String source) {
    public NvmeTransferLimit {
        if (bytes <= 0) {
            throw new IllegalArgumentException("transfer limit must be positive: bytes=" + bytes);
        }
    }

    /** min(maxHwSectorsKb x 1 KiB, maxSegments x pageSize), in whole blocks of {@code lbaSize}. */
    public static NvmeTransferLimit of(long maxHwSectorsKb, long maxSegments, int pageSize, int lbaSize) {
        long hw = maxHwSectorsKb * 1024;
        long seg = maxSegments * pageSize;
        long b = Math.min(hw, seg);
        String src = b == hw ? "max_hw_sectors_kb=" + maxHwSectorsKb : "max_segments=" + maxSegments + " x page " + pageSize;
        return clamp(b, lbaSize, src);
    }

    /** From Identify Controller's MDTS: 2^mdts minimum pages (0: no limit but cdw12's). */
    public static NvmeTransferLimit ofMdts(int mdts, int minPageSize, int lbaSize) {
        long b = mdts == 0 ? Long.MAX_VALUE : (long) minPageSize << mdts;
        return clamp(b, lbaSize, "MDTS=" + mdts);
    }

    private static NvmeTransferLimit clamp(long b, int lbaSize, String source) {
        long max = (long) NvmeUringCmdDescriptor.MAX_BLOCKS_PER_COMMAND * lbaSize;
        b = Math.min(Math.min(b, max), Integer.MAX_VALUE);
        b -= b % lbaSize;
        if (b < lbaSize) {
            throw new IllegalArgumentException("transfer limit below one block: " + source + ", lbaSize=" + lbaSize);
        }
        return new NvmeTransferLimit((int) b, source);
    }

    /**
     * Reads max_hw_sectors_kb and max_segments from a queue directory of sysfs
     * ({@code /sys/block/nvme0n1/queue}); empty when either is missing or unreadable.
     */
    public static Optional<NvmeTransferLimit> fromSysfs(Path queueDir, int pageSize, int lbaSize) {
        Optional<Long> kb = readNumber(queueDir.resolve("max_hw_sectors_kb"));
        Optional<Long> segs = readNumber(queueDir.resolve("max_segments"));
        if (kb.isEmpty() || segs.isEmpty() || kb.get() <= 0 || segs.get() <= 0) {
            return Optional.empty();
        }
        return Optional.of(of(kb.get(), segs.get(), pageSize, lbaSize));
    }

    /** A sysfs attribute holding one decimal number; empty when missing or not a number. */
    static Optional<Long> readNumber(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** How many commands an operation of {@code length} bytes takes (at least one). */
    public int chunks(long length) {
        return (int) Math.max(1, (length + bytes - 1) / bytes);
    }

    /** The length of command {@code k} of an operation of {@code length} bytes. */
    public int chunkLength(long length, int k) {
        return (int) Math.min(bytes, length - (long) k * bytes);
    }

    /** Where command {@code k} starts, relative to the operation's offset and buffer. */
    public long chunkOffset(int k) {
        return (long) k * bytes;
    }
}
