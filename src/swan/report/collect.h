// Gathers what the report shows from the inputs a user has. Any subset works: each section
// is filled from the inputs it needs, or says which input is missing and how to make it.
//   heatmap, bytes, histogram: the output's sizes (an MLX directory, or a plan + the model),
//                              else a plan alone, else a manifest's decisions;
//   errors on hover, scatter:  a manifest with error curves (scatter: and SWAN scores);
//   frontier:                  a manifest with error curves + the model directory (to price
//                              every option in the output's bytes);
//   variants:                  `swan eval kld --json` results.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "swan/analysis/manifest.h"
#include "swan/core/dtype.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/budget.h"
#include "swan/mlx/size_summary.h"
#include "swan/plan/quant_plan.h"
#include "swan/report/eval_results.h"
#include "swan/report/report_data.h"

namespace swan::report {

struct ReportSources {
  std::string model_name;                        // default: the model directory's or manifest's
  std::string architecture;                      // default: the model's config.json model_type
  const ModelDirectory* model = nullptr;         // the original (HF) model
  const analysis::Manifest* manifest = nullptr;
  const plan::QuantPlan* plan = nullptr;
  const mlx::SizeSummary* output = nullptr;      // what was written (MLX directory)
  std::optional<DType> dtype;                    // --dtype of the output, if not torch_dtype
  std::optional<mlx::Budget> budget;             // the budget the plan was made for
  std::vector<EvalResult> evals;
  std::string command;         // what made the output, when known
  std::string report_command;  // what made this report
  std::string timestamp;       // empty: none (deterministic page)
};

ReportData collect_report(const ReportSources& sources);

// The heatmap column of a tensor name: without "model."/"layers.N." and ".weight".
std::string module_column(const std::string& tensor_name);

}  // namespace swan::report
