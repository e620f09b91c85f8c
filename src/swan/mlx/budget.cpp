#include "swan/mlx/budget.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "swan/core/error.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/size_summary.h"
#include "swan/model/mlx_naming.h"
#include "swan/plan/builders.h"

namespace swan::mlx {

BudgetSpace budget_space(const ModelDirectory& source, std::optional<DType> dtype_override) {
  BudgetSpace space;
  space.targets = quantizable_targets(source);
  space.tied = model::decide_output_head(source).tied;
  const auto plan = plan::float_plan(space.targets);
  const MlxLayout layout = build_layout(source, plan, dtype_override);
  const SizeSummary summary = summarize(layout, plan);
  space.total_params = summary.total_params;
  std::uint64_t target_bytes = 0;
  for (const auto& target : space.targets) {
    const auto it = std::find_if(layout.parameters.begin(), layout.parameters.end(),
                                 [&](const OutputParameter& p) { return p.parameter.name == target.name; });
    SWAN_CHECK(it != layout.parameters.end(), "MLX layout has no parameter '{}'", target.name);
    const std::size_t width = dtype_size(it->dtype);
    space.dtype_bytes.push_back(width);
    target_bytes += static_cast<std::uint64_t>(it->num_elements()) * width;
  }
  SWAN_CHECK(summary.total_bytes >= target_bytes, "MLX layout sizes are inconsistent");
  space.fixed_bytes = summary.total_bytes - target_bytes;
  return space;
}

std::uint64_t budget_bytes(const Budget& budget, const BudgetSpace& space) {
  if (budget.total_bytes) return *budget.total_bytes;
  SWAN_CHECK(budget.bits_per_weight.has_value(), "a budget needs bits per weight or a size");
  const double bpw = *budget.bits_per_weight;
  if (!std::isfinite(bpw) || bpw <= 0.0) fail("--target-bpw must be a positive number, not {}", bpw);
  return static_cast<std::uint64_t>(std::floor(bpw * static_cast<double>(space.total_params) / 8.0));
}

std::uint64_t parse_size(std::string_view text) {
  const std::string s(text);
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(s, &used);
  } catch (const std::exception&) {
    fail("'{}' is not a size; write e.g. 5.5GB, 5.5GiB, 3.2MB or a number of bytes", text);
  }
  std::string unit = s.substr(used);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) unit.erase(0, 1);
  std::string lower;
  for (const char c : unit) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale = 0.0;
  if (lower.empty() || lower == "b") scale = 1;
  else if (lower == "k" || lower == "kb") scale = 1e3;
  else if (lower == "m" || lower == "mb") scale = 1e6;
  else if (lower == "g" || lower == "gb") scale = 1e9;
  else if (lower == "t" || lower == "tb") scale = 1e12;
  else if (lower == "kib") scale = 1024.0;
  else if (lower == "mib") scale = 1024.0 * 1024;
  else if (lower == "gib") scale = 1024.0 * 1024 * 1024;
  else if (lower == "tib") scale = 1024.0 * 1024 * 1024 * 1024;
  else fail("'{}': unknown size unit '{}'; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB", text, unit);
  const double bytes = value * scale;
  if (!std::isfinite(bytes) || bytes < 1.0 || bytes > 1.8e19) fail("'{}' is not a usable size", text);
  return static_cast<std::uint64_t>(std::floor(bytes));
}

std::vector<plan::BudgetTarget> priced_targets(const BudgetSpace& space, const analysis::Manifest& manifest,
                                               const plan::Sensitivities* sensitivities, quant::ScaleMethod scales) {
  std::vector<plan::BudgetTarget> out;
  for (std::size_t i = 0; i < space.targets.size(); ++i) {
    auto priced = plan::budget_targets(std::span(&space.targets[i], 1), manifest, space.dtype_bytes[i],
                                       space.dtype_bytes[i], space.tied, sensitivities, scales);
    out.push_back(std::move(priced.front()));
  }
  return out;
}

}  // namespace swan::mlx

namespace swan::mlx {

double MlxBudgetPlan::bits_per_weight() const {
  return total_params == 0 ? 0.0 : 8.0 * static_cast<double>(output_bytes) / static_cast<double>(total_params);
}

MlxBudgetPlan plan_mlx_budget(const ModelDirectory& source, const analysis::Manifest& manifest, const Budget& budget,
                              std::optional<DType> dtype_override, const plan::BudgetRules& rules,
                              const plan::Sensitivities* sensitivities, quant::ScaleMethod scales) {
  const BudgetSpace space = budget_space(source, dtype_override);
  MlxBudgetPlan result;
  result.total_params = space.total_params;
  result.budget_bytes = budget_bytes(budget, space);
  const auto targets = priced_targets(space, manifest, sensitivities, scales);
  const std::uint64_t floor = plan::minimum_budget(targets, rules) + space.fixed_bytes;
  auto bpw = [&](std::uint64_t bytes) {
    return 8.0 * static_cast<double>(bytes) / static_cast<double>(std::max<std::uint64_t>(1, space.total_params));
  };
  if (result.budget_bytes < floor)
    fail("the budget ({} bytes, {:.3f} bits/weight) is below the smallest output the planner can write for this "
         "model: {} bytes ({:.3f} bits/weight, every tensor at its smallest allowed option); raise --target-size / "
         "--target-bpw to at least that",
         result.budget_bytes, bpw(result.budget_bytes), floor, bpw(floor));
  result.budget = plan::plan_for_budget(targets, result.budget_bytes - space.fixed_bytes, rules);
  result.budget.plan.set_scale_method(scales);
  const MlxLayout layout = build_layout(source, result.budget.plan, dtype_override);
  result.output_bytes = summarize(layout, result.budget.plan).total_bytes;
  SWAN_CHECK(result.output_bytes == result.budget.bytes + space.fixed_bytes,
             "planner priced {} bytes but the MLX layout holds {}", result.budget.bytes + space.fixed_bytes,
             result.output_bytes);
  SWAN_CHECK(result.output_bytes <= result.budget_bytes, "planned output exceeds the budget");
  return result;
}

}  // namespace swan::mlx
