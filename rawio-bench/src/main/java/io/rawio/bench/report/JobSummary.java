package io.rawio.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of one job that rawio compares, read the same way from fio's JSON and from rawio's. Any
 * field missing from the input is an error, so the test that feeds both through this reader proves
 * the two formats agree.
 *
 * @param jobname      jobs[].jobname
 * @param readIos      read.total_ios
 * @param writeIos     write.total_ios
 * @param readBytes    read.io_bytes
 * @param writeBytes   write.io_bytes
 * @param iops         read.iops + write.iops
 * @param bwKiBs       read.bw + write.bw (KiB/s)
 * @param clatP50Ns    clat_ns.percentile["50.000000"] of the side with more I/Os
 * @param clatP99Ns    clat_ns.percentile["99.000000"] of the same side
 * @param clatMeanNs   clat_ns.mean of the same side
 * @param usrCpu       usr_cpu (percent)
 * @param sysCpu       sys_cpu (percent)
 * @param ctx          ctx
 * @param runtimeMs    read.runtime or write.runtime (ms), whichever is larger
 */
public record JobSummary(
        String jobname,
        long readIos,
        long writeIos,
        long readBytes,
        long writeBytes,
        double iops,
        double bwKiBs,
        long clatP50Ns,
        long clatP99Ns,
        double clatMeanNs,
        double usrCpu,
        double sysCpu,
        long ctx,
        long runtimeMs) {

    public long totalIos() {
        return readIos + writeIos;
    }

    /** CPU microseconds per I/O, from fio's usr/sys percentages and runtime. */
    public double cpuUsPerIo() {
        return totalIos() == 0 ? 0 : (usrCpu + sysCpu) / 100.0 * runtimeMs * 1000.0 / totalIos();
    }

    public static List<JobSummary> read(JsonNode root) {
        JsonNode jobs = require(root, "jobs");
        List<JobSummary> out = new ArrayList<>();
        for (JsonNode j : jobs) {
            out.add(of(j));
        }
        return out;
    }

    static JobSummary of(JsonNode j) {
        JsonNode read = require(j, "read");
        JsonNode write = require(j, "write");
        long readIos = require(read, "total_ios").asLong();
        long writeIos = require(write, "total_ios").asLong();
        JsonNode main = readIos >= writeIos ? read : write;
        JsonNode clat = require(main, "clat_ns");
        long p50 = 0;
        long p99 = 0;
        if (require(clat, "N").asLong() > 0) {
            JsonNode p = require(clat, "percentile");
            p50 = require(p, FioJson.percentileKey(50)).asLong();
            p99 = require(p, FioJson.percentileKey(99)).asLong();
        }
        return new JobSummary(
                require(j, "jobname").asText(),
                readIos, writeIos,
                require(read, "io_bytes").asLong(), require(write, "io_bytes").asLong(),
                require(read, "iops").asDouble() + require(write, "iops").asDouble(),
                require(read, "bw").asDouble() + require(write, "bw").asDouble(),
                p50, p99, require(clat, "mean").asDouble(),
                require(j, "usr_cpu").asDouble(), require(j, "sys_cpu").asDouble(), require(j, "ctx").asLong(),
                Math.max(require(read, "runtime").asLong(), require(write, "runtime").asLong()));
    }

    private static JsonNode require(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field in fio-style JSON: " + field);
        }
        return v;
    }
}
