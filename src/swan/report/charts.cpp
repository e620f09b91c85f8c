#include "swan/report/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "swan/mlx/size_summary.h"
#include "swan/model/tensor_role.h"
#include "swan/report/svg.h"

namespace swan::report {

namespace {

std::string precision_text(int bits, int group_size) {
  return group_size ? fmt::format("{}-bit g{}", bits, group_size) : fmt::format("float ({}-bit)", bits);
}

std::string error_text(const std::optional<double>& relative_error) {
  if (!relative_error) return "error not measured (no error curve)";
  if (*relative_error == 0.0) return "relative error 0 (float)";
  return fmt::format("relative error {} (SQNR {:.1f} dB)", short_number(*relative_error),
                     -10.0 * std::log10(*relative_error));
}

constexpr double kMiB = 1024.0 * 1024.0;
std::string percent_tick(double v) { return short_number(v) + "%"; }

// Display label of a heatmap column: the module's last part, with "experts."/"shared." when
// the path says so.
std::string column_label(const std::string& module) {
  const auto dot = module.rfind('.');
  std::string last = dot == std::string::npos ? module : module.substr(dot + 1);
  if (module.find("shared_expert") != std::string::npos && last != "shared_expert_gate") return "shared." + last;
  if (module.find("switch_mlp") != std::string::npos || module.find("experts") != std::string::npos)
    return "experts." + last;
  return last;
}

std::vector<int> bits_present(const ReportData& data) {
  std::set<int> bits;
  for (const auto& r : data.tensors) bits.insert(r.group_size ? r.bits : 16);
  return {bits.begin(), bits.end()};
}

}  // namespace

std::string heatmap_svg(const ReportData& data) {
  // Columns in the order of a block's data flow (q, k, v, o, gate, up, down, experts, router),
  // then by name.
  std::vector<std::string> columns;
  std::vector<const TensorRow*> outside;
  std::set<int> layers;
  for (const auto& r : data.tensors) {
    if (!r.quantizable) continue;
    if (!r.layer) {
      outside.push_back(&r);
      continue;
    }
    layers.insert(*r.layer);
    if (std::find(columns.begin(), columns.end(), r.module) == columns.end()) columns.push_back(r.module);
  }
  auto role_rank = [&](const std::string& module) {
    for (const auto& r : data.tensors)
      if (r.module == module) return static_cast<int>(model::tensor_role(r.name));
    return 0;
  };
  std::stable_sort(columns.begin(), columns.end(), [&](const std::string& a, const std::string& b) {
    const int ra = role_rank(a), rb = role_rank(b);
    return ra != rb ? ra < rb : a < b;
  });
  const int cell_w = 58, cell_h = 16, label_w = 60, header_h = 70, strip_h = outside.empty() ? 0 : 40;
  ChartFrame frame;
  frame.id = kHeatmap;
  frame.title = "Bits per tensor: rows are layers, columns are modules";
  frame.x_label = "module";
  frame.y_label = "layer";
  frame.left = label_w + 20;
  frame.top = strip_h + header_h;
  const int grid_w = std::max<int>(1, static_cast<int>(columns.size())) * cell_w;
  const int strip_w = static_cast<int>(outside.size()) * (cell_w * 2 + 8);
  frame.width = std::max({frame.left + grid_w + 20, frame.left + strip_w + 20, 520});
  frame.height = frame.top + static_cast<int>(layers.size()) * cell_h + 60;
  frame.bottom = 60;
  frame.right = frame.width - frame.left - grid_w;
  std::string out = frame.open_without_axes();
  auto cell = [&](const TensorRow& r, double x, double y, double w, double h) {
    const int shown_bits = r.group_size ? r.bits : 16;
    std::string bytes = r.bytes ? fmt::format(", {} ({} bytes)", mlx::format_bytes(*r.bytes), *r.bytes) : "";
    std::string score = r.composite_score ? fmt::format("\nSWAN composite score {:.3f}", *r.composite_score) : "";
    return fmt::format(
        "<g class=\"cell\" data-tensor=\"{0}\" data-bits=\"{1}\" data-group-size=\"{2}\">"
        "<title>{0}\n{3}, {4} params{5}\n{6}{7}</title>"
        "<rect x=\"{8:.1f}\" y=\"{9:.1f}\" width=\"{10:.1f}\" height=\"{11:.1f}\" fill=\"{12}\"/>"
        "<text x=\"{13:.1f}\" y=\"{14:.1f}\" text-anchor=\"middle\">{15}</text></g>\n",
        xml_escape(r.name), r.bits, r.group_size, precision_text(r.bits, r.group_size), r.params, bytes,
        error_text(r.relative_error), score, x, y, w - 1, h - 1, bits_colour(shown_bits), x + w / 2, y + h / 2 + 4,
        r.group_size ? fmt::format("{}·g{}", r.bits, r.group_size) : "float");
  };
  // Tensors outside the layers (embeddings, output head): a labelled strip on top.
  double x = frame.left;
  for (const auto* r : outside) {
    out += fmt::format("<text class=\"strip-label\" x=\"{:.1f}\" y=\"{}\">{}</text>\n", x, 12,
                       xml_escape(r->module));
    out += cell(*r, x, 16, cell_w * 2, cell_h + 4);
    x += cell_w * 2 + 8;
  }
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const double cx = frame.left + c * cell_w + cell_w / 2.0;
    out += fmt::format(
        "<text class=\"column-label\" transform=\"translate({:.1f} {}) rotate(-40)\"><title>{}</title>{}</text>\n", cx,
        frame.top - 6, xml_escape(columns[c]), xml_escape(column_label(columns[c])));
  }
  std::map<std::pair<int, std::string>, const TensorRow*> grid;
  for (const auto& r : data.tensors)
    if (r.quantizable && r.layer) grid[{*r.layer, r.module}] = &r;
  int row = 0;
  for (const int layer : layers) {
    const double y = frame.top + row * cell_h;
    out += fmt::format("<text class=\"row-label\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
                       frame.left - 6, y + cell_h - 4, layer);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const auto it = grid.find({layer, columns[c]});
      if (it != grid.end()) out += cell(*it->second, frame.left + c * cell_w, y, cell_w, cell_h);
    }
    ++row;
  }
  // Two tensors of one layer can map to the same cell only if their names differ by a part
  // module_column drops; draw such (unexpected) ones in the strip's place so none is lost.
  for (const auto& r : data.tensors)
    if (r.quantizable && r.layer && grid.at({*r.layer, r.module}) != &r)
      out += cell(r, frame.left, frame.height - 40, cell_w, cell_h);
  out += frame.axis_labels();
  out += bits_legend(bits_present(data), frame.left, frame.height - 34);
  return out + ChartFrame::close();
}

