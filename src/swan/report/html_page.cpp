#include "swan/report/html_page.h"

#include <fmt/format.h>

#include <cmath>

#include "swan/io/atomic_file.h"
#include "swan/mlx/size_summary.h"
#include "swan/report/charts.h"
#include "swan/report/svg.h"

namespace swan::report {

namespace {

constexpr const char* kStyle = R"(
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #d0d4d9; --accent: #1f5fbf; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
       margin: 0 auto; padding: 16px 24px 48px; max-width: 1180px; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid var(--line); }
p.explain { color: var(--muted); margin: 2px 0 8px; max-width: 80ch; }
p.missing { background: #fff6e0; border-left: 4px solid #e0a800; padding: 8px 12px; max-width: 90ch; }
div.warnings p { background: #fdecea; border-left: 4px solid #c62828; padding: 8px 12px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: right; vertical-align: top; }
th { background: #f3f5f7; } td, th { white-space: nowrap; } td.text, th.text { text-align: left; }
td.text:last-child { white-space: normal; }
table.facts td:first-child { text-align: left; color: var(--muted); } table.facts td { text-align: left; white-space: normal; }
table.sortable th { cursor: pointer; } tr.pareto td { font-weight: 600; }
code { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.scroll { overflow-x: auto; max-width: 100%; }
svg.chart { font: 11px system-ui, "DejaVu Sans", sans-serif; background: #fff; }
svg .plot { fill: none; stroke: #888; } svg .grid { stroke: #eceff1; }
svg .axis-label { font-size: 12px; fill: var(--ink); } svg .tick { fill: var(--muted); }
svg .cell text { font-size: 9px; pointer-events: none; } svg .cell rect { stroke: #fff; }
svg .cell:hover rect { stroke: #000; stroke-width: 1.5; } svg .column-label, svg .strip-label { font-size: 10px; }
svg .frontier-line { fill: none; stroke: var(--accent); stroke-width: 2; } svg .frontier-point { fill: var(--accent); }
svg .chosen { fill: #e53935; stroke: #fff; stroke-width: 1.5; } svg .chosen-label { fill: #e53935; font-weight: 600; }
svg .budget { stroke: #e53935; stroke-dasharray: 5 4; } svg .budget-label { fill: #e53935; }
svg .metric-point { fill: var(--accent); fill-opacity: 0.6; } svg .annotation { font-size: 12px; }
svg .pareto-line { fill: none; stroke: #2e7d32; stroke-width: 2.5; stroke-opacity: 0.7; }
svg .variant circle { fill: #fff; stroke: #555; stroke-width: 1.5; } svg .variant.pareto circle { fill: #2e7d32; stroke: #2e7d32; }
svg .variant text { font-size: 10px; } svg .error-bar { stroke: #555; }
@media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; } svg.chart, table { break-inside: avoid; }
  .scroll { overflow: visible; } }
)";

// Sorting the tables by a column; marks the page ready. Errors are recorded on <html>.
constexpr const char* kErrorHook =
    "window.addEventListener('error',function(e){document.documentElement.setAttribute('data-script-error',"
    "String(e.message));});";
constexpr const char* kScript = R"(
(function () {
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('th').forEach(function (th, column) {
      th.addEventListener('click', function () {
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        var descending = th.getAttribute('data-order') !== 'descending';
        th.setAttribute('data-order', descending ? 'descending' : 'ascending');
        rows.sort(function (a, b) {
          var x = a.cells[column].getAttribute('data-v'), y = b.cells[column].getAttribute('data-v');
          var nx = parseFloat(x), ny = parseFloat(y), c;
          if (!isNaN(nx) && !isNaN(ny)) c = nx - ny; else c = String(x).localeCompare(String(y));
          return descending ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  document.body.setAttribute('data-report-ready', '1');
})();
)";

std::string bytes_text(std::uint64_t bytes) { return fmt::format("{} ({} bytes)", mlx::format_bytes(bytes), bytes); }

std::string fact(const std::string& name, const std::string& value_html) {
  return fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", xml_escape(name), value_html);
}

std::string header_html(const ReportData& d) {
  const auto& h = d.header;
  std::string out = fmt::format("<h1>swan report: {}</h1>\n", xml_escape(h.model.empty() ? "unnamed model" : h.model));
  out += "<table class=\"facts\" id=\"facts\">\n";
  out += fact("model", xml_escape(h.model.empty() ? "unknown" : h.model));
  out += fact("architecture", xml_escape(h.architecture.empty() ? "unknown" : h.architecture));
  out += fact("parameters", h.total_params ? fmt::format("{}", *h.total_params) : "unknown");
  out += fact("original bytes", h.original_bytes ? bytes_text(*h.original_bytes) : "unknown (give the model directory)");
  out += fact("output bytes", h.output_bytes ? bytes_text(*h.output_bytes) : "unknown (no written model or plan sizes)");
  out += fact("bits/weight", h.bits_per_weight_with_overhead
                                 ? fmt::format("{:.3f} with scales and biases, {:.3f} without",
                                               *h.bits_per_weight_with_overhead, h.bits_per_weight.value_or(0.0))
                                 : "unknown");
  if (h.original_bytes && h.output_bytes && *h.output_bytes > 0)
    out += fact("compression", fmt::format("{:.2f}× smaller than the input",
                                           static_cast<double>(*h.original_bytes) / static_cast<double>(*h.output_bytes)));
  out += fact("method", xml_escape(h.method) + (h.scales.empty() ? "" : xml_escape(", " + h.scales + " scales")));
  out += fact("budget", xml_escape(!h.budget.empty()     ? h.budget
                                   : h.method == "budget" ? "not recorded in the plan (see bits/weight)"
                                                          : "none (not a budget plan)"));
  out += fact("swan version", xml_escape(h.swan_version) +
                                  (h.analysis_version.empty() ? ""
                                                              : xml_escape(" (manifest made by swan " + h.analysis_version + ")")));
  out += fact("command", h.command.empty() ? "not recorded in the inputs"
                                           : "<code>" + xml_escape(h.command) + "</code>");
  if (!h.report_command.empty()) out += fact("report made by", "<code>" + xml_escape(h.report_command) + "</code>");
  if (!h.timestamp.empty()) out += fact("generated", xml_escape(h.timestamp));
  out += "</table>\n";
  if (!d.warnings.empty()) {
    out += "<div class=\"warnings\">\n";
    for (const auto& w : d.warnings) out += "<p>" + xml_escape(w) + "</p>\n";
    out += "</div>\n";
  }
  return out;
}

std::string missing_html(const ReportData& d, const char* section, const std::string& fallback) {
  const auto it = d.missing.find(section);
  return fmt::format("<p class=\"missing\" data-section=\"{}\">{}</p>\n", section,
                     xml_escape(it != d.missing.end() ? it->second : fallback));
}

// A chart, or its section's explanation when it has no data.
std::string chart_or_missing(const ReportData& d, const char* section, const std::string& svg,
                             const std::string& fallback) {
  if (d.missing.count(section) || svg.empty()) return missing_html(d, section, fallback);
  return "<div class=\"scroll\">" + svg + "</div>\n";
}

std::string optional_number(const std::optional<double>& v, int decimals) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : "–";
}

std::string with_error(const std::optional<double>& v, const std::optional<double>& e, int decimals) {
  if (!v) return "–";
  return e ? fmt::format("{:.{}f} ± {:.{}f}", *v, decimals, *e, decimals) : fmt::format("{:.{}f}", *v, decimals);
}

std::string variants_table(const ReportData& d) {
  std::string out =
      "<table class=\"sortable\" id=\"variants\"><thead><tr><th class=\"text\">variant</th><th>bits/weight</th>"
      "<th>bytes</th><th>KLD mean ± se</th><th>KLD p99</th><th>top-1 agreement % ± se</th><th>PPL ± se</th>"
      "<th>tokens</th><th class=\"text\">note</th></tr></thead><tbody>\n";
  for (const auto& v : d.variants) {
    out += fmt::format(
        "<tr{}><td class=\"text\" data-v=\"{}\">{}{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>"
        "<td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>"
        "<td>{}</td><td class=\"text\">{}</td></tr>\n",
        v.pareto ? " class=\"pareto\"" : "", xml_escape(v.label), xml_escape(v.label), v.pareto ? " ★" : "",
        v.bits_per_weight.value_or(-1), optional_number(v.bits_per_weight, 3), v.bytes.value_or(0),
        v.bytes ? fmt::format("{}", *v.bytes) : "–", v.kld_mean,
        with_error(v.kld_mean, v.kld_stderr, 5), v.kld_p99.value_or(-1), optional_number(v.kld_p99, 4),
        v.top1.value_or(-1), with_error(v.top1, v.top1_stderr, 2), v.ppl.value_or(-1),
        with_error(v.ppl, v.ppl_stderr, 4), v.tokens_scored ? fmt::format("{}", *v.tokens_scored) : "–",
        xml_escape(v.note));
  }
  return out + "</tbody></table>\n";
}

std::string tensors_table(const ReportData& d) {
  std::string out =
      "<table class=\"sortable\" id=\"tensors\"><thead><tr><th class=\"text\">tensor</th><th>layer</th>"
      "<th class=\"text\">role</th><th>params</th><th>bits</th><th>group</th><th>bytes</th><th>relative error</th>"
      "<th>SQNR dB</th><th>SWAN score</th></tr></thead><tbody>\n";
  for (const auto& r : d.tensors) {
    const bool measured = r.relative_error && *r.relative_error > 0;
    out += fmt::format(
        "<tr><td class=\"text\" data-v=\"{0}\"><code>{0}</code></td><td data-v=\"{1}\">{2}</td>"
        "<td class=\"text\" data-v=\"{3}\">{3}</td><td data-v=\"{4}\">{4}</td><td data-v=\"{5}\">{6}</td>"
        "<td data-v=\"{7}\">{8}</td><td data-v=\"{9}\">{10}</td><td data-v=\"{11}\">{12}</td>"
        "<td data-v=\"{13}\">{14}</td><td data-v=\"{15}\">{16}</td></tr>\n",
        xml_escape(r.name), r.layer.value_or(-1), r.layer ? fmt::format("{}", *r.layer) : "–", xml_escape(r.role),
        r.params, r.group_size ? r.bits : 16, r.group_size ? fmt::format("{}", r.bits) : fmt::format("float{}", r.bits),
        r.group_size, r.group_size ? fmt::format("{}", r.group_size) : "–", r.bytes.value_or(0),
        r.bytes ? fmt::format("{}", *r.bytes) : "–", r.relative_error.value_or(-1),
        r.relative_error ? short_number(*r.relative_error, 3) : "–",
        measured ? -10.0 * std::log10(*r.relative_error) : -1.0,
        measured ? fmt::format("{:.1f}", -10.0 * std::log10(*r.relative_error)) : "–", r.composite_score.value_or(-1),
        r.composite_score ? fmt::format("{:.3f}", *r.composite_score) : "–");
  }
  return out + "</tbody></table>\n";
}

}  // namespace

std::string render_html(const ReportData& d) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>swan report: {}</title>\n", xml_escape(d.header.model));
  out += fmt::format("<script>{}</script>\n<style>{}</style>\n</head>\n<body>\n", kErrorHook, kStyle);
  out += header_html(d);

  out += "<h2>Where the bits went</h2>\n<p class=\"explain\">One cell per quantizable tensor, coloured by its bits; "
         "the label is bits·group size. Hover a cell for its size and the reconstruction error of its option "
         "(relative error ‖W−Q(W)‖²/‖W‖² from the analysis' error curves).</p>\n";
  out += chart_or_missing(d, kHeatmap, d.missing.count(kHeatmap) ? "" : heatmap_svg(d), "No tensors to show.");

  out += "<h2>Measured quality of the variants</h2>\n<p class=\"explain\">Each variant measured with <code>swan eval "
         "kld</code> against the original model over the same tokens: bits per weight against mean KL-divergence "
         "(log scale, ± one standard error). Filled green points form the Pareto front: no other variant is both "
         "smaller and closer to the original.</p>\n";
  out += chart_or_missing(d, kEvalPareto, eval_pareto_svg(d), "No eval results can be drawn.");
  if (!d.variants.empty()) out += variants_table(d);

  out += "<h2>What it costs</h2>\n<p class=\"explain\">Bytes written per module type (codes, scales and biases of "
         "quantized tensors; floats as stored), and the share of parameters at each bits and group size.</p>\n"
         "<div class=\"charts\">\n";
  out += chart_or_missing(d, kBytesByModule, bytes_by_module_svg(d),
                          "Bytes are not known: give the MLX output directory, or the model directory with the plan.");
  out += chart_or_missing(d, kBitsHistogram, bits_histogram_svg(d), "No tensors to count.");
  out += "</div>\n";

  out += "<h2>The planner's frontier</h2>\n<p class=\"explain\">The lowest predicted error swan's planner finds at "
         "each output size (Σ over tensors of weight × relative error, the weights being ";
  out += xml_escape(d.frontier ? d.frontier->weights : std::string("its role priors"));
  out += "), with this model's allocation and its budget marked. A point far above the line means the same bytes "
         "could have bought less damage.</p>\n";
  out += chart_or_missing(d, kFrontier, d.frontier ? frontier_svg(*d.frontier) : "",
                          "The frontier could not be drawn.");

  out += "<h2>Does the metric track the error?</h2>\n<p class=\"explain\">Each analysed tensor: ";
  out += scatter_metric(d) == "composite" ? "SWAN's composite score" : "its kurtosis";
  out += " against the relative error it actually gets at 4-bit (measured by quantizing it). A metric that ranks "
         "tensors by real damage shows a rising cloud and a Spearman ρ near 1.</p>\n";
  out += chart_or_missing(d, kMetricScatter, metric_scatter_svg(d), "No analysed tensors with scores and curves.");

  out += "<h2>Every tensor</h2>\n<p class=\"explain\">Click a column header to sort.</p>\n";
  out += "<div class=\"scroll\">" + tensors_table(d) + "</div>\n";
  out += fmt::format("<script>{}</script>\n</body>\n</html>\n", kScript);
  return out;
}

void write_report(const ReportData& data, const std::filesystem::path& path) {
  write_file_atomically(path, render_html(data), "the report");
}

}  // namespace swan::report
