// The byte-budget options `swan plan` and `swan convert` share, and the steps around the
// planner they both run (analysis for curves, measured sensitivities, saving the plan).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "swan/analysis/manifest.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/budget.h"
#include "swan/plan/budget_plan.h"
#include "swan/sensitivity/measured_sensitivity.h"

namespace swan::cli {

struct BudgetOptions {
  double target_bpw = 0.0;
  std::string target_size;
  double sqnr_floor_db = 6.0;
  std::string sensitivity = "prior";  // prior | isolated | measured
  std::uint64_t seed = 0;

  bool given() const { return target_bpw > 0.0 || !target_size.empty(); }
};

// --target-bpw and --target-size (not both; to_budget reports neither), --sqnr-floor, --sensitivity.
void add_budget_options(CLI::App& command, BudgetOptions& options);
std::string budget_help();  // the budget definition, for --help

mlx::Budget to_budget(const BudgetOptions& options);
plan::BudgetRules budget_rules(const BudgetOptions& options);

// The error-curve analysis the planner needs, with a progress line; SWAN's metrics too only
// when asked (`convert --report` plots them).
analysis::Manifest analyze_for_plan(const ModelDirectory& source, const std::string& label, int threads, bool quiet,
                                    quant::ScaleMethod scales, bool swan_metrics = false);

// The sensitivities --sensitivity isolated|measured plans with (nothing for `prior`), keyed by
// the planner targets' names (mlx::quantizable_targets), for either output format:
// `plan_placed(weights)` plans with them and says how that plan quantizes each target.
// isolated: each tensor quantized alone at the probe (one round of measurement). measured:
// that round, a first plan, each tensor's slope measured inside it, a second plan; returned
// are the refined weights if their plan's KLD on the model's own text is lower than the first
// plan's by more than two paired standard errors, else the first ones (planning is
// deterministic, so planning again with them gives that plan).
using PlanPlacer = std::function<sensitivity::PlacedPlan(const plan::Sensitivities&)>;
std::optional<plan::Sensitivities> measured_sensitivities(const BudgetOptions& options, const ModelDirectory& source,
                                                          quant::ScaleMethod scales, const PlanPlacer& plan_placed,
                                                          bool quiet);

// The budget plan of an MLX output, weighing tensors as --sensitivity says (role priors, or
// measured_sensitivities).
mlx::MlxBudgetPlan plan_mlx_output(const BudgetOptions& options, const ModelDirectory& source,
                                   const analysis::Manifest& manifest, std::optional<DType> dtype,
                                   quant::ScaleMethod scales, bool quiet);

void write_plan_file(const plan::QuantPlan& plan, const std::string& path);

}  // namespace swan::cli
