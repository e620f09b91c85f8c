// `swan quantize MODEL_DIR --manifest manifest.json -o OUT_DIR`: write the MLX model a
// SWAN manifest describes (the second half of `swan convert --method swan`).
#include <fmt/core.h>
#include <omp.h>

#include <memory>

#include "cli/commands.h"
#include "cli/write_output.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/plan/builders.h"

namespace swan::cli {

void add_quantize_command(CLI::App& app) {
  struct Options {
    std::string model, manifest;
    OutputOptions output;
    int threads = 0;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("quantize",
                                 "Write an MLX model (mlx_lm layout) with the per-tensor bits of a SWAN manifest.\n"
                                 "Tensors missing from the manifest get 4 bits; group sizes follow SWAN\n"
                                 "(8-bit g64, 4-bit g128, 2-bit g32) unless the manifest records one.");
  cmd->add_option("MODEL_DIR", opts->model, "HuggingFace model directory (config.json + safetensors)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--manifest", opts->manifest, "manifest from `swan analyze`")->required()->check(CLI::ExistingFile);
  add_output_options(*cmd, opts->output, opts->threads);
  cmd->callback([opts] {
    if (opts->threads > 0) omp_set_num_threads(opts->threads);
    const ModelDirectory source(opts->model);
    const auto targets = mlx::quantizable_targets(source);
    const auto plan = plan::swan_plan(targets, plan::read_manifest_decisions(opts->manifest));
    write_mlx_output(source, plan, opts->output);
  });
}

}  // namespace swan::cli
