// `swan convert MODEL_DIR -o OUT_DIR [...]`: HF model -> MLX model directory, either
// uniformly quantized (like `mlx_lm.convert -q --q-bits B --q-group-size G`), with SWAN's
// per-tensor bits (analysis + quantize in one step), or not quantized (dtype conversion).
#include <fmt/core.h>
#include <omp.h>

#include <memory>

#include "cli/commands.h"
#include "cli/gguf_output.h"
#include "cli/write_output.h"
#include "swan/analysis/analyzer.h"
#include "swan/core/error.h"
#include "swan/core/progress.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/plan/builders.h"

namespace swan::cli {

void add_convert_command(CLI::App& app) {
  struct Options {
    std::string model, method, thresholds = "cli";
    OutputOptions output;
    GgufOptions gguf;
    int bits = 0, group_size = 0, threads = 0;
    std::uint64_t seed = 0;
    bool quantize = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "convert",
      "Convert a HuggingFace model to an MLX model directory that mlx_lm loads unchanged.\n"
      "  uniform:  -q / --bits B --group-size G   (mlx_lm.convert's -q, --q-bits, --q-group-size)\n"
      "  SWAN:     --method swan [--thresholds cli|config] [--seed N]\n"
      "  neither:  float copy in --dtype / torch_dtype, no quantization");
  cmd->add_option("MODEL_DIR", opts->model, "HuggingFace model directory (config.json + safetensors)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("-q,--quantize", opts->quantize, "quantize uniformly (default 4-bit, group 64)");
  cmd->add_option("--bits,--q-bits", opts->bits, "bits per weight: 2, 3, 4, 5, 6 or 8 (uniform)")
                   ->check(CLI::IsMember({2, 3, 4, 5, 6, 8}));
  cmd->add_option("--group-size,--q-group-size", opts->group_size, "group size: 32, 64 or 128 (uniform)")
                    ->check(CLI::IsMember({32, 64, 128}));
  cmd->add_option("--method", opts->method, "swan: per-tensor bits from SWAN's analysis")
                     ->check(CLI::IsMember({"swan", "uniform"}));
  cmd->add_option("--thresholds", opts->thresholds, "SWAN threshold set: cli (0.10/0.45/0.85) or config (0.10/0.65/0.90)")
      ->check(CLI::IsMember({"cli", "config"}));
  cmd->add_option("--seed", opts->seed, "seed of SWAN's randomised metrics");
  add_output_options(*cmd, opts->output, opts->threads);
  add_gguf_options(*cmd, opts->gguf);
  cmd->callback([opts] {
    const bool uniform_flags = opts->quantize || opts->bits != 0 || opts->group_size != 0;
    if (opts->threads > 0) omp_set_num_threads(opts->threads);
    if (opts->gguf.format == "gguf" || !opts->gguf.type.empty() || !opts->gguf.preset.empty())
      return write_gguf_output(opts->model, opts->gguf, opts->output, uniform_flags || !opts->method.empty());
    if (opts->method == "swan" && uniform_flags) {  // a usage error: exit 2, like CLI11's own
      fmt::print(stderr, "swan: error: --method swan chooses bits per tensor; do not combine it with -q/--bits/--group-size\n");
      exit_code() = 2;
      return;
    }
    if (opts->threads > 0) omp_set_num_threads(opts->threads);
    const ModelDirectory source(opts->model);
    const auto targets = mlx::quantizable_targets(source);
    std::optional<plan::QuantPlan> plan;
    if (opts->method == "swan") {
      analysis::AnalysisOptions analysis_options;
      analysis_options.threshold_set = analysis::parse_threshold_set(opts->thresholds);
      analysis_options.seed = opts->seed;
      analysis_options.threads = opts->threads > 0 ? opts->threads : omp_get_max_threads();
      analysis_options.record_time = false;
      Progress analysis_progress("analysing", source.tensors().size(), "tensors", !opts->output.quiet,
                                 source.total_weight_bytes());
      const auto manifest = analysis::analyze_model(
          source, opts->model, analysis_options, [&](const analysis::AnalysisProgress& p) {
            analysis_progress.update(p.tensors_done, p.bytes_done);
          });
      analysis_progress.finish();
      plan = plan::swan_plan(targets, plan::manifest_decisions(manifest));
    } else if (uniform_flags || opts->method == "uniform") {
      plan = plan::uniform_plan(targets, opts->bits ? opts->bits : 4, opts->group_size ? opts->group_size : 64);
    } else {
      plan = plan::float_plan(targets);
    }
    write_mlx_output(source, *plan, opts->output);
  });
}

}  // namespace swan::cli
