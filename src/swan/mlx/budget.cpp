#include "swan/mlx/budget.h"

#include <algorithm>
#include <cmath>

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
  return plan::budget_bytes(budget, space.total_params);
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
