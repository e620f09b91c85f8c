#include "cli/budget_options.h"

#include <fmt/core.h>
#include <omp.h>

#include "swan/analysis/analyzer.h"
#include "swan/core/error.h"
#include "swan/core/progress.h"
#include "swan/eval/token_scores.h"
#include "swan/io/atomic_file.h"
#include "swan/mlx/layout.h"
#include "swan/sensitivity/measured_sensitivity.h"

namespace swan::cli {
namespace {

// How many paired standard errors lower the refined plan's self-text KLD must be to replace
// the first plan (measured_sensitivities).
constexpr double kRefinedPlanMargin = 2.0;

}  // namespace

void add_budget_options(CLI::App& command, BudgetOptions& options) {
  auto* bpw = command.add_option("--target-bpw", options.target_bpw,
                                 "bits per weight of the whole output, scales, biases and float tensors included")
                  ->check(CLI::PositiveNumber);
  auto* size = command.add_option("--target-size", options.target_size,
                                  "total bytes of the output: 5.5GB, 5.5GiB, 3.2MB or a byte count");
  bpw->excludes(size);
  size->excludes(bpw);
  command.add_option("--sqnr-floor", options.sqnr_floor_db,
                     "never choose an option whose signal-to-quantization-noise ratio is below this (dB)")
      ->capture_default_str();
  command.add_option("--sensitivity", options.sensitivity,
                     "prior: weigh tensors by role (default); measured: measure each tensor's effect on the\n"
                     "model's own output with swan's inference (no dataset: the model generates its text),\n"
                     "first alone, then inside a first plan, and plan again, keeping the second plan only if its\n"
                     "KLD on that text is lower by more than two paired standard errors; isolated: the first\n"
                     "round only. Both cost forward passes: ~20 CPU-minutes per round for a 0.5B model on two\n"
                     "cores (README, \"Measured sensitivity\"); MLX and GGUF output alike")
      ->check(CLI::IsMember({"prior", "isolated", "measured"}))
      ->capture_default_str();
  command.add_option("--sensitivity-seed", options.seed, "seed of the text the model writes for --sensitivity measured")
      ->capture_default_str();
}

std::string budget_help() {
  return "Budget: --target-bpw X means 8 x (all bytes written) / (all parameters) <= X, which is\n"
         "`summary.bits_per_weight_with_overhead` of `swan inspect --json`; --target-size S means\n"
         "`summary.total_bytes` <= S. The plan lands within 1 % under the budget unless no option is\n"
         "left to buy; a budget below the smallest allowed output is an error that names the minimum.\n"
         "Rules: norms and 1-D tensors stay float; MoE routers >= 8 bits; no option below --sqnr-floor.";
}

mlx::Budget to_budget(const BudgetOptions& options) {
  mlx::Budget budget;
  if (!options.target_size.empty()) budget.total_bytes = mlx::parse_size(options.target_size);
  else if (options.target_bpw > 0.0) budget.bits_per_weight = options.target_bpw;
  else fail("give a budget: --target-bpw X or --target-size SIZE");
  return budget;
}

plan::BudgetRules budget_rules(const BudgetOptions& options) {
  plan::BudgetRules rules;
  rules.sqnr_floor_db = options.sqnr_floor_db;
  return rules;
}

analysis::Manifest analyze_for_plan(const ModelDirectory& source, const std::string& label, int threads, bool quiet,
                                    quant::ScaleMethod scales, bool swan_metrics) {
  analysis::AnalysisOptions options;
  options.curve_scales = scales;
  options.error_curves = true;
  options.swan_metrics = swan_metrics;
  options.threads = threads > 0 ? threads : omp_get_max_threads();
  options.record_time = false;
  Progress progress("measuring error curves", source.tensors().size(), "tensors", !quiet, source.total_weight_bytes());
  auto manifest = analysis::analyze_model(source, label, options, [&](const analysis::AnalysisProgress& p) {
    progress.update(p.tensors_done, p.bytes_done);
  });
  progress.finish();
  return manifest;
}

std::optional<plan::Sensitivities> measured_sensitivities(const BudgetOptions& options, const ModelDirectory& source,
                                                          quant::ScaleMethod scales, const PlanPlacer& plan_placed,
                                                          bool quiet) {
  if (options.sensitivity == "prior") return std::nullopt;
  const auto targets = mlx::quantizable_targets(source);
  sensitivity::SensitivityOptions measure;
  measure.seed = options.seed;
  sensitivity::SensitivityMeter meter(source.path(), targets, measure);
  const auto run_round = [&](const char* label, const auto& measure_round) {
    Progress progress(label, targets.size(), "tensors", !quiet);
    auto report = measure_round([&](std::size_t done, std::size_t) { progress.update(done); });
    progress.finish();
    return report;
  };
  const auto isolated = run_round("measuring sensitivities", [&](const auto& progress) {
    return meter.isolated(scales, progress);
  });
  plan::Sensitivities weights = isolated.weights();
  double cpu_seconds = isolated.cpu_seconds;
  std::uint64_t forward_tokens = isolated.forward_tokens;
  if (options.sensitivity == "measured") {
    const auto first = plan_placed(weights);
    const auto in_context = run_round("measuring sensitivities in the first plan", [&](const auto& progress) {
      return meter.in_context(first, progress);
    });
    cpu_seconds += in_context.cpu_seconds;
    forward_tokens += in_context.forward_tokens;
    // Never trust a tensor less than its isolated measurement: a slope measured inside a
    // plan can come out near zero for a tensor whose error the rest happens to mask.
    plan::Sensitivities refined = weights;
    for (const auto& t : in_context.tensors) {
      double& w = refined[t.name];
      w = std::max(w, t.sensitivity);
    }
    // The in-context slopes model compounding errors better, but they are differences of two
    // KLDs, so noisier, and the plan they give is not always the better one (stories260k at
    // 4-bit sizes: isolated -6 %, refined +2 % against mlx_lm's mixed_4_6). Both fit the
    // budget; the refined plan is kept only when its KLD on the model's own text is lower by
    // more than two paired standard errors (token by token against the first plan's, one
    // more forward pass) — otherwise the difference is noise and the first plan stands.
    const auto paired = eval::compare_paired(meter.plan_scores(plan_placed(refined)), in_context.plan_scores);
    forward_tokens += static_cast<std::uint64_t>(measure.sequences) * static_cast<std::uint64_t>(measure.length);
    const bool keep_refined = paired.kld_difference + kRefinedPlanMargin * paired.kld_difference_stderr < 0.0;
    if (keep_refined) weights = std::move(refined);
    if (!quiet)
      fmt::print(stderr,
                 "first plan measured at KLD {:.6g} on the model's own text, refined plan at KLD {:.6g} (difference "
                 "{:+.4g} ± {:.2g}): keeping the {} plan\n",
                 in_context.plan_kld, paired.kld_mean, paired.kld_difference, paired.kld_difference_stderr,
                 keep_refined ? "refined" : "first");
  }
  if (!quiet)
    fmt::print(stderr, "measured sensitivities of {} tensors: {} forward tokens, {:.1f} CPU-s\n",
               isolated.tensors.size(), forward_tokens, cpu_seconds);
  return weights;
}

mlx::MlxBudgetPlan plan_mlx_output(const BudgetOptions& options, const ModelDirectory& source,
                                   const analysis::Manifest& manifest, std::optional<DType> dtype,
                                   quant::ScaleMethod scales, bool quiet) {
  const auto budget = to_budget(options);
  const auto rules = budget_rules(options);
  const auto targets = mlx::quantizable_targets(source);
  const auto plan_with = [&](const plan::Sensitivities* weights) {
    return mlx::plan_mlx_budget(source, manifest, budget, dtype, rules, weights, scales);
  };
  const auto weights = measured_sensitivities(
      options, source, scales,
      [&](const plan::Sensitivities& w) { return sensitivity::placed_plan(plan_with(&w).budget.plan, targets); },
      quiet);
  return plan_with(weights ? &*weights : nullptr);
}

void write_plan_file(const plan::QuantPlan& plan, const std::string& path) {
  write_file_atomically(path, plan::to_json(plan).dump(2) + "\n", "the plan");
}

}  // namespace swan::cli
