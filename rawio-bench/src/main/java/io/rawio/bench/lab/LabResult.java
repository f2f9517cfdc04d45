package io.rawio.bench.lab;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a lab found: a table, charts, a few sentences, and the raw numbers. */
public final class LabResult {
    /** One chart: named series of (x, y) points; either axis may be logarithmic (its values then positive). */
    public record Chart(String file, String title, String xLabel, String yLabel, boolean logX,
            Map<String, List<double[]>> series, boolean logY) {
        public Chart(String file, String title, String xLabel, String yLabel, boolean logX,
                Map<String, List<double[]>> series) {
            this(file, title, xLabel, yLabel, logX, series, false);
        }
    }

    private final String lab;
    private final String title;
    private final List<String> columns;
    private final List<List<Object>> rows = new ArrayList<>();
    private final List<String> findings = new ArrayList<>();
    private final List<Chart> charts = new ArrayList<>();
    private final Map<String, Object> raw = new LinkedHashMap<>();

    public LabResult(String lab, String title, List<String> columns) {
        this.lab = lab;
        this.title = title;
        this.columns = List.copyOf(columns);
    }

    public LabResult row(Object... cells) {
        if (cells.length != columns.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + columns.size()
                    + " columns");
        }
        rows.add(List.of(cells));
        return this;
    }

    public LabResult finding(String sentence) {
        findings.add(sentence);
        return this;
    }

    public LabResult chart(Chart c) {
        charts.add(c);
        return this;
    }

    public LabResult raw(String key, Object value) {
        raw.put(key, value);
        return this;
    }

    /** The lab cannot run here ({@code why}: what it needs): its one finding, and raw "refused". */
    public LabResult refused(String why) {
        return finding(why).raw("refused", why);
    }

    public String lab() {
        return lab;
    }

    public String title() {
        return title;
    }

    public List<String> columns() {
        return columns;
    }

    public List<List<Object>> rows() {
        return rows;
    }

    public List<String> findings() {
        return findings;
    }

    public List<Chart> charts() {
        return charts;
    }

    public Map<String, Object> raw() {
        return raw;
    }
}
