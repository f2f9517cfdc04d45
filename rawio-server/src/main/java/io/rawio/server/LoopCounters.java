package io.rawio.server;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * What a loop and its commands count, for INFO ({@link InfoCommand}): its stats section, and the rawio
 * section's batches, waves and reads, by which the docs' figures per request are worked out. Written
 * and read on the loop's thread only.
 */
final class LoopCounters {
    /** Commands run (by the command table or by the batcher) and connections accepted. */
    long commandsRun;
    long connectionsAccepted;
    /**
     * The batcher's putMany, getMany and deleteMany calls (waves of one-key DELs), its waves of EXPIREs (a
     * getMany and a putMany each), and the rounds run.
     */
    long putBatches;
    long getBatches;
    long delBatches;
    long expireBatches;
    long rounds;
    /** Waves of SETs whose replies were held while their putMany was written (the io_uring loop). */
    long heldSetWaves;
    /** Waves of a durable store's SETs ended at {@link RoundBatcher#DURABLE_WAVE_SETS} SETs, not at the pass's end. */
    long cutSetWaves;
    /** Large SET values received straight into the store's value buffers ({@link ValueLanding}). */
    long landedValues;
    /** Store reads the loop issued on its own ring, and those issued again (the key moved). */
    LongSupplier ringReads = () -> 0;
    /** Of those, reads into registered buffers (READ_FIXED). */
    LongSupplier ringFixedReads = () -> 0;
    LongSupplier ringRereads = () -> 0;
    /** Bytes the io_uring loop read straight into query buffers, the rest of large values. */
    LongSupplier directReadBytes = () -> 0;
    /** The store's batches run on the loop's own ring (the io_uring loop, an io_uring engine). */
    BooleanSupplier storeOnLoopRing = () -> false;
    /** What INFO says as multiplexing_api: the loop's way of waiting (epoll, io_uring, threads). */
    String multiplexingApi = "epoll";
    /** The port INFO reports. */
    int port;
}
