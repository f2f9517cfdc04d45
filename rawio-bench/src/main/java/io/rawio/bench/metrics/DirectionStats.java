package io.rawio.bench.metrics;

/** The read or the write side of a job: bytes, operations and the three latencies fio reports. */
public final class DirectionStats {
    public final LatencyStats slat = new LatencyStats();
    public final LatencyStats clat = new LatencyStats();
    public final LatencyStats lat = new LatencyStats();
    public long ioBytes;
    public long totalIos;
    public long shortIos;

    public void add(DirectionStats o) {
        slat.add(o.slat);
        clat.add(o.clat);
        lat.add(o.lat);
        ioBytes += o.ioBytes;
        totalIos += o.totalIos;
        shortIos += o.shortIos;
    }
}
