package io.rawio.store;

import java.util.List;

/**
 * One page of {@link SlotStore#scan}: its keys with their value lengths (and positions and data CRCs,
 * as {@link SlotStore#keys()} gives them), and the cursor of the next page (0 when done).
 */
public record ScanPage(List<KeyInfo> entries, long cursor) {
    /** The page's keys. */
    public List<byte[]> keys() {
        return entries.stream().map(KeyInfo::key).toList();
    }
}
