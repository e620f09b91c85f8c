// Size accounting for MLX / HF model directories.
#include "swan/mlx/size_summary.h"

#include <fmt/format.h>

#include <algorithm>

namespace swan::mlx {

void SizeSummary::add(ParameterSize size) {
  total_params += size.params;
  total_bytes += size.bytes;
  parameters.push_back(std::move(size));
}

std::map<int, std::uint64_t> SizeSummary::params_by_bits() const {
  std::map<int, std::uint64_t> out;
  for (const auto& p : parameters) out[p.bits] += p.params;
  return out;
}

double SizeSummary::bits_per_weight() const {
  if (total_params == 0) return 0.0;
  double sum = 0.0;
  for (const auto& p : parameters) sum += static_cast<double>(p.params) * p.bits;
  return sum / static_cast<double>(total_params);
}

double SizeSummary::bits_per_weight_with_overhead() const {
  return total_params == 0 ? 0.0 : 8.0 * static_cast<double>(total_bytes) / static_cast<double>(total_params);
}

SizeSummary summarize(const MlxLayout& layout, const plan::QuantPlan& plan) {
  SizeSummary summary;
  std::vector<ParameterSize> sizes(layout.parameters.size());
  for (std::size_t i = 0; i < layout.parameters.size(); ++i) {
    const auto& p = layout.parameters[i];
    auto& s = sizes[i];
    s.name = p.parameter.name;
    s.dtype = std::string(dtype_name(p.dtype));
    s.quantized = p.decision.is_quantized();
    s.bits = s.quantized ? p.decision.bits : static_cast<int>(dtype_size(p.dtype) * 8);
    s.group_size = s.quantized ? p.decision.group_size : 0;
    s.params = static_cast<std::uint64_t>(p.num_elements());
    if (const auto* entry = plan.find(p.parameter.name)) s.note = entry->fallback_note();
  }
  for (const auto& t : layout.tensors) sizes[t.parameter].bytes += t.spec.nbytes();
  for (auto& s : sizes) summary.add(std::move(s));
  return summary;
}

nlohmann::ordered_json to_json(const SizeSummary& summary) {
  nlohmann::ordered_json j;
  auto& rows = j["parameters"] = nlohmann::ordered_json::array();
  for (const auto& p : summary.parameters) {
    nlohmann::ordered_json r;
    r["name"] = p.name;
    r["quantized"] = p.quantized;
    r["bits"] = p.bits;
    r["group_size"] = p.quantized ? nlohmann::ordered_json(p.group_size) : nlohmann::ordered_json(nullptr);
    r["dtype"] = p.dtype;
    r["params"] = p.params;
    r["bytes"] = p.bytes;
    if (!p.note.empty()) r["note"] = p.note;
    rows.push_back(std::move(r));
  }
  j["total_params"] = summary.total_params;
  j["total_bytes"] = summary.total_bytes;
  j["bits_per_weight"] = summary.bits_per_weight();
  j["bits_per_weight_with_overhead"] = summary.bits_per_weight_with_overhead();
  auto& dist = j["params_by_bits"] = nlohmann::ordered_json::object();
  for (const auto& [bits, params] : summary.params_by_bits()) dist[std::to_string(bits)] = params;
  return j;
}

std::string format_bytes(std::uint64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes >= (1ull << 30)) return fmt::format("{:.2f} GiB", b / (1ull << 30));
  if (bytes >= (1ull << 20)) return fmt::format("{:.2f} MiB", b / (1ull << 20));
  if (bytes >= (1ull << 10)) return fmt::format("{:.1f} KiB", b / (1ull << 10));
  return fmt::format("{} B", bytes);
}

std::string format_table(const SizeSummary& summary) {
  std::size_t width = 6;
  for (const auto& p : summary.parameters) width = std::max(width, p.name.size());
  std::string out = fmt::format("{:<{}}  {:>5}  {:>5}  {:>5}  {:>12}  {:>12}\n", "tensor", width, "bits", "group",
                                "dtype", "params", "bytes");
  for (const auto& p : summary.parameters) {
    out += fmt::format("{:<{}}  {:>5}  {:>5}  {:>5}  {:>12}  {:>12}{}\n", p.name, width, p.bits,
                       p.quantized ? std::to_string(p.group_size) : "-", p.dtype, p.params, p.bytes,
                       p.note.empty() ? "" : "  (" + p.note + ")");
  }
  out += fmt::format("\n{} parameters, {} bytes ({})\n", summary.total_params, summary.total_bytes,
                     format_bytes(summary.total_bytes));
  out += fmt::format("average bits per weight: {:.3f} (without scales/biases), {:.3f} (with)\n",
                     summary.bits_per_weight(), summary.bits_per_weight_with_overhead());
  for (const auto& [bits, params] : summary.params_by_bits())
    out += fmt::format("  {:>2}-bit: {:>12} params ({:.1f} %)\n", bits, params,
                       summary.total_params ? 100.0 * static_cast<double>(params) / summary.total_params : 0.0);
  return out;
}

}  // namespace swan::mlx
