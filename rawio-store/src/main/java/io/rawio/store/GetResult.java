package io.rawio.store;

/**
 * The outcome of one key of a getMany.
 *
 * @param value   the value, or null when absent or corrupt
 * @param corrupt why the slot was rejected, or null
 */
public record GetResult(byte[] value, String corrupt) {
    public boolean found() {
        return value != null;
    }
}
