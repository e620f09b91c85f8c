#include "cli/write_output.h"

#include <fmt/core.h>

#include <memory>

#include "swan/core/progress.h"
#include "swan/mlx/writer.h"

namespace swan::cli {

void write_mlx_output(const ModelDirectory& source, const plan::QuantPlan& plan, const OutputOptions& options) {
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
}

}  // namespace swan::cli