std::string bytes_by_module_svg(const ReportData& data) {
  std::vector<std::string> roles;
  std::map<std::string, std::map<int, std::uint64_t>> bytes;  // role -> bits -> bytes
  double highest = 0;
  for (const auto& r : data.tensors) {
    if (!r.bytes) return {};
    if (!bytes.count(r.role)) roles.push_back(r.role);
    bytes[r.role][r.group_size ? r.bits : 16] += *r.bytes;
  }
  for (const auto& [role, by_bits] : bytes) {
    double total = 0;
    for (const auto& [b, n] : by_bits) total += static_cast<double>(n);
    highest = std::max(highest, total);
  }
  ChartFrame frame;
  frame.id = kBytesByModule;
  frame.title = "Bytes by module type, stacked by bits";
  frame.x_label = "module type";
  frame.y_label = "bytes written (MiB)";
  frame.bottom = 110;
  frame.width = std::max(420, 90 + 52 * static_cast<int>(roles.size()));
  frame.height = 400;
  const Scale y_mib = linear_scale(0, highest / kMiB, frame.plot_bottom(), frame.plot_top(), true);
  auto y = [&](double bytes) { return y_mib(bytes / kMiB); };
  std::string out = frame.open_without_axes();
  out += fmt::format("<rect class=\"plot\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", frame.left, frame.top,
                     frame.width - frame.left - frame.right, frame.height - frame.top - frame.bottom);
  for (const double t : y_mib.ticks())
    out += fmt::format("<line class=\"grid\" x1=\"{1}\" y1=\"{0:.1f}\" x2=\"{2}\" y2=\"{0:.1f}\"/>"
                       "<text class=\"tick y\" x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                       y_mib(t), frame.plot_left(), frame.plot_right(), frame.plot_left() - 6, y_mib(t) + 4,
                       short_number(t));
  const double band = (frame.plot_right() - frame.plot_left()) / std::max<std::size_t>(1, roles.size());
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const double x = frame.plot_left() + i * band + band * 0.15;
    double stacked = 0;
    for (const auto& [bits, n] : bytes[roles[i]]) {
      const double y0 = y(stacked), y1 = y(stacked + static_cast<double>(n));
      out += fmt::format(
          "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
          "<title>{}: {} in {} tensors ({} bytes)</title></rect>\n",
          x, y1, band * 0.7, std::max(0.0, y0 - y1), bits_colour(bits), xml_escape(roles[i]),
          bits >= 16 ? "float" : fmt::format("{}-bit", bits), mlx::format_bytes(n), n);
      stacked += static_cast<double>(n);
    }
    out += fmt::format("<text class=\"tick x\" transform=\"translate({:.1f} {:.1f}) rotate(-40)\" "
                       "text-anchor=\"end\">{}</text>\n",
                       x + band * 0.35, frame.plot_bottom() + 12, xml_escape(roles[i]));
  }
  out += frame.axis_labels();
  out += bits_legend(bits_present(data), frame.left, 2);
  return out + ChartFrame::close();
}

