package io.rawio.engine;

import io.rawio.nativeio.Alignment;
import io.rawio.nativeio.NativeFile;
import io.rawio.nvme.NvmeIdentifyNamespace;
import io.rawio.nvme.NvmeTransferLimit;

/**
 * An NVMe namespace opened through its generic character device by the {@code uring-cmd} engine: what
 * the commands need (the namespace id, the block size) and what open learned of it. I/O on it never
 * goes through the page cache, so it counts as direct: offsets and lengths are whole blocks.
 */
public final class NvmeFile extends IoFile {
    private final int nsid;
    private final NvmeIdentifyNamespace.Namespace namespace;
    private final NvmeTransferLimit limit;

    NvmeFile(IoEngine engine, NativeFile file, OpenOptions options, Alignment alignment, int nsid,
            NvmeIdentifyNamespace.Namespace namespace, NvmeTransferLimit limit) {
        super(engine, file, options, alignment);
        this.nsid = nsid;
        this.namespace = namespace;
        this.limit = limit;
    }

    /** The namespace id (NVME_IOCTL_ID). */
    public int nsid() {
        return nsid;
    }

    /** The logical block size in use (Identify Namespace, the format FLBAS names). */
    public int lbaSize() {
        return namespace.lbaSize();
    }

    public NvmeIdentifyNamespace.Namespace namespace() {
        return namespace;
    }

    /** The largest command; longer operations are split into commands of this size. */
    public NvmeTransferLimit transferLimit() {
        return limit;
    }

    @Override
    public boolean isDirect() {
        return true;
    }

    /** The namespace's capacity, NSZE blocks (statx gives a character device no size). */
    @Override
    public long size() {
        return namespace.capacityBytes();
    }
}
