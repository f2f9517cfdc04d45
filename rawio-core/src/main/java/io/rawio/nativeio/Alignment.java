package io.rawio.nativeio;

/**
 * The alignment direct I/O needs for one file: the buffer's memory address and the file offset
 * and length. {@code source} says where the numbers came from.
 *
 * @param memory the required alignment of the buffer address, in bytes (a power of two)
 * @param offset the required alignment of the file offset and of the length, in bytes
 * @param source {@code statx}, {@code BLKSSZGET} or {@code default}
 */
public record Alignment(int memory, int offset, String source) {

    public static final Alignment DEFAULT =
            new Alignment(LinuxConstants.DEFAULT_ALIGNMENT, LinuxConstants.DEFAULT_ALIGNMENT, "default");

    public Alignment {
        if (Integer.bitCount(memory) != 1 || Integer.bitCount(offset) != 1) {
            throw new IllegalArgumentException(
                    "alignment must be a power of two: memory=" + memory + ", offset=" + offset);
        }
    }

    /** The larger of the two, which is safe for both buffers and offsets. */
    public int max() {
        return Math.max(memory, offset);
    }

    /** Whether an I/O of this buffer address, file offset and length meets this alignment. */
    public boolean accepts(long address, long fileOffset, long length) {
        return (address & (memory - 1)) == 0 && (fileOffset & (offset - 1)) == 0 && (length & (offset - 1)) == 0;
    }

    /** Text for a user, naming what is required. */
    public String describe() {
        return "O_DIRECT needs the buffer address aligned to " + memory + " bytes and the file offset and length to "
                + offset + " bytes (from " + source + ")";
    }

    static Alignment of(NativeFile file) throws NativeIoException {
        Statx st = file.statx();
        if (st.hasDioAlign() && st.dioMemAlign() > 0 && st.dioOffsetAlign() > 0) {
            return new Alignment(st.dioMemAlign(), st.dioOffsetAlign(), "statx STATX_DIOALIGN");
        }
        if (st.isBlockDevice()) {
            int lbs = BlockDevices.logicalBlockSize(file);
            return new Alignment(lbs, lbs, "BLKSSZGET");
        }
        return DEFAULT;
    }
}