std::string bits_histogram_svg(const ReportData& data) {
  std::map<std::pair<int, int>, std::uint64_t> params;  // (bits, group) -> params
  std::uint64_t total = 0;
  for (const auto& r : data.tensors) {
    params[{r.group_size ? r.bits : 16, r.group_size}] += r.params;
    total += r.params;
  }
  if (total == 0) return {};
  ChartFrame frame;
  frame.id = kBitsHistogram;
  frame.title = "Parameters by bits and group size";
  frame.x_label = "bits · group size";
  frame.y_label = "share of parameters (%)";
  frame.width = std::max(420, 90 + 56 * static_cast<int>(params.size()));
  frame.height = 360;
  frame.bottom = 60;
  double highest = 0;
  for (const auto& [key, n] : params) highest = std::max(highest, 100.0 * n / total);
  const Scale y = linear_scale(0, highest, frame.plot_bottom(), frame.plot_top(), true);
  std::string out = frame.open_without_axes();
  out += fmt::format("<rect class=\"plot\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", frame.left, frame.top,
                     frame.width - frame.left - frame.right, frame.height - frame.top - frame.bottom);
  for (const double t : y.ticks())
    out += fmt::format("<line class=\"grid\" x1=\"{1}\" y1=\"{0:.1f}\" x2=\"{2}\" y2=\"{0:.1f}\"/>"
                       "<text class=\"tick y\" x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                       y(t), frame.plot_left(), frame.plot_right(), frame.plot_left() - 6, y(t) + 4, percent_tick(t));
  const double band = (frame.plot_right() - frame.plot_left()) / params.size();
  std::size_t i = 0;
  for (const auto& [key, n] : params) {
    const auto [bits, group] = key;
    const double share = 100.0 * n / total;
    const double x = frame.plot_left() + i * band + band * 0.15;
    out += fmt::format("<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
                       "<title>{}: {} parameters ({:.1f} %)</title></rect>\n",
                       x, y(share), band * 0.7, y(0) - y(share), bits_colour(bits),
                       group ? fmt::format("{}-bit g{}", bits, group) : "float", n, share);
    out += fmt::format("<text class=\"tick x\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                       x + band * 0.35, frame.plot_bottom() + 16,
                       group ? fmt::format("{}·g{}", bits, group) : "float");
    ++i;
  }
  out += frame.axis_labels();
  return out + ChartFrame::close();
}

std::string frontier_svg(const Frontier& f) {
  std::vector<FrontierPoint> shown;
  for (const auto& p : f.points)
    if (p.predicted_error > 0) shown.push_back(p);
  if (shown.empty()) return {};
  double x_lo = shown.front().bytes, x_hi = shown.back().bytes;
  double y_lo = INFINITY, y_hi = 0;
  for (const auto& p : shown) y_lo = std::min(y_lo, p.predicted_error), y_hi = std::max(y_hi, p.predicted_error);
  if (f.chosen && f.chosen->predicted_error > 0) {
    x_lo = std::min<double>(x_lo, f.chosen->bytes), x_hi = std::max<double>(x_hi, f.chosen->bytes);
    y_lo = std::min(y_lo, f.chosen->predicted_error), y_hi = std::max(y_hi, f.chosen->predicted_error);
  }
  if (f.budget_bytes) x_lo = std::min<double>(x_lo, *f.budget_bytes), x_hi = std::max<double>(x_hi, *f.budget_bytes);
  ChartFrame frame;
  frame.id = kFrontier;
  frame.title = "Planner frontier: predicted error against total bytes";
  frame.x_label = "total bytes of the output (MiB)";
  frame.y_label = "predicted error Σ weight·relative error (log)";
  frame.width = 680;
  frame.height = 380;
  frame.left = 80;
  const Scale x_mib = linear_scale(x_lo / kMiB, x_hi / kMiB, frame.plot_left(), frame.plot_right());
  auto x = [&](double bytes) { return x_mib(bytes / kMiB); };
  const Scale y = log_scale(y_lo, y_hi, frame.plot_bottom(), frame.plot_top());
  std::string out = frame.open(x_mib, y);
  std::string path;
  for (const auto& p : shown) path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", x(p.bytes), y(p.predicted_error));
  out += fmt::format("<path class=\"frontier-line\" d=\"{}\"/>\n", path);
  auto bpw = [&](std::uint64_t bytes) {
    return f.total_params ? 8.0 * static_cast<double>(bytes) / static_cast<double>(f.total_params) : 0.0;
  };
  for (const auto& p : shown)
    out += fmt::format("<circle class=\"frontier-point\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\"><title>{} bytes "
                       "({:.3f} bits/weight): predicted error {}</title></circle>\n",
                       x(p.bytes), y(p.predicted_error), p.bytes, bpw(p.bytes), short_number(p.predicted_error, 4));
  if (f.budget_bytes) {
    const double bx = x(*f.budget_bytes);
    out += fmt::format("<line class=\"budget\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>"
                       "<text class=\"budget-label\" x=\"{3:.1f}\" y=\"{4}\">budget {5:.3f} bits/weight</text>\n",
                       bx, frame.plot_top(), frame.plot_bottom(), bx + 4, frame.plot_top() + 12,
                       bpw(*f.budget_bytes));
  }
  if (f.chosen && f.chosen->predicted_error > 0)
    out += fmt::format("<circle class=\"chosen\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"6\"><title>this model: {} bytes "
                       "({:.3f} bits/weight), predicted error {}</title></circle>"
                       "<text class=\"chosen-label\" x=\"{:.1f}\" y=\"{:.1f}\">this model</text>\n",
                       x(f.chosen->bytes), y(f.chosen->predicted_error), f.chosen->bytes, bpw(f.chosen->bytes),
                       short_number(f.chosen->predicted_error, 4), x(f.chosen->bytes) + 8,
                       y(f.chosen->predicted_error) - 8);
  return out + ChartFrame::close();
}

std::string scatter_metric(const ReportData& data) {
  for (const auto& p : data.metric_points)
    if (p.composite_score) return "composite";
  return "kurtosis";
}

double spearman_rho(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  if (n < 3 || b.size() != n) return 0.0;
  auto ranks = [n](const std::vector<double>& v) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return v[i] < v[j]; });
    std::vector<double> r(n);
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i;
      while (j + 1 < n && v[order[j + 1]] == v[order[i]]) ++j;
      for (std::size_t k = i; k <= j; ++k) r[order[k]] = (i + j) / 2.0;
      i = j + 1;
    }
    return r;
  };
  const auto ra = ranks(a), rb = ranks(b);
  const double mean = (n - 1) / 2.0;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

