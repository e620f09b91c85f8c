// The write step shared by `swan convert` and `swan quantize`: output options, the
// progress line (tensors/s and ETA on a terminal) and the closing summary.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "swan/io/model_directory.h"
#include "swan/mlx/writer.h"
#include "swan/plan/quant_plan.h"
#include "swan/quant/scale_method.h"

namespace swan::cli {

struct OutputOptions {
  std::string output;
  std::string dtype;  // empty: the model's torch_dtype
  std::string scales;  // --scales minmax|optimized; empty: not given
  bool force = false;
  bool quiet = false;
};

// Declares the options every model-writing command shares: -o/--output/--mlx-path, --dtype,
// --scales, --force, --threads and --quiet.
void add_output_options(CLI::App& command, OutputOptions& options, int& threads);

// The quantizer to write with: --scales when given, else `fallback` (the CLI default for a
// fresh plan, the plan's own method for a saved one).
quant::ScaleMethod chosen_scales(const OutputOptions& options, quant::ScaleMethod fallback = quant::kDefaultScaleMethod);

// Says on stderr (unless quiet) when the checkpoint, not config.json, decided that the
// output head is untied (model::decide_output_head).
void warn_about_output_head(const ModelDirectory& source, bool quiet);

// Writes `plan` as an MLX model directory, quantized with the plan's scale method.
mlx::WriteResult write_mlx_output(const ModelDirectory& source, const plan::QuantPlan& plan, const OutputOptions& options);

}  // namespace swan::cli
