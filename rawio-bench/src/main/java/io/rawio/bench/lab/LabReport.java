package io.rawio.bench.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Prints a lab's table and findings, and writes its report: index.html, the charts as PNG, result.json. */
public final class LabReport {
    private LabReport() {
    }

    public static void print(LabResult r, PrintWriter out) {
        out.println(r.title());
        int[] width = new int[r.columns().size()];
        for (int c = 0; c < width.length; c++) {
            width[c] = r.columns().get(c).length();
            for (List<Object> row : r.rows()) {
                width[c] = Math.max(width[c], cell(row.get(c)).length());
            }
        }
        StringBuilder header = new StringBuilder();
        for (int c = 0; c < width.length; c++) {
            header.append(String.format(Locale.ROOT, c == 0 ? "%-" + width[c] + "s" : "  %" + width[c] + "s",
                    r.columns().get(c)));
        }
        out.println(header);
        for (List<Object> row : r.rows()) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < width.length; c++) {
                line.append(String.format(Locale.ROOT, c == 0 ? "%-" + width[c] + "s" : "  %" + width[c] + "s",
                        cell(row.get(c))));
            }
            out.println(line);
        }
        for (String f : r.findings()) {
            out.println("- " + f);
        }
        out.flush();
    }

    static String cell(Object v) {
        if (v instanceof Double d) {
            return Math.abs(d) >= 100 ? String.format(Locale.ROOT, "%.0f", d) : String.format(Locale.ROOT, "%.2f", d);
        }
        return String.valueOf(v);
    }

    /** Writes the report into {@code dir}; returns the HTML page's path. */
    public static Path write(LabResult r, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> images = new ArrayList<>();
        for (LabResult.Chart c : r.charts()) {
            XYChart chart = new XYChartBuilder().width(800).height(500).title(c.title())
                    .xAxisTitle(c.xLabel()).yAxisTitle(c.yLabel()).build();
            chart.getStyler().setXAxisLogarithmic(c.logX());
            chart.getStyler().setYAxisLogarithmic(c.logY());
            chart.getStyler().setLegendVisible(true);
            for (Map.Entry<String, List<double[]>> s : c.series().entrySet()) {
                double[] x = new double[s.getValue().size()];
                double[] y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = s.getValue().get(i)[0];
                    y[i] = s.getValue().get(i)[1];
                }
                if (x.length > 0) {
                    chart.addSeries(s.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
                }
            }
            Path png = dir.resolve(c.file() + ".png");
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
            images.add(png.getFileName().toString());
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("lab", r.lab());
        json.put("title", r.title());
        json.put("columns", r.columns());
        json.put("rows", r.rows());
        json.put("findings", r.findings());
        json.put("raw", r.raw());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("result.json").toFile(), json);
        StringBuilder html = new StringBuilder();
        html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>rawio lab ").append(esc(r.lab()))
                .append("</title><style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:"
                        + "collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#eee}"
                        + "td:first-child{text-align:left}</style></head><body>");
        html.append("<h1>").append(esc(r.title())).append("</h1><ul>");
        for (String f : r.findings()) {
            html.append("<li>").append(esc(f)).append("</li>");
        }
        html.append("</ul><table><tr>");
        for (String c : r.columns()) {
            html.append("<th>").append(esc(c)).append("</th>");
        }
        html.append("</tr>");
        for (List<Object> row : r.rows()) {
            html.append("<tr>");
            for (Object v : row) {
                html.append("<td>").append(esc(cell(v))).append("</td>");
            }
            html.append("</tr>");
        }
        html.append("</table>");
        for (String img : images) {
            html.append("<p><img src=\"").append(esc(img)).append("\" alt=\"").append(esc(img)).append("\"></p>");
        }
        html.append("<p>Raw numbers: <a href=\"result.json\">result.json</a></p></body></html>\n");
        Path page = dir.resolve("index.html");
        Files.writeString(page, html, StandardCharsets.UTF_8);
        return page;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
