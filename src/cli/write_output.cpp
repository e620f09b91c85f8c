#include "cli/write_output.h"

#include <fmt/core.h>

#include <memory>

#include "swan/core/progress.h"
#include "swan/mlx/writer.h"
#include "swan/model/mlx_naming.h"

namespace swan::cli {

void add_output_options(CLI::App& command, OutputOptions& options, int& threads) {
  command.add_option("-o,--output,--mlx-path", options.output, "output directory (must not exist or be empty)")
      ->required();
  command.add_option("--dtype", options.dtype, "float dtype of the output (default: config torch_dtype)")
      ->check(CLI::IsMember({"float16", "bfloat16", "float32"}));
  command
      .add_option("--scales", options.scales,
                  "how each group's scale and bias are chosen: minmax (MLX's rule, byte-identical to "
                  "mlx_lm.convert) or optimized (per-group search for the lowest reconstruction error, each "
                  "input column's error weighted by the squared RMSNorm weight it reads; same format, size and "
                  "loader). Default: " +
                      quant::to_string(quant::kDefaultScaleMethod) + ", or a saved plan's own")
      ->check(CLI::IsMember({"minmax", "optimized"}));
  command.add_flag("--force", options.force, "replace a non-empty output directory");
  command.add_option("--threads", threads, "worker threads (default: all cores)")->check(CLI::NonNegativeNumber);
  command.add_flag("--quiet", options.quiet, "print nothing but errors");
}

quant::ScaleMethod chosen_scales(const OutputOptions& options, quant::ScaleMethod fallback) {
  return options.scales.empty() ? fallback : quant::parse_scale_method(options.scales);
}

void warn_about_output_head(const ModelDirectory& source, bool quiet) {
  const auto head = model::decide_output_head(source);
  if (!head.warning.empty() && !quiet) fmt::print(stderr, "swan: warning: {}\n", head.warning);
}

mlx::WriteResult write_mlx_output(const ModelDirectory& source, const plan::QuantPlan& plan, const OutputOptions& options) {
  warn_about_output_head(source, options.quiet);
  mlx::WriteOptions write;
  write.force = options.force;
  if (!options.dtype.empty()) write.dtype = mlx::parse_output_dtype(options.dtype);
  std::shared_ptr<Progress> progress;
  write.on_parameter = [&progress, quiet = options.quiet](std::size_t index, std::size_t count, const std::string&) {
    if (!progress) progress = std::make_shared<Progress>("writing", count, "tensors", !quiet);
    progress->update(index);
  };
  const auto result = mlx::write_mlx_model(source, plan, options.output, write);
  if (progress) progress->finish();
  if (!options.quiet) fmt::print("{}", mlx::format_write_result(result));
  return result;
}

}  // namespace swan::cli