std::string metric_scatter_svg(const ReportData& data) {
  const bool composite = scatter_metric(data) == "composite";
  std::vector<const MetricPoint*> points;
  std::vector<double> xs, ys;
  for (const auto& p : data.metric_points) {
    const std::optional<double> x = composite ? p.composite_score
                                              : (p.kurtosis ? std::optional(*p.kurtosis + 3.0) : std::nullopt);
    if (!x || !(p.error_at_4bit > 0) || (!composite && !(*x > 0))) continue;
    points.push_back(&p);
    xs.push_back(*x);
    ys.push_back(p.error_at_4bit);
  }
  if (points.empty()) return {};
  ChartFrame frame;
  frame.id = kMetricScatter;
  frame.title = composite ? "SWAN composite score against measured 4-bit error"
                          : "Kurtosis against measured 4-bit error";
  frame.x_label = composite ? "SWAN composite score" : "kurtosis (excess + 3, log)";
  frame.y_label = "relative error at 4-bit (log)";
  frame.width = 620;
  frame.height = 380;
  frame.left = 80;
  const auto [xmin, xmax] = std::minmax_element(xs.begin(), xs.end());
  const auto [ymin, ymax] = std::minmax_element(ys.begin(), ys.end());
  const Scale x = composite ? linear_scale(*xmin, *xmax, frame.plot_left(), frame.plot_right())
                            : log_scale(*xmin, *xmax, frame.plot_left(), frame.plot_right());
  const Scale y = log_scale(*ymin, *ymax, frame.plot_bottom(), frame.plot_top());
  std::string out = frame.open(x, y);
  for (std::size_t i = 0; i < points.size(); ++i)
    out += fmt::format("<circle class=\"metric-point\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\"><title>{}\n{} {}, "
                       "4-bit g{} relative error {}</title></circle>\n",
                       x(xs[i]), y(ys[i]), xml_escape(points[i]->name), composite ? "score" : "kurtosis",
                       short_number(xs[i], 4), points[i]->group_size, short_number(ys[i], 4));
  out += fmt::format("<text class=\"annotation\" x=\"{}\" y=\"{}\">Spearman ρ = {:.2f} over {} tensors</text>\n",
                     frame.plot_left() + 8, frame.plot_top() + 14, spearman_rho(xs, ys), points.size());
  return out + ChartFrame::close();
}

