// `swan quantize MODEL_DIR --manifest manifest.json -o OUT_DIR`: write the MLX model a
// SWAN manifest describes (the second half of `swan convert --method swan`).
#include <fmt/core.h>
#include <omp.h>

#include <memory>

#include "cli/commands.h"
#include "cli/equalize_option.h"
#include "cli/write_output.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/plan/builders.h"

namespace swan::cli {

void add_quantize_command(CLI::App& app) {
  struct Options {
    std::string model, manifest, plan;
    OutputOptions output;
    EqualizeOption equalize;
    int threads = 0;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("quantize",
                                 "Write an MLX model (mlx_lm layout) with the per-tensor precision of a plan from\n"
                                 "`swan plan` (--plan), or with the bits of a SWAN manifest (--manifest): tensors\n"
                                 "missing from a manifest get 4 bits; group sizes follow SWAN (8-bit g64, 4-bit\n"
                                 "g128, 2-bit g32) unless the manifest records one.");
  cmd->add_option("MODEL_DIR", opts->model, "HuggingFace model directory (config.json + safetensors)")
      ->required()
      ->check(CLI::ExistingDirectory);
  auto* manifest = cmd->add_option("--manifest", opts->manifest, "manifest from `swan analyze`")->check(CLI::ExistingFile);
  auto* plan = cmd->add_option("--plan", opts->plan, "plan from `swan plan` (swan-plan/1)")->check(CLI::ExistingFile);
  manifest->excludes(plan);
  plan->excludes(manifest);
  add_output_options(*cmd, opts->output, opts->threads);
  add_equalize_option(*cmd, opts->equalize);
  cmd->callback([opts] {
    if (opts->threads > 0) omp_set_num_threads(opts->threads);
    ModelDirectory source(opts->model);
    equalize_if_asked(source, opts->equalize, opts->output.quiet);
    const auto targets = mlx::quantizable_targets(source);
    if (opts->manifest.empty() == opts->plan.empty()) {
      fmt::print(stderr, "swan: error: give --plan plan.json (from `swan plan`) or --manifest manifest.json\n");
      exit_code() = 2;
      return;
    }
    auto plan = opts->plan.empty() ? plan::swan_plan(targets, plan::read_manifest_decisions(opts->manifest))
                                   : plan::read_plan_file(opts->plan, targets);
    // A saved plan was priced with its own quantizer's errors: it keeps it unless --scales says otherwise.
    plan.set_scale_method(chosen_scales(opts->output, opts->plan.empty() ? quant::kDefaultScaleMethod
                                                                         : plan.scale_method()));
    write_mlx_output(source, plan, opts->output);
  });
}

}  // namespace swan::cli
