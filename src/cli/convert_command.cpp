// `swan convert MODEL_DIR -o OUT_DIR [...]`: HF model -> MLX model directory, either
// uniformly quantized (like `mlx_lm.convert -q --q-bits B --q-group-size G`), with SWAN's
// per-tensor bits (analysis + quantize in one step), or not quantized (dtype conversion).
#include <fmt/core.h>
#include <omp.h>

#include <memory>

#include "cli/budget_options.h"
#include "cli/commands.h"
#include "cli/equalize_option.h"
#include "cli/gguf_output.h"
#include "cli/write_output.h"
#include "swan/analysis/analyzer.h"
#include "swan/core/error.h"
#include "swan/core/progress.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/budget.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/plan/builders.h"
#include "swan/report/collect.h"
#include "swan/report/html_page.h"

namespace swan::cli {

void add_convert_command(CLI::App& app) {
  struct Options {
    std::string model, method, thresholds = "cli", quant_predicate;
    OutputOptions output;
    BudgetOptions budget;
    GgufOptions gguf;
    EqualizeOption equalize;
    int bits = 0, group_size = 0, threads = 0;
    std::uint64_t seed = 0;
    bool quantize = false, smaller_groups = false, report = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "convert",
      "Convert a HuggingFace model to an MLX model directory that mlx_lm loads unchanged.\n"
      "  uniform:  -q / --bits B --group-size G   (mlx_lm.convert's -q, --q-bits, --q-group-size)\n"
      "  SWAN:     --method swan [--thresholds cli|config] [--seed N]\n"
      "  budget:   --target-bpw X | --target-size SIZE  (per-tensor bits and group sizes, see `swan plan`)\n"
      "  none:     float copy in --dtype / torch_dtype, no quantization\n"
      "  GGUF:     --format gguf -o out.gguf with --type T | --preset P | --target-bpw X | --target-size SIZE\n" +
          budget_help() + "\n" + gguf_budget_help());
  cmd->add_option("MODEL_DIR", opts->model, "HuggingFace model directory (config.json + safetensors)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("-q,--quantize", opts->quantize, "quantize uniformly (default 4-bit, group 64)");
  cmd->add_option("--bits,--q-bits", opts->bits, "bits per weight: 2, 3, 4, 5, 6 or 8 (uniform)")
                   ->check(CLI::IsMember({2, 3, 4, 5, 6, 8}));
  cmd->add_option("--group-size,--q-group-size", opts->group_size, "group size: 32, 64 or 128 (uniform)")
                    ->check(CLI::IsMember({32, 64, 128}));
  cmd->add_option("--quant-predicate", opts->quant_predicate,
                  "mlx_lm's mixed recipes (with -q): v_proj/down_proj of some layers and lm_head at the high\n"
                  "bits, the rest at the low; the same tensors as `mlx_lm.convert --quant-predicate` (group\n"
                  "size --group-size, default 64, which mlx_lm records as null when not given)")
      ->check(CLI::IsMember({"mixed_2_6", "mixed_3_4", "mixed_3_6", "mixed_4_6"}));
  cmd->add_flag("--group-size-fallback", opts->smaller_groups,
                "uniform: quantize a matrix whose width the group size does not divide with the next smaller "
                "group (64, 32) instead of keeping it float as mlx_lm does; reported in the summary");
  cmd->add_option("--method", opts->method, "swan: per-tensor bits from SWAN's analysis")
                     ->check(CLI::IsMember({"swan", "uniform"}));
  cmd->add_option("--thresholds", opts->thresholds, "SWAN threshold set: cli (0.10/0.45/0.85) or config (0.10/0.65/0.90)")
      ->check(CLI::IsMember({"cli", "config"}));
  cmd->add_option("--seed", opts->seed, "seed of SWAN's randomised metrics");
  add_budget_options(*cmd, opts->budget);
  add_output_options(*cmd, opts->output, opts->threads);
  add_gguf_options(*cmd, opts->gguf);
  add_equalize_option(*cmd, opts->equalize);
  cmd->add_flag("--report", opts->report,
                "also write OUT_DIR/report.html (see `swan report`): bits per tensor, bytes, the planner's frontier "
                "and SWAN's metrics against measured error; measures the error curves and SWAN's metrics if the "
                "method does not");
  cmd->callback([opts] {
    const bool uniform_flags =
        opts->quantize || opts->bits != 0 || opts->group_size != 0 || !opts->quant_predicate.empty();
    if (opts->gguf.format == "gguf" || !opts->gguf.type.empty() || !opts->gguf.preset.empty()) {
      if (opts->equalize.given()) {
        fmt::print(stderr, "swan: error: --equalize is for MLX output (it was measured there only); leave it out for GGUF\n");
        exit_code() = 2;
        return;
      }
      if (opts->report) {
        fmt::print(stderr, "swan: error: --report is for MLX output; for GGUF, `swan inspect FILE.gguf` shows the types\n");
        exit_code() = 2;
        return;
      }
      if (opts->threads > 0) omp_set_num_threads(opts->threads);
      return write_gguf_output(opts->model, opts->gguf, opts->output, opts->budget,
                               uniform_flags || !opts->method.empty());
    }
    const int methods = (uniform_flags || opts->method == "uniform") + (opts->method == "swan") + opts->budget.given();
    if (methods > 1) {  // a usage error: exit 2, like CLI11's own
      fmt::print(stderr,
                 "swan: error: choose one way to quantize: -q/--bits/--group-size (uniform), --method swan, or "
                 "--target-bpw/--target-size (budget)\n");
      exit_code() = 2;
      return;
    }
    if (opts->threads > 0) omp_set_num_threads(opts->threads);
    ModelDirectory source(opts->model);
    equalize_if_asked(source, opts->equalize, opts->output.quiet);
    const auto targets = mlx::quantizable_targets(source);
    std::optional<plan::QuantPlan> plan;
    std::optional<analysis::Manifest> manifest;  // kept for --report
    if (opts->method == "swan") {
      analysis::AnalysisOptions analysis_options;
      analysis_options.threshold_set = analysis::parse_threshold_set(opts->thresholds);
      analysis_options.seed = opts->seed;
      analysis_options.threads = opts->threads > 0 ? opts->threads : omp_get_max_threads();
      analysis_options.record_time = false;
      analysis_options.error_curves = opts->report;
      analysis_options.curve_scales = chosen_scales(opts->output);
      Progress analysis_progress("analysing", source.tensors().size(), "tensors", !opts->output.quiet,
                                 source.total_weight_bytes());
      manifest = analysis::analyze_model(source, opts->model, analysis_options,
                                         [&](const analysis::AnalysisProgress& p) {
                                           analysis_progress.update(p.tensors_done, p.bytes_done);
                                         });
      analysis_progress.finish();
      plan = plan::swan_plan(targets, plan::manifest_decisions(*manifest));
    } else if (opts->budget.given()) {
      manifest = analyze_for_plan(source, opts->model, opts->threads, opts->output.quiet, chosen_scales(opts->output),
                                  opts->report);
      const auto dtype =
          opts->output.dtype.empty() ? std::nullopt : std::optional(mlx::parse_output_dtype(opts->output.dtype));
      auto planned =
          plan_mlx_output(opts->budget, source, *manifest, dtype, chosen_scales(opts->output), opts->output.quiet);
      plan = std::move(planned.budget.plan);
    } else if (!opts->quant_predicate.empty()) {
      if (opts->bits != 0) {
        fmt::print(stderr, "swan: error: --quant-predicate sets the bits itself; do not combine it with --bits\n");
        exit_code() = 2;
        return;
      }
      plan = plan::mixed_recipe_plan(targets, opts->quant_predicate, opts->group_size ? opts->group_size : 64);
    } else if (uniform_flags || opts->method == "uniform") {
      plan = mlx::mlx_lm_uniform_plan(source, opts->bits ? opts->bits : 4, opts->group_size ? opts->group_size : 64,
                                      opts->smaller_groups ? plan::GroupSizeFallback::smaller_groups
                                                           : plan::GroupSizeFallback::keep_float);
    } else {
      plan = plan::float_plan(targets);
    }
    plan->set_scale_method(chosen_scales(opts->output));
    if (opts->report && !manifest && plan->quantizes())  // the report's errors, frontier and scatter need them
      manifest = analyze_for_plan(source, opts->model, opts->threads, opts->output.quiet, chosen_scales(opts->output),
                                  true);
    const auto written = write_mlx_output(source, *plan, opts->output);
    if (opts->report) {
      report::ReportSources sources;
      sources.model = &source;
      sources.manifest = manifest ? &*manifest : nullptr;
      sources.plan = &*plan;
      sources.output = &written.summary;
      if (!opts->output.dtype.empty()) sources.dtype = mlx::parse_output_dtype(opts->output.dtype);
      if (opts->budget.given()) sources.budget = to_budget(opts->budget);
      sources.command = command_line();
      const auto path = written.directory / "report.html";
      report::write_report(report::collect_report(sources), path);
      if (!opts->output.quiet) fmt::print("report written to {}\n", path.string());
    }
  });
}

}  // namespace swan::cli
