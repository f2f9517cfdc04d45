package io.rawio.engine;

import io.rawio.nativeio.NativeIoException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * uring-fixed's registrations on one thread's ring: the registered buffers (READ_FIXED/WRITE_FIXED for
 * any slice of them) and the registered files ({@link UringEngine#MAX_FIXED_FILES} at most), kept in
 * step with what the engine was given and what each batch uses. Used by the ring's thread.
 */
final class UringRegistrations {
    private UringRegistrations() {
    }

    /**
     * Before a batch on {@code r} (uring-fixed): registers {@code regions} when they changed since the
     * ring last did, and the batch's files (between batches only, closed ones dropped); what the kernel
     * refuses goes to {@code notices}, and the ring uses plain operations or descriptors from then on.
     */
    static void sync(UringEngineRing r, IoBatch batch, List<MemorySegment> regions, java.util.concurrent.CopyOnWriteArrayList<String> notices) {
        // regions only grows: its size is the version a ring has registered
        int version = regions.size();
        if (r.registeredVersion != version) {
            r.registeredVersion = version;
            try {
                if (r.registered.length > 0) {
                    r.uring.unregisterBuffers();
                }
                MemorySegment[] all = regions.toArray(MemorySegment[]::new);
                r.registered = new MemorySegment[0];
                if (all.length > 0) {
                    r.uring.registerBuffers(all);
                    r.registered = all;
                }
            } catch (NativeIoException e) {
                String n = "registered buffers refused, using plain READ/WRITE: " + e.getMessage();
                notices.addIfAbsent(n);
            }
        }
        // Registered files: drop closed ones, add the batch's new ones (between batches only).
        if (r.filesRefused || filesUnchanged(r, batch)) {
            return;
        }
        boolean change = false;
        List<IoFile> table = new ArrayList<>();
        for (IoFile f : r.fileTable) {
            if (f != null && !f.isClosed()) {
                table.add(f);
            } else {
                change = true;
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            IoFile f = batch.file(i);
            if (!table.contains(f) && table.size() < UringEngine.MAX_FIXED_FILES) {
                table.add(f);
                change = true;
            }
        }
        if (change) {
            try {
                if (r.fileTable.length > 0) {
                    r.uring.unregisterFiles();
                }
                r.fileTable = new IoFile[0];
                int[] fds = new int[table.size()];
                for (int i = 0; i < fds.length; i++) {
                    fds[i] = table.get(i).fd();
                }
                if (fds.length > 0) {
                    r.uring.registerFiles(fds);
                    r.fileTable = table.toArray(IoFile[]::new);
                }
            } catch (NativeIoException e) {
                r.filesRefused = true;
                String n = "registered files refused, using descriptors: " + e.getMessage();
                notices.addIfAbsent(n);
            }
        }
    }

    /** Whether every file of the batch is registered and none registered is closed (the usual case). */
    private static boolean filesUnchanged(UringEngineRing r, IoBatch batch) {
        for (IoFile f : r.fileTable) {
            if (f.isClosed()) {
                return false;
            }
        }
        IoFile last = null;
        for (int i = 0; i < batch.size(); i++) {
            IoFile f = batch.file(i);
            if (f != last && fileIndex(r, f) < 0 && r.fileTable.length < UringEngine.MAX_FIXED_FILES) {
                return false;
            }
            last = f;
        }
        return true;
    }

    /** {@code f}'s index in {@code r}'s registered files, or -1. */
    static int fileIndex(UringEngineRing r, IoFile f) {
        IoFile[] t = r.fileTable;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == f) {
                return i;
            }
        }
        return -1;
    }
}
