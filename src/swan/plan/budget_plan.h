// Allocation under a byte budget: each quantizable tensor gets the bits and group size that
// minimise the predicted damage of the whole model,
//     Σ_t weight_t · relative_error_t(option_t)   subject to   Σ_t bytes_t(option_t) ≤ budget,
// solved by the multiple-choice knapsack allocator (allocator.h). relative_error comes from
// the analysis' error curves (measured with the quantizer the writer uses); bytes are the
// exact bytes of the output format (the caller prices them: MLX, GGUF, ...).
//
// weight_t is the tensor's role prior (role_prior: the output head and a tied embedding
// hurt most per unit of relative error, then MLPs, then attention), or its measured
// sensitivity (`swan plan --sensitivity measured`, sensitivity/). The rules (SQNR floor,
// routers) and the solver are format-neutral (budget_choice.h); this file is their MLX
// affine face: options are bits x group size, the result a QuantPlan. Tensors without a
// legal group size stay float.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "swan/analysis/manifest.h"
#include "swan/model/tensor_role.h"
#include "swan/plan/budget_choice.h"
#include "swan/plan/quant_plan.h"
#include "swan/quant/scale_method.h"

namespace swan::plan {

struct PricedOption {
  QuantDecision decision;
  std::uint64_t bytes = 0;
  double relative_error = 0.0;  // 0 for float
};

struct BudgetTarget {
  PlanTarget target;
  model::TensorRole role = model::TensorRole::other;
  double weight = 1.0;
  std::vector<PricedOption> options;  // float first, then the curve's options
};

// Measured per-tensor sensitivities (target name -> multiplier of the prior's place).
using Sensitivities = std::map<std::string, double, std::less<>>;

// Priced options of every target from a manifest's error curves. `scale_bytes` / `float_bytes`
// are the widths of the output's scales and float tensors (the model dtype). A target whose
// last dimension no group size divides gets only the float option; a target whose sources
// have no error curve is an error naming it. With `sensitivities`, a target's weight is its
// measured sensitivity instead of the role prior (targets it lacks keep the prior).
// The curves must have been measured with `scales`, the quantizer that will be written.
std::vector<BudgetTarget> budget_targets(std::span<const PlanTarget> targets, const analysis::Manifest& manifest,
                                         std::size_t scale_bytes, std::size_t float_bytes, bool tied,
                                         const Sensitivities* sensitivities = nullptr,
                                         quant::ScaleMethod scales = quant::ScaleMethod::minmax);

struct BudgetPlan {
  QuantPlan plan{"budget", QuantDecision::keep_float()};
  std::uint64_t bytes = 0;       // Σ bytes of the targets' chosen options
  double objective = 0.0;        // Σ weight · relative_error of the choice
  double lower_bound = 0.0;      // no allocation within the budget has a lower objective
  std::uint64_t minimum_bytes = 0;  // the smallest allocation the rules allow
};

// The smallest bytes the targets can take under the rules.
std::uint64_t minimum_budget(std::span<const BudgetTarget> targets, const BudgetRules& rules = {});

// `budget` is what the targets may spend (the caller subtracts tensors outside the plan).
// Throws swan::Error naming the minimum when the budget is below it.
BudgetPlan plan_for_budget(std::span<const BudgetTarget> targets, std::uint64_t budget, const BudgetRules& rules = {});

}  // namespace swan::plan
