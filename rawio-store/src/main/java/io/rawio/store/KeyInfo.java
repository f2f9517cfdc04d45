package io.rawio.store;

/**
 * A key, its value's length, its position in the ring's write order, and the data CRC (CRC32C of
 * key ++ value) the index holds for it.
 */
public record KeyInfo(byte[] key, int valueLength, long position, int dataCrc) {
}
