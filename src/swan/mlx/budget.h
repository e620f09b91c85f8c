// What a byte budget means for an MLX output directory, so the planner (plan/) can price
// every option in the bytes this writer will actually produce:
//   --target-size S  : summary.total_bytes of `swan inspect --json` on the output ≤ S
//   --target-bpw X   : summary.bits_per_weight_with_overhead ≤ X, i.e. total bytes ≤ X·params/8
// where total bytes counts every tensor written (packed codes, scales, biases, float tensors,
// norms) and params every logical parameter of the model.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "swan/analysis/manifest.h"
#include "swan/core/dtype.h"
#include "swan/io/model_directory.h"
#include "swan/plan/budget_plan.h"

namespace swan::mlx {

struct BudgetSpace {
  std::vector<plan::PlanTarget> targets;      // the quantizable parameters
  std::vector<std::size_t> dtype_bytes;       // written float/scale width of each target
  std::uint64_t fixed_bytes = 0;              // everything the plan does not decide (norms, biases, ...)
  std::uint64_t total_params = 0;             // Σ logical parameters of the output
  bool tied = true;
};

BudgetSpace budget_space(const ModelDirectory& source, std::optional<DType> dtype_override);

// The budget and its size syntax are format-neutral (plan/budget_choice.h).
using plan::Budget;
using plan::parse_size;

// Total bytes the output may have.
std::uint64_t budget_bytes(const Budget& budget, const BudgetSpace& space);

// The planner's targets with their MLX prices.
std::vector<plan::BudgetTarget> priced_targets(const BudgetSpace& space, const analysis::Manifest& manifest,
                                               const plan::Sensitivities* sensitivities = nullptr,
                                               quant::ScaleMethod scales = quant::ScaleMethod::minmax);

}  // namespace swan::mlx

namespace swan::mlx {

struct MlxBudgetPlan {
  plan::BudgetPlan budget;
  std::uint64_t budget_bytes = 0;   // what the whole output may have
  std::uint64_t output_bytes = 0;   // what it will have (layout of the chosen plan)
  std::uint64_t total_params = 0;
  double bits_per_weight() const;   // with overhead, as `swan inspect` reports it
};

// Budget → plan for an MLX output, checked against the layout the writer will build. The plan
// records `scales`, the quantizer its curves measured.
MlxBudgetPlan plan_mlx_budget(const ModelDirectory& source, const analysis::Manifest& manifest, const Budget& budget,
                              std::optional<DType> dtype_override, const plan::BudgetRules& rules = {},
                              const plan::Sensitivities* sensitivities = nullptr,
                              quant::ScaleMethod scales = quant::ScaleMethod::minmax);

}  // namespace swan::mlx
