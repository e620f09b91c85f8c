#include "swan/analysis/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

namespace swan::analysis {
namespace {

std::map<int, std::int64_t> tensors_per_bits(const Manifest& m) {
  std::map<int, std::int64_t> counts;
  for (const auto& [bits, share] : m.summary.bits_distribution) counts[bits] = 0;
  for (const auto& shard : m.shards)
    for (const auto& t : shard.tensors) ++counts[t.decision.bits];
  return counts;
}

std::string params_text(std::int64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f} B", n / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.2f} M", n / 1e6);
  if (n >= 1'000) return fmt::format("{:.1f} K", n / 1e3);
  return fmt::format("{}", n);
}

}  // namespace

std::string format_summary(const Manifest& m, const std::string& manifest_path) {
  const ManifestSummary& s = m.summary;
  std::string out = fmt::format("{}: {} tensors, {} params, analysed in {:.2f}s\n", m.model, s.tensor_count,
                                params_text(s.total_params), s.analysis_time_seconds);
  out += "   bits  tensors      params   share\n";
  const auto counts = tensors_per_bits(m);
  for (const auto& [bits, share] : s.bits_distribution) {
    const int bar = static_cast<int>(share.percentage / 2.5 + 0.5);
    out += fmt::format("  {:>5}  {:>7}  {:>10}  {:>5.1f}%  {}\n", bits, counts.at(bits), params_text(share.params),
                       share.percentage, std::string(static_cast<std::size_t>(bar), '#'));
  }
  const std::string size = s.estimated_size_gb >= 1.0 ? fmt::format("{:.2f} GiB", s.estimated_size_gb)
                                                       : fmt::format("{:.2f} MiB", s.estimated_size_gb * 1024.0);
  out += fmt::format("  average {:.3f} bits/weight, estimated size {} (SWAN's estimate: one fp16 scale per group)\n",
                     s.average_bits, size);
  const Thresholds& t = m.config.thresholds;
  if (m.run) {
    out += fmt::format("  thresholds {} (2-bit <= {:.2f}, 8-bit >= {:.2f}, 16-bit >= {:.2f}), noise metric {}, seed {}\n",
                       m.run->threshold_set, t.bits2, t.bits8, t.bits16, m.run->noise_metric, m.run->seed);
  }
  std::vector<const ManifestTensor*> scored;
  for (const auto& shard : m.shards)
    for (const auto& tensor : shard.tensors)
      if (tensor.raw && tensor.composite_score) scored.push_back(&tensor);
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto* a, const auto* b) { return *a->composite_score > *b->composite_score; });
  if (!scored.empty()) {
    out += "  most sensitive:\n";
    for (std::size_t i = 0; i < std::min<std::size_t>(5, scored.size()); ++i)
      out += fmt::format("    {:.3f}  {:>2}-bit  {}\n", *scored[i]->composite_score, scored[i]->decision.bits,
                         scored[i]->name);
  }
  out += fmt::format("  manifest: {}\n", manifest_path);
  return out;
}

nlohmann::ordered_json summary_json(const Manifest& m, const std::string& manifest_path) {
  nlohmann::ordered_json j;
  j["manifest"] = manifest_path;
  j["model"] = m.model;
  j["tensor_count"] = m.summary.tensor_count;
  j["total_params"] = m.summary.total_params;
  const auto counts = tensors_per_bits(m);
  nlohmann::ordered_json distribution = nlohmann::ordered_json::object();
  for (const auto& [bits, share] : m.summary.bits_distribution)
    distribution[std::to_string(bits)] = {{"tensors", counts.at(bits)}, {"params", share.params}, {"percentage", share.percentage}};
  j["bits_distribution"] = std::move(distribution);
  j["average_bits"] = m.summary.average_bits;
  j["estimated_size_gb"] = m.summary.estimated_size_gb;
  j["analysis_time_seconds"] = m.summary.analysis_time_seconds;
  if (m.run) {
    j["threshold_set"] = m.run->threshold_set;
    j["noise_metric"] = m.run->noise_metric;
    j["seed"] = m.run->seed;
  }
  return j;
}

}  // namespace swan::analysis
