package io.rawio.store;

/**
 * The index's entries as a checkpoint encodes them, copied out of {@link KeyIndex} in one pass over its
 * table ({@link KeyIndex#entriesCopy}) while the ring state's lock is held, so that the encoding, which
 * reads every key, runs after the lock is released. Its memory goes with the keys, not the slots. The
 * keys are shared with the index, which never changes a key's bytes.
 *
 * @param versions by entry, the slot's version; null where the index keeps none (one slot class: 0)
 */
record IndexEntries(byte[][] keys, long[] positions, int[] valueLengths, int[] dataCrcs, long[] versions,
        long keyBytes) {

    int size() {
        return keys.length;
    }

    long versionAt(int i) {
        return versions == null ? 0 : versions[i];
    }
}
