package io.rawio.store;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Deterministic values for keys, so any reader can tell a right value from a wrong one. */
final class StoreTesting {
    private StoreTesting() {
    }

    static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The value stored under a key in the crash and model tests: length and bytes follow from the key. */
    static byte[] valueFor(String key, int maxLength) {
        SplittableRandom r = new SplittableRandom(key.hashCode() * 0x9e3779b97f4a7c15L);
        byte[] v = new byte[r.nextInt(maxLength + 1)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) r.nextInt();
        }
        return v;
    }

    /** Flips one bit of the byte at {@code offset} of a file: offline corruption. */
    static void flipByte(java.nio.file.Path p, long offset) throws java.io.IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }

    static StoreOptions psyncOptions() {
        return StoreOptions.defaults().withEngine("psync");
    }
}