std::string eval_pareto_svg(const ReportData& data) {
  std::vector<const EvalVariant*> shown;
  for (const auto& v : data.variants)
    if (v.on_chart && v.bits_per_weight && v.kld_mean > 0) shown.push_back(&v);
  if (shown.empty()) return {};
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = 0;
  for (const auto* v : shown) {
    x_lo = std::min(x_lo, *v->bits_per_weight), x_hi = std::max(x_hi, *v->bits_per_weight);
    const double low = v->kld_mean - v->kld_stderr > 0 ? v->kld_mean - v->kld_stderr : v->kld_mean;
    y_lo = std::min(y_lo, low), y_hi = std::max(y_hi, v->kld_mean + v->kld_stderr);
  }
  ChartFrame frame;
  frame.id = kEvalPareto;
  frame.title = "Measured variants: bits per weight against mean KL-divergence";
  frame.x_label = "bits per weight (scales and biases included)";
  frame.y_label = "mean KLD from the original, nats (log)";
  frame.width = 720;
  frame.height = 420;
  frame.left = 80;
  frame.right = 130;
  const Scale x = linear_scale(x_lo - 0.1, x_hi + 0.1, frame.plot_left(), frame.plot_right());
  const Scale y = log_scale(y_lo, y_hi, frame.plot_bottom(), frame.plot_top());
  std::string out = frame.open(x, y);
  std::string front;
  for (const auto* v : shown)
    if (v->pareto)
      front += fmt::format("{}{:.1f},{:.1f}", front.empty() ? "M" : " L", x(*v->bits_per_weight), y(v->kld_mean));
  if (!front.empty()) out += fmt::format("<path class=\"pareto-line\" d=\"{}\"/>\n", front);
  for (const auto* v : shown) {
    const double px = x(*v->bits_per_weight), py = y(v->kld_mean);
    const double low = v->kld_mean - v->kld_stderr > 0 ? v->kld_mean - v->kld_stderr : v->kld_mean;
    out += fmt::format("<g class=\"variant{}\" data-variant=\"{}\"><title>{}: {:.3f} bits/weight, KLD {} ± {}{}</title>"
                       "<line class=\"error-bar\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>"
                       "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4.5\"/>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text></g>\n",
                       v->pareto ? " pareto" : "", xml_escape(v->label), xml_escape(v->label), *v->bits_per_weight,
                       short_number(v->kld_mean, 4), short_number(v->kld_stderr, 2),
                       v->pareto ? " (Pareto front)" : "", px, y(low), px, y(v->kld_mean + v->kld_stderr), px, py,
                       px + 7, py - 6, xml_escape(v->label));
  }
  return out + ChartFrame::close();
}

}  // namespace swan::report
