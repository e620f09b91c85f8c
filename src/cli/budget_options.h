// The byte-budget options `swan plan` and `swan convert` share, and the steps around the
// planner they both run (analysis for curves, measured sensitivities, saving the plan).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "swan/analysis/manifest.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/budget.h"
#include "swan/plan/budget_plan.h"

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

// The budget plan of an MLX output, weighing tensors as --sensitivity says: role priors;
// `isolated`, each tensor quantized alone (one round of measurement); `measured`, that round,
// a first plan, then each tensor's slope measured inside that plan and a second plan.
// GGUF: with --sensitivity isolated or measured, the isolated round only (the in-context
// round puts an MLX-affine plan into the model; ggml types are not wired into it yet).
std::optional<plan::Sensitivities> isolated_sensitivities_if_asked(const BudgetOptions& options,
                                                                   const ModelDirectory& source, bool quiet);

mlx::MlxBudgetPlan plan_mlx_output(const BudgetOptions& options, const ModelDirectory& source,
                                   const analysis::Manifest& manifest, std::optional<DType> dtype,
                                   quant::ScaleMethod scales, bool quiet);

void write_plan_file(const plan::QuantPlan& plan, const std::string& path);

}  // namespace swan::cli
