package io.rawio.bench.lab.servers;

import java.util.ArrayList;
import java.util.List;

/**
 * An event loop's connections by slot: the number a connection's events carry (its epoll token, its
 * io_uring user_data), reused once the connection is gone. One loop's thread only.
 */
final class Slots<C> {
    private final List<C> items = new ArrayList<>();
    private final List<Integer> free = new ArrayList<>();

    /** Puts {@code c} in a free slot; returns the slot. */
    int add(C c) {
        if (free.isEmpty()) {
            items.add(c);
            return items.size() - 1;
        }
        int slot = free.removeLast();
        items.set(slot, c);
        return slot;
    }

    /** The connection in {@code slot}, or null. */
    C get(int slot) {
        return items.get(slot);
    }

    void remove(int slot) {
        items.set(slot, null);
        free.add(slot);
    }

    /** One more than the highest slot ever used. */
    int limit() {
        return items.size();
    }
}
