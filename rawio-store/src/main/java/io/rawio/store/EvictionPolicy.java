package io.rawio.store;

/**
 * What the allocator does with a live key in the next slot of the ring: the decision alone, with no
 * file and no lock (the ring state asks it under its lock).
 */
enum EvictionPolicy {
    /** Overwrite it. */
    FIFO {
        @Override
        Decision decide(boolean hot, boolean newerWritePending, boolean alreadyReinserting, boolean withinBudget) {
            return Decision.EVICT;
        }
    },
    /**
     * Reinsert a key read since it was written (its slot rewritten at the new position), unless a newer
     * write of it is pending (the old value must not land after the new one), this window already
     * reinserts it, or the ring's budget of positions in flight has no room for it; else evict.
     */
    FIFO_REINSERT {
        @Override
        Decision decide(boolean hot, boolean newerWritePending, boolean alreadyReinserting, boolean withinBudget) {
            return hot && !newerWritePending && !alreadyReinserting && withinBudget ? Decision.REINSERT : Decision.EVICT;
        }

        @Override
        boolean tracksHotKeys() {
            return true;
        }
    },
    /** Refuse the put: the store is full. */
    REJECT {
        @Override
        Decision decide(boolean hot, boolean newerWritePending, boolean alreadyReinserting, boolean withinBudget) {
            return Decision.REJECT;
        }
    };

    /** What happens to the resident of the next slot. */
    enum Decision {
        EVICT,
        REINSERT,
        REJECT
    }

    abstract Decision decide(boolean hot, boolean newerWritePending, boolean alreadyReinserting, boolean withinBudget);

    /** Whether reads mark keys hot and pending writes are tracked (only a reinserting policy needs them). */
    boolean tracksHotKeys() {
        return false;
    }

    static EvictionPolicy of(StoreOptions.Eviction eviction) {
        return switch (eviction) {
            case FIFO -> FIFO;
            case FIFO_REINSERT -> FIFO_REINSERT;
            case REJECT -> REJECT;
        };
    }
}
