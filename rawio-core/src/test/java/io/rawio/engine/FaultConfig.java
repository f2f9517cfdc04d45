package io.rawio.engine;

/**
 * What a {@link FaultInjectingEngine} injects, and the seed that makes it repeatable. Immutable; the
 * {@code with…} methods return a copy. A {@code …OneIn} of N injects that fault into one eligible
 * operation in N on average (1: every one); 0 turns the fault off.
 *
 * @param seed             seeds the engine's random source: the same seed, configuration and sequence
 *                         of operations give the same faults
 * @param writeErrorOneIn  WRITE/WRITEV fails with -EIO and does not run
 * @param enospcOneIn      WRITE/WRITEV fails with -ENOSPC and does not run
 * @param flushErrorOneIn  FSYNC/FDATASYNC fails with -EIO and does not run
 * @param tornWriteOneIn   WRITE/WRITEV lands only a whole-block prefix of its bytes and fails with -EIO
 * @param blockSize        the unit a torn write is cut at (the device's atomic write size, e.g. 4096)
 * @param trackUnflushed   remember what completed writes overwrote until the file is synced, so that
 *                         {@link FaultInjectingEngine#simulateCrash()} can undo them
 */
public record FaultConfig(long seed, int writeErrorOneIn, int enospcOneIn, int flushErrorOneIn, int tornWriteOneIn,
        int blockSize, boolean trackUnflushed) {

    public static final int DEFAULT_BLOCK_SIZE = 4096;

    public FaultConfig {
        requireNotNegative("writeErrorOneIn", writeErrorOneIn);
        requireNotNegative("enospcOneIn", enospcOneIn);
        requireNotNegative("flushErrorOneIn", flushErrorOneIn);
        requireNotNegative("tornWriteOneIn", tornWriteOneIn);
        if (blockSize <= 0) {
            throw new IllegalArgumentException("block size must be positive: blockSize=" + blockSize);
        }
    }

    private static void requireNotNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative (0 disables): " + name + "=" + value);
        }
    }

    /** No random faults, no tracking: the wrapper behaves like the engine it wraps. */
    public static FaultConfig none(long seed) {
        return new FaultConfig(seed, 0, 0, 0, 0, DEFAULT_BLOCK_SIZE, false);
    }

    public FaultConfig withSeed(long v) {
        return new FaultConfig(v, writeErrorOneIn, enospcOneIn, flushErrorOneIn, tornWriteOneIn, blockSize,
                trackUnflushed);
    }

    public FaultConfig withWriteErrorOneIn(int v) {
        return new FaultConfig(seed, v, enospcOneIn, flushErrorOneIn, tornWriteOneIn, blockSize, trackUnflushed);
    }

    public FaultConfig withEnospcOneIn(int v) {
        return new FaultConfig(seed, writeErrorOneIn, v, flushErrorOneIn, tornWriteOneIn, blockSize, trackUnflushed);
    }

    public FaultConfig withFlushErrorOneIn(int v) {
        return new FaultConfig(seed, writeErrorOneIn, enospcOneIn, v, tornWriteOneIn, blockSize, trackUnflushed);
    }

    public FaultConfig withTornWriteOneIn(int v) {
        return new FaultConfig(seed, writeErrorOneIn, enospcOneIn, flushErrorOneIn, v, blockSize, trackUnflushed);
    }

    public FaultConfig withBlockSize(int v) {
        return new FaultConfig(seed, writeErrorOneIn, enospcOneIn, flushErrorOneIn, tornWriteOneIn, v,
                trackUnflushed);
    }

    public FaultConfig withTrackUnflushed(boolean v) {
        return new FaultConfig(seed, writeErrorOneIn, enospcOneIn, flushErrorOneIn, tornWriteOneIn, blockSize, v);
    }
}
